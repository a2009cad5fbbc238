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
