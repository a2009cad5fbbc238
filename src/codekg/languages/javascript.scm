; Queries for the JavaScript extractor, and the shared half of the TypeScript query: every pattern
; here must stay valid in the TypeScript and TSX grammars as well.
;
; Each pattern carries exactly one "role" capture (`@definition.*`, `@import.*`, `@export.*`,
; `@call*`) naming what the match is; javascript.py maps each role to one handler. The other
; captures (`@source`, `@alias`, `@specifier`, `@value`, `@name`, `@callee`, `@declaration`) are the
; parts that handler reads. Captures starting with `_` only serve predicates.

;; --- definitions -------------------------------------------------------------------------------

; function f() {}   async function f() {}   function* f() {}
[(function_declaration) (generator_function_declaration)] @definition.function

; const f = () => {}   let g = function () {}   var h = function* () {}   (at any depth)
(variable_declarator
  name: (identifier)
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.bound_function

; class C extends B {}
(class_declaration) @definition.class

; const C = class extends B {}
(variable_declarator name: (identifier) value: (class)) @definition.bound_class

; methods, constructors, getters and setters
(class_body (method_definition) @definition.method)

; class fields: `handler = () => {}` is a Method, `count = 0` a class-level Variable. JavaScript's
; field node is the only class member with a `property:` field; typescript.scm matches its own.
(class_body (_ property: (_)) @definition.field)

; module-level `const/let/var x = ...`; the handler drops functions, classes and requires
(program
  [(lexical_declaration (variable_declarator) @definition.variable)
   (variable_declaration (variable_declarator) @definition.variable)
   (export_statement
     declaration: [(lexical_declaration (variable_declarator) @definition.variable)
                   (variable_declaration (variable_declarator) @definition.variable)])])

; functions inside an object literal: `{ get() {}, post: () => {} }`; kept only when the object is
; a module-level variable's value or `module.exports = {...}`
(object
  [(method_definition) @definition.object_method
   (pair
     key: (_)
     value: [(arrow_function) (function_expression) (generator_function)]) @definition.object_method])

;; functions assigned to a member: `res.send = function send() {}`, `Layer.prototype.handle = function () {}`
; (named after the member chain, so code inside them has a caller of its own; `exports.x = …` is above)
(expression_statement
  (assignment_expression
    left: (member_expression) @_target
    right: [(function_expression) (arrow_function) (generator_function)] @value)) @definition.member_function

; every function and class expression: one that no pattern above defines is a definition of its own,
; named by the name it is assigned to or `<anonymousN>` (javascript.py `_define_function_values`)
[(function_expression) (arrow_function) (generator_function) (class)] @definition.function_value

; f = function () {}   C = class {}   (an assignment that names the function)
(assignment_expression
  left: (identifier) @name
  right: [(function_expression) (arrow_function) (generator_function) (class)] @value) @definition.assigned_function

;; --- regions ------------------------------------------------------------------------------------

; the nodes whose byte ranges decide which function binds a name and what `this` is in a call
; (javascript.py `_Regions`), found by range instead of by walking up the tree
[(function_declaration) (generator_function_declaration) (function_expression) (arrow_function)
 (generator_function) (method_definition) (class_static_block) (class_body)] @region
(class_body (_) @region)

;; --- local bindings -----------------------------------------------------------------------------

; names bound inside functions shadow module-level and global names of the same spelling; module-level
; bindings get scope () and are ignored by resolution (they are Variables, Functions or imports).
; Parameters differ between the grammars: javascript_parameters.scm and typescript.scm.
(rest_pattern (identifier) @local)
(arrow_function parameter: (identifier) @local)
(variable_declarator name: (identifier) @local)
(object_pattern (shorthand_property_identifier_pattern) @local)
(array_pattern (identifier) @local)
(catch_clause parameter: (identifier) @local)
(for_in_statement left: (identifier) @local)

;; --- imports -----------------------------------------------------------------------------------

; import x from 'm'
(import_statement (import_clause (identifier) @alias) source: (string) @source) @import.default

; import * as ns from 'm'
(import_statement
  (import_clause (namespace_import (identifier) @alias))
  source: (string) @source) @import.namespace

; import { a, b as c } from 'm'
(import_statement
  (import_clause (named_imports (import_specifier) @specifier))
  source: (string) @source) @import.symbol

; import 'm'   (no import clause, so the string is the first named child)
(import_statement . source: (string) @source) @import.side_effect

; require('m') anywhere; the handler reads the binding from where the call sits
(call_expression
  function: (identifier) @_require
  arguments: (arguments . (string) @source .)
  (#eq? @_require "require")) @import.require

; import('m')
(call_expression function: (import) arguments: (arguments . (string) @source)) @import.dynamic

; export { a as b } from 'm'
(program
  (export_statement
    (export_clause (export_specifier) @specifier)
    source: (string) @source) @import.reexport)

; export * from 'm'   export * as ns from 'm'
(program (export_statement "*" source: (string) @source) @import.reexport_all)
(program
  (export_statement
    (namespace_export (_) @alias)
    source: (string) @source) @import.reexport_all)

;; --- exports -----------------------------------------------------------------------------------

; export function f() {}   export class C {}   export const x = 1   export default function g() {}
(program (export_statement declaration: (_) @declaration) @export.declaration)

; export default <expression>;
(program (export_statement value: (_) @value) @export.default)

; export { a, b as c };
(program (export_statement (export_clause (export_specifier) @specifier) !source) @export.clause)

; module.exports = X   module.exports = { a, b: c }
(program
  (expression_statement
    (assignment_expression
      left: (member_expression
        object: (identifier) @_module
        property: (property_identifier) @_exports)
      right: (_) @value)
    (#eq? @_module "module")
    (#eq? @_exports "exports")) @export.commonjs_default)

; exports = module.exports = X   (the usual way to keep `exports.x = …` working after replacing the value)
(program
  (expression_statement
    (assignment_expression
      left: (identifier) @_exports_alias
      right: (assignment_expression
        left: (member_expression
          object: (identifier) @_module
          property: (property_identifier) @_exports)
        right: (_) @value))
    (#eq? @_exports_alias "exports")
    (#eq? @_module "module")
    (#eq? @_exports "exports")) @export.commonjs_default)

; exports.x = f   module.exports.x = function () {}
(program
  (expression_statement
    (assignment_expression
      left: (member_expression object: (_) @_target property: (property_identifier) @name)
      right: (_) @value)
    (#any-of? @_target "exports" "module.exports")) @export.commonjs_member)

;; --- calls -------------------------------------------------------------------------------------

(call_expression function: (_) @callee) @call

(new_expression constructor: (_) @callee) @call.new

; names used other than by a call (javascript.py `_on_use_*`): members read or written through `this`
; or a plain name, UPPER_CASE names read (module constants by convention), `instanceof` checks
(member_expression object: [(this) (identifier)] property: (property_identifier)) @use.member
(assignment_expression left: (member_expression object: [(this) (identifier)] property: (property_identifier)) @use.write)
(augmented_assignment_expression left: [(identifier) (member_expression object: [(this) (identifier)] property: (property_identifier))] @use.update)
(update_expression argument: [(identifier) (member_expression object: [(this) (identifier)] property: (property_identifier))] @use.update)
((identifier) @use.constant (#match? @use.constant "^_*[A-Z][A-Z0-9_]*$"))
(binary_expression operator: "instanceof" right: [(identifier) (member_expression)] @use.check)

;; --- value bindings (javascript_values.py) -------------------------------------------------------

; assignments to a name or to `this.x`, each `return`, an arrow function's expression body
(assignment_expression left: [(identifier) (member_expression) (array_pattern) (object_pattern)]) @value.assignment
(augmented_assignment_expression left: [(identifier) (member_expression)]) @value.assignment
(return_statement) @value.return
(arrow_function body: (_) @value.arrow_body)
