; TypeScript-only patterns, appended to javascript.scm (which holds the shared patterns) to form the
; TypeScript and TSX query. Roles reuse the JavaScript handlers except `@definition.interface`.

; abstract class A extends B implements I {}
(abstract_class_declaration) @definition.class

; abstract m(x: number): void;
(class_body (abstract_method_signature) @definition.method)

; bodiless: a member of a `declare class` (.d.ts) or an overload, `m(x: string): void;`
(class_body (method_signature) @definition.method_signature)

; bodiless: `declare function f(x: number): void;` (.d.ts) or an overload of a function
(function_signature) @definition.function_signature

; class fields: `private handler = (e: E) => {}`, `count: number = 0`
(class_body (public_field_definition) @definition.field)

; interface I extends J, K {}
(interface_declaration) @definition.interface

; import fs = require('fs')
(import_statement
  (import_require_clause (identifier) @alias source: (string) @source)) @import.namespace

; export = X;   (CommonJS: the module's whole value, what `import x = require()` binds)
(program (export_statement "=" (_) @value) @export.commonjs_default)

; constructor(private s: Service) {}: a parameter property is also a field of the class
(method_definition
  name: (property_identifier) @_constructor
  parameters: (formal_parameters [(required_parameter) (optional_parameter)] @definition.parameter_property)
  (#eq? @_constructor "constructor"))

; TypeScript parameters: `x: T` and `x?: T`
(required_parameter pattern: (identifier) @local)
(optional_parameter pattern: (identifier) @local)

; `m(@Inject(T) t)`: a parameter decorator, called where the class is defined
(method_definition
  parameters: (formal_parameters [(required_parameter (decorator) @parameter_decorator)
                                  (optional_parameter (decorator) @parameter_decorator)])) @_method

; enum E { A, B = 2 }: an Enum with its members as Variables
(enum_declaration) @definition.enum

; type X = …: a Type; the types its value names are USES of it
(type_alias_declaration) @definition.type_alias

; types named in annotations, generic arguments, `as`/`satisfies`, interface bodies (javascript.py
; `_on_use_type`)
(type_annotation) @use.type
(type_arguments) @use.type
(as_expression (_) [(type_identifier) (nested_type_identifier) (generic_type)] @use.type)
(satisfies_expression (_) [(type_identifier) (nested_type_identifier) (generic_type)] @use.type)
(interface_body) @use.type
