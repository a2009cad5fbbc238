"""Resolution concerns, one module each: the symbol index, imports, inheritance, calls."""

# Bump when the same parses give a different graph (edges, or the symbols' names: 8 names a function
# assigned to a member by the last part of its qualified name; 9: the value flow's property reads of
# computed-key fields, and CommonJS `exports` apart from the module's names; 10: external names among
# those fields, and a JS builtin constructor's static members only; 11: `async with` and `async for`
# through __aenter__/__aexit__ and __aiter__/__anext__, JS `for…of` through `[Symbol.iterator]` and
# `next`, `functools.partial` of a bound method, a partial's arguments, what a contextmanager
# generator yields bound by `with`, an annotated parameter no call reaches, and `this` in an
# unreached ES5 prototype method; 12: a call through a parameter bounded by each argument, not by
# the parameter's union; `**kwargs` and `*args` passed on by key and place;
# `this` of a JS function stored on an object no call reaches, `Object.create` of any non-parameter;
# a Python callee that cannot take the call's arguments; JS `arguments`; a Python list's own methods;
# a base class named through an alias of a class): a live index built by another version is rebuilt, not patched (an incremental run
# re-resolves only the files a change touches).
# Here, not in passes/resolve.py, so that the state fingerprint reads it without loading the resolvers.
RESOLUTION_VERSION = 12
