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
