; Python definitions, imports and calls. Captures are turned into records by python.py.

(class_definition name: (identifier) @class.name) @class

(function_definition name: (identifier) @function.name) @function

; module-level and class-level bindings: `x = ...`, `x: T = ...`, `a, b = ...`
(module (expression_statement (assignment left: (_) @variable.target) @variable))
(class_definition body: (block (expression_statement (assignment left: (_) @variable.target) @variable)))

(import_statement) @import
(import_from_statement) @import.from

(call function: (identifier) @call.name) @call
(call function: (attribute object: (_) @call.receiver attribute: (identifier) @call.name)) @call

; names bound inside functions (parameters, assignments, loop, `with` and `except` targets, walrus):
; they shadow module-level and global names of the same spelling
(parameters [(identifier) @local
             (typed_parameter (identifier) @local)
             (default_parameter name: (identifier) @local)
             (typed_default_parameter name: (identifier) @local)
             (list_splat_pattern (identifier) @local)
             (dictionary_splat_pattern (identifier) @local)])
(assignment left: [(identifier) @local (pattern_list (identifier) @local) (tuple_pattern (identifier) @local)])
(augmented_assignment left: (identifier) @local)
(lambda_parameters [(identifier) @local (default_parameter name: (identifier) @local)])
(for_in_clause left: [(identifier) @local (pattern_list (identifier) @local) (tuple_pattern (identifier) @local)])
(for_statement left: [(identifier) @local (pattern_list (identifier) @local) (tuple_pattern (identifier) @local)])
(as_pattern alias: (as_pattern_target (identifier) @local))
(named_expression name: (identifier) @local)

; decorators without arguments are calls too: `@deco` runs `deco(f)` where the `def` runs
(decorator [(identifier) (attribute)] @decorator)

; a call to an element of a named container: `handlers[key]()`
(call function: (subscript value: (identifier) @call.container)) @call

; `__all__` at module level: the names a star import of this module binds
(module (expression_statement (assignment left: (identifier) @_all) @all (#eq? @_all "__all__")))
(module (expression_statement (augmented_assignment left: (identifier) @_all) @all (#eq? @_all "__all__")))
(module (expression_statement
  (call function: (attribute object: (identifier) @_all attribute: (identifier)) arguments: (argument_list) @all)
  (#eq? @_all "__all__")))

; value facts (python.py `_value_bindings`): bindings whose value the resolver may know, returns,
; and the bindings that make a name's value unknown
(assignment left: [(identifier) (attribute)] @value.target) @value.assignment
(augmented_assignment left: (attribute) @value.rebound)
(pattern_list (attribute) @value.rebound)
(tuple_pattern (attribute) @value.rebound)
(named_expression name: (identifier) @value.target) @value.walrus
(with_item value: (as_pattern alias: (as_pattern_target (identifier) @value.target)) @value.with)
(except_clause (as_pattern alias: (as_pattern_target (identifier) @value.target)) @value.except)
(for_statement left: (identifier) @value.target) @value.for
(return_statement) @value.return
(yield) @value.yield
(global_statement (identifier) @value.declared)
(nonlocal_statement (identifier) @value.declared)
(delete_statement (identifier) @value.rebound)
(case_pattern (dotted_name . (identifier) @value.rebound .))
(case_pattern (as_pattern (identifier) @value.rebound))
(keyword_pattern (dotted_name . (identifier) @value.rebound .))
(splat_pattern (identifier) @value.rebound)

; regions (python.py `_Regions`): the nodes whose byte ranges decide a node's binding function and
; whether it is typing-only, found by range instead of by walking up the tree
[(lambda) (list_comprehension) (set_comprehension) (dictionary_comprehension) (generator_expression)] @region
(if_statement condition: (_) @_guard consequence: (block) @region.type_checking
  (#any-of? @_guard "TYPE_CHECKING" "typing.TYPE_CHECKING" "t.TYPE_CHECKING"))

; names used other than by a call (python.py `_name_uses`): annotations, `global` declarations and
; `type X = …` (the names read and written are found in the text first: matching every identifier and
; attribute here would cost a quarter of the parse)
(type) @use.type
(global_statement (identifier) @use.global)
(module (type_alias_statement left: (type (identifier) @type_alias.name)) @type_alias)
(class_definition body: (block (type_alias_statement left: (type (identifier) @type_alias.name)) @type_alias))
