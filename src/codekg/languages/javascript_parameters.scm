; JavaScript-only patterns (TypeScript wraps parameters in required/optional_parameter instead).

; function f(a, b = 1) {}: parameters shadow module-level and global names
(formal_parameters (identifier) @local)
(formal_parameters (assignment_pattern left: (identifier) @local))
