"""Library and builtin functions that call the functions they are given, per language family.

The value-flow solver (resolve/flow.py) knows nothing of any library: when a call reaches an external
name, it asks this table whether that name calls some of its arguments (`map(f, xs)` calls `f`;
`setTimeout(tick)` calls `tick`; `xs.forEach(f)` calls `f`). Such a call is an edge from the scope
that passes the function (tests/fixtures/callgraph/README.md, "callbacks"). An argument is named by
its position or by its keyword.

Event listeners (`addEventListener`, `emitter.on`) are left out on purpose: the program does not call
them, the host does, maybe never.
"""

from __future__ import annotations

ArgumentSlot = int | str  # a position, or a keyword

# External names (as name resolution spells them) → the argument slots the function calls.
CALLING_FUNCTIONS: dict[str, dict[str, tuple[ArgumentSlot, ...]]] = {
    "python": {
        "<builtin>.map": (0,),
        "<builtin>.filter": (0,),
        "<builtin>.sorted": ("key",),
        "<builtin>.min": ("key",),
        "<builtin>.max": ("key",),
        "functools.reduce": (0,),
        "itertools.starmap": (0,),
        "itertools.filterfalse": (0,),
        "itertools.takewhile": (0,),
        "itertools.dropwhile": (0,),
        "itertools.accumulate": ("func", 1),
        "itertools.groupby": ("key", 1),
    },
    "javascript": {
        "<builtin>.setTimeout": (0,),
        "<builtin>.setInterval": (0,),
        "<builtin>.setImmediate": (0,),
        "<builtin>.queueMicrotask": (0,),
        "<builtin>.process.nextTick": (0,),
        "<builtin>.Array.from": (1,),
        "<builtin>.Promise": (0,),
    },
}

# Methods of builtin values (arrays, promises, lists) that call their arguments: matched by name on a
# receiver that is no instance of a repository class.
CALLING_METHODS: dict[str, dict[str, tuple[ArgumentSlot, ...]]] = {
    "python": {
        "sort": ("key",),
    },
    "javascript": {
        name: (0,) for name in ("map", "forEach", "filter", "reduce", "reduceRight", "some", "every", "find",
                                "findIndex", "findLast", "findLastIndex", "flatMap", "sort", "catch", "finally")
    } | {"then": (0, 1)},
}

# The parameters of a CALLING_METHODS callback that receive an element of the receiver (the first
# when not listed): `xs.reduce((total, x) => …)` passes elements second; a promise's `then` passes no
# element the program built.
CALLBACK_ELEMENT_PARAMETERS: dict[str, dict[str, tuple[int, ...]]] = {
    "python": {"sort": (0,)},
    "javascript": {"reduce": (1,), "reduceRight": (1,), "sort": (0, 1), "then": (), "catch": (), "finally": ()},
}

# Functions that give back one of their positional arguments unchanged, by its position:
# `functools.update_wrapper(wrapper, wrapped)` the wrapper. Not `typing.cast(T, value)`: rich's
# `rich_cast` returns `cast(RenderableType, renderable)` for every renderable printed, and one return
# for all its callers gave each of them every renderable (188 wrong pairs; docs/value-flow.md).
ARGUMENT_RETURNING_FUNCTIONS: dict[str, dict[str, int]] = {
    "python": {"functools.update_wrapper": 0},
    "javascript": {},
}

# Functions whose result calls the function given first, with the other arguments first (partial application).
PARTIAL_FUNCTIONS: dict[str, frozenset[str]] = {
    "python": frozenset({"functools.partial"}),
    "javascript": frozenset(),
}

# The JS builtins whose prototype methods a program borrows (`Array.prototype.map.call(xs, f)` is
# `xs.map(f)`; `Function.prototype.call.call(f, o)` is `f.call(o)`).
BUILTIN_ARRAY = "Array"
BUILTIN_FUNCTION = "Function"

# The static members of JavaScript's builtin constructors (ECMAScript's and the host's of
# JAVASCRIPT_GLOBALS): what a read off the constructor itself can give. The value flow is
# context-insensitive, so a constructor passed to a helper in one place (axios hands `Blob` to
# `utils.forEach`) reaches the helper's other callers too; a name it does not have (`Blob.toLowerCase`
# off a parameter that holds a string elsewhere) is no member, and no call edge is made to it. The
# Error family is left out: Python has builtins of the same names, whose members are not these.
JAVASCRIPT_CONSTRUCTOR_STATICS: dict[str, frozenset[str]] = {
    name: frozenset(members.split()) for name, members in {
        "Array": "isArray from fromAsync of",
        "ArrayBuffer": "isView",
        "BigInt": "asIntN asUintN",
        "Boolean": "", "DataView": "", "FinalizationRegistry": "", "Function": "", "Set": "",
        "SharedArrayBuffer": "", "WeakMap": "", "WeakRef": "", "WeakSet": "",
        **{typed: "from of" for typed in ("BigInt64Array", "BigUint64Array", "Float32Array", "Float64Array", "Int8Array",
                                          "Int16Array", "Int32Array", "Uint8ClampedArray", "Uint16Array", "Uint32Array")},
        "Uint8Array": "from of fromBase64 fromHex",
        "Date": "now parse UTC",
        "Map": "groupBy",
        "Number": "isFinite isInteger isNaN isSafeInteger parseFloat parseInt EPSILON MAX_SAFE_INTEGER MAX_VALUE "
                  "MIN_SAFE_INTEGER MIN_VALUE NaN NEGATIVE_INFINITY POSITIVE_INFINITY",
        "Object": "assign create defineProperties defineProperty entries freeze fromEntries getOwnPropertyDescriptor "
                  "getOwnPropertyDescriptors getOwnPropertyNames getOwnPropertySymbols getPrototypeOf groupBy hasOwn is "
                  "isExtensible isFrozen isSealed keys preventExtensions seal setPrototypeOf values",
        "Promise": "all allSettled any race reject resolve try withResolvers",
        "Proxy": "revocable",
        "RegExp": "escape",
        "String": "fromCharCode fromCodePoint raw",
        "Symbol": "for keyFor asyncIterator hasInstance isConcatSpreadable iterator match matchAll replace search "
                  "species split toPrimitive toStringTag unscopables",
        "Buffer": "alloc allocUnsafe allocUnsafeSlow byteLength compare concat copyBytesFrom from isBuffer isEncoding of "
                  "poolSize",
        "URL": "canParse createObjectURL parse revokeObjectURL",
        "Response": "error json redirect",
        **{host: "" for host in ("AbortController", "Blob", "CustomEvent", "Event", "EventTarget", "File", "FileReader",
                                 "FormData", "Headers", "Image", "Request", "TextDecoder", "TextEncoder", "URLSearchParams",
                                 "WebSocket", "Worker", "XMLHttpRequest")},
    }.items()
}
# What every constructor has, being a function: its prototype (`Array.prototype.map.call`) and the
# function methods.
CONSTRUCTOR_MEMBERS = frozenset({"prototype", "name", "length"}) | frozenset({"call", "apply", "bind"})
GLOBAL_OBJECTS = frozenset({"globalThis", "window"})  # `globalThis.Request` is `Request`


def builtin_member(name: str, attribute: str) -> bool:
    """Whether ``attribute`` may be read off the external ``name``: any, but off a JavaScript builtin
    constructor itself (`<builtin>.Blob`, `<builtin>.globalThis.Request`) only one of its members."""
    head, _, rest = name.partition(".")
    if head != "<builtin>":
        return True
    parts = rest.split(".")
    while len(parts) > 1 and parts[0] in GLOBAL_OBJECTS:
        parts = parts[1:]
    statics = JAVASCRIPT_CONSTRUCTOR_STATICS.get(parts[0]) if len(parts) == 1 else None
    return statics is None or attribute in statics or attribute in CONSTRUCTOR_MEMBERS


# Methods of any function value: `f.call(…)`/`f.apply(…)` call `f`; `f.bind(…)` makes a function that does.
FUNCTION_METHODS: dict[str, frozenset[str]] = {
    "python": frozenset(),
    "javascript": frozenset({"call", "apply", "bind"}),
}
# The builtins that are plain objects, not functions: `Reflect.apply` is Reflect's own, no `Function.prototype.apply`.
BUILTIN_NAMESPACES = frozenset({"Reflect", "Math", "JSON", "Atomics", "Intl", "console"})
# Functions that call their first argument as `f.apply(thisArg, args)` does (`Reflect.apply(f, thisArg,
# args)`) or as `new C(...args)` does (`Reflect.construct(C, args)`).
REFLECTING_FUNCTIONS: dict[str, dict[str, str]] = {
    "python": {},
    "javascript": {"<builtin>.Reflect.apply": "apply", "<builtin>.Reflect.construct": "construct"},
}

# Functions that copy every field of their later arguments into the first, and give it back.
FIELD_COPYING_FUNCTIONS: dict[str, frozenset[str]] = {
    "python": frozenset(),
    "javascript": frozenset({"<builtin>.Object.assign"}),
}

# Builtin container methods by what they do with elements, on a receiver that is no instance of a
# repository class: put their positional arguments in (by position; "*" every one); put in the
# elements of their first argument (`xs.extend(ys)`, `d.update(other)`); give one back, and with it the
# arguments at the positions listed (a default: `d.get(k, fallback)`); or give back a view whose elements
# are the receiver's ("elements": `d.values()`) or (key, element) pairs ("pairs": `d.items()`).
ELEMENT_STORING_METHODS: dict[str, dict[str, tuple[int, ...] | str]] = {
    "python": {"append": (0,), "appendleft": (0,), "add": (0,), "insert": (1,), "setdefault": (1,)},
    "javascript": {"push": "*", "unshift": "*", "add": (0,)},
}
ELEMENT_EXTENDING_METHODS: dict[str, frozenset[str]] = {
    "python": frozenset({"extend", "extendleft", "update"}),
    "javascript": frozenset(),
}
ELEMENT_RETURNING_METHODS: dict[str, dict[str, tuple[int, ...]]] = {
    "python": {"pop": (1,), "popleft": (), "get": (1,), "setdefault": (1,)},
    "javascript": {"pop": (), "shift": (), "at": (), "find": (), "findLast": ()},
}
# Builtin container methods that neither call nor give back an element: on a Python container, their
# name is the container's method, never one of its elements (`processors.clear()` calls no processor).
# Not in JavaScript, whose objects keep methods of these names under computed keys (lodash's
# `LazyWrapper.prototype[methodName]`), and whose arrays' own methods are never stored as elements.
INERT_CONTAINER_METHODS: dict[str, frozenset[str]] = {
    "python": frozenset({"clear", "remove", "discard", "reverse", "index", "count", "keys", "isdisjoint",
                         "issubset", "issuperset"}),
}
VIEW_METHODS: dict[str, dict[str, str]] = {
    "python": {"values": "elements", "copy": "fields", "items": "pairs"},
    "javascript": {},
}

# Builtins that run a protocol method of the elements of an argument (Python), each given another
# element or not: `sorted(xs)`, `min(xs)`, `xs.sort()` compare them with `__lt__`, `max(xs)` with
# `__gt__`; `sum(xs)` starts from 0, so the first element's `__radd__` runs (given 0), then `__add__`.
PROTOCOL_FUNCTIONS: dict[str, dict[str, tuple[tuple[str, bool], ...]]] = {
    "python": {"<builtin>.sorted": (("__lt__", True),), "<builtin>.min": (("__lt__", True),),
               "<builtin>.max": (("__gt__", True),), "<builtin>.sum": (("__radd__", False), ("__add__", True))},
    "javascript": {},
}
PROTOCOL_METHODS: dict[str, dict[str, tuple[tuple[str, bool], ...]]] = {
    "python": {"sort": (("__lt__", True),)},
    "javascript": {},
}

# A protocol method that runs another when the class has none of its own: `str(p)` and `f"{p}"` run
# `object.__str__`, which calls `__repr__`; `a > b` without `__gt__` runs the reflected `b.__lt__(a)`.
FALLBACK_PROTOCOLS: dict[str, str] = {"__str__": "__repr__", "__gt__": "__lt__", "__lt__": "__gt__",
                                      "__ge__": "__le__", "__le__": "__ge__"}

# Builtin functions whose result holds the elements of their positional arguments at the positions
# listed ("*": every one): as a container of them ("elements": `list(xs)`, `sorted(xs)`), as one of them
# ("element": `next(it)`; the argument after it is a default that may come back too), or as a container
# of tuples whose field i (from the offset) is an element of the i-th argument ("pairs": `zip(a, b)`;
# `enumerate(xs)` puts the element at index 1).
ELEMENT_FUNCTIONS: dict[str, dict[str, tuple[str, tuple[int, ...] | str, int]]] = {
    "python": {
        **{f"<builtin>.{name}": ("elements", (0,), 0)
           for name in ("list", "tuple", "set", "frozenset", "sorted", "reversed", "iter")},
        **{name: ("elements", (0,), 0) for name in (  # the standard library's containers: a new one of them
            "collections.deque", "collections.OrderedDict", "weakref.WeakSet", "weakref.WeakValueDictionary")},
        **{name: ("elements", (1,), 0) for name in ("<builtin>.filter", "itertools.filterfalse",
                                                     "itertools.takewhile", "itertools.dropwhile")},
        "itertools.chain": ("elements", "*", 0),
        "<builtin>.next": ("element", (0,), 0),
        "<builtin>.zip": ("pairs", "*", 0),
        "<builtin>.enumerate": ("pairs", (0,), 1),
    },
    "javascript": {},
}

# Functions that give back an array of their first argument's field values (`Object.values`), or of
# [key, value] pairs (`Object.entries`).
FIELD_VALUES_FUNCTIONS: dict[str, dict[str, str]] = {
    "python": {},
    "javascript": {"<builtin>.Object.values": "values", "<builtin>.Object.entries": "entries"},
}

# Functions that set up a prototype chain: `Object.create(p)` makes an object inheriting from p;
# `Object.setPrototypeOf(o, p)` makes o inherit from p; Node's `util.inherits(C, P)` makes C's
# instances inherit P's prototype.
PROTOTYPE_FUNCTIONS: dict[str, dict[str, str]] = {
    "python": {},
    "javascript": {
        "<builtin>.Object.create": "create",
        "<builtin>.Object.setPrototypeOf": "set",
        "<builtin>.Reflect.setPrototypeOf": "set",
        "util.inherits": "inherits",
        "node:util.inherits": "inherits",
    },
}
