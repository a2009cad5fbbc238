"""Resolution concerns, one module each: the symbol index, imports, inheritance, calls."""
