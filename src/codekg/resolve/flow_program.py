"""Flow program: every file's flow facts as constraints for the value-flow solver, and the calls they give.

Takes: the SymbolIndex (each file's FlowFacts and definitions) and the NameResolver (imports, builtins,
class hierarchies). Returns: `ProgramCalls`, the call edges each file's code makes, with the reason
and confidence of the last hop that brought the callee, and the bounds the solve hit.

How facts become constraints (docs/value-flow.md):
- A name read in a function takes the bindings of that name in that function that reach it (the
  latest unconditional one before it and the conditional ones after that, in evaluation order); a
  name of an enclosing function, all of its bindings (the inner function may run after any of them);
  a module-level name read from a function, the module's field of that name (every module-level
  binding copies into it); a class body's names are the class's fields. A name bound nowhere in the
  file is looked up by the NameResolver: an import, a builtin, a definition of another file.
- Parameters are bindings too; a call binds arguments to them (resolve/flow.py). Returns flow into
  the function's return node; a generator's yields into the elements of the generator object it
  returns.
- Protocol calls (`operator`, `iterate`, `enter`) call the dunder of instances of repository classes
  only; iterating a container or generator also reads its elements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from codekg.garbage import collection_paused
from codekg.languages import EXTRACTORS
from codekg.records import ELEMENT_CALL, RETURN_TARGET, FlowFact, Scope, release_lists
from codekg.resolve import flow
from codekg.resolve.calls import CallEdge
from codekg.resolve.flow import ANY_KEY, Argument, CallSite, Environment, FunctionShape, Node, Parameter, Solver, Value
from codekg.resolve.library_calls import (
    ARGUMENT_RETURNING_FUNCTIONS,
    BUILTIN_NAMESPACES,
    BUILTIN_ARRAY,
    BUILTIN_FUNCTION,
    CALLBACK_ELEMENT_PARAMETERS,
    CALLING_FUNCTIONS,
    CALLING_METHODS,
    ELEMENT_EXTENDING_METHODS,
    ELEMENT_FUNCTIONS,
    ELEMENT_RETURNING_METHODS,
    ELEMENT_STORING_METHODS,
    FALLBACK_PROTOCOLS,
    FIELD_COPYING_FUNCTIONS,
    FIELD_VALUES_FUNCTIONS,
    FUNCTION_METHODS,
    INERT_CONTAINER_METHODS,
    PARTIAL_FUNCTIONS,
    PROTOCOL_FUNCTIONS,
    PROTOCOL_METHODS,
    PROTOTYPE_FUNCTIONS,
    REFLECTING_FUNCTIONS,
    VIEW_METHODS,
    builtin_member,
)
from codekg.resolve.names import LOCAL_VALUE, NameResolver, Resolved
from codekg.resolve.symbols import FileSymbols, SymbolIndex, SymbolRef
from codekg.schema import CLASS_LABELS

# How sure an edge is, by the last hop that brought the callee's value: a value that went through a
# parameter, a container or a return may have been replaced on a path the facts do not see.
FLOW_CONFIDENCE = {
    "call": 0.9, "method": 0.85, "attribute": 0.85, "receiver": 0.85, "constructor": 0.9,
    "argument": 0.8, "return": 0.8, "element": 0.75, "instantiation": 0.9, "partial": 0.8, "callback": 0.8,
    "external": 0.9, "decorator": 0.85, "protocol": 0.85,
}
DEFAULT_FLOW_CONFIDENCE = 0.75
_CALLABLE = ("Function", "Method", *CLASS_LABELS)
# Decorators (as name resolution spells them) that give back the function they are given.
IDENTITY_DECORATORS = frozenset({
    "<builtin>.staticmethod", "<builtin>.classmethod", "<builtin>.property", "functools.cache", "functools.lru_cache",
    "functools.cached_property", "abc.abstractmethod", "typing.override", "typing_extensions.override",
    "dataclasses.dataclass", "functools.total_ordering", "typing.final", "contextlib.contextmanager",
    "contextlib.asynccontextmanager",
})


# Calls that return a decorator giving back what it decorates (`@functools.wraps(fn)`, `@lru_cache(maxsize=9)`).
IDENTITY_DECORATOR_FACTORIES = frozenset({"functools.wraps", "functools.lru_cache", "functools.cache"})


# A call site the solve finds more callees of the program's own for than this is left to the other
# call rules, unless they are all methods of one name (a dispatch on the receiver's class). Past it, on
# real code, the set is what a context-insensitive solve merges, not what runs: attrs' `@attrs` class
# decorator made each decorated class's name hold 32 of them (8,078 edges), lodash's wrappers sent
# `negate`'s closure to `escapeRegExp`. No case of the suite calls more than 4 at one site.
FANOUT_LIMIT = 4
# A call through a parameter (`fn(x)`, JS `fn.call(null, x)`, a closure's `fn(*args)` in a decorator's
# wrapper) calls whatever each call of its function passed: there FANOUT_LIMIT bounds what one such
# argument holds, not the parameter's union, so a utility given twenty callbacks calls each of them
# (`utils.forEach` in axios, a decorator on thirty functions), while an argument that itself merges
# many values says nothing, as a site past the limit does.


@dataclass(slots=True)
class ProgramCalls:
    edges: dict[str, list[CallEdge]] = field(default_factory=lambda: defaultdict(list))  # by the caller's file
    # by file: the bounds the solve hit there, as run-summary warnings {"pass", "kind", "message"}
    warnings: dict[str, list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))
    steps: int = 0
    # by file: (scope, line, called name) of every call site the solve found a callee for → the callees
    # (definition ids, external names): the other call rules defer to it where they disagree
    resolved_sites: dict[str, dict[tuple[Scope, int, str], set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set)))


@dataclass(slots=True)
class _Site:
    site: CallSite
    file_symbols: FileSymbols
    method_name: str = ""  # `x.name(…)`: a builtin method of that name may call the arguments
    scope: Scope = ()
    name: str = ""  # the called name (`f` of `f()`, `m` of `x.m()`), "" for implicit calls
    base: Node | None = None  # the object of `x.m()`, whose builtin method it may be


def solve_program(symbols: SymbolIndex, names: NameResolver, paths: list[str], release: bool = True) -> ProgramCalls:
    """The calls every file of ``paths`` makes, from one fixpoint over all their facts. The nodes,
    tokens and constraints all live until the end: no collection can free any of them. ``release``
    false: a process about to exit keeps them (freeing millions of objects takes time)."""
    with collection_paused():
        program = _Program(symbols, names)
        solver = Solver(program)
        program.solver = solver
        for path in paths:
            program.add_definitions(symbols.files[path])
        files = [program.add_file(symbols.files[path]) for path in paths]  # every function's shape first,
        for file_flow in files:  # so a call binds its arguments whichever file it is in
            file_flow.add_facts()
        solver.solve()
        program.seed_unreached_receivers()
        program.seed_declared_parameters()
        solver.solve()
        program.fire_builtin_methods()
        solution = solver.solve()
        try:
            return program.edges(solution)
        finally:  # no cycle left: millions of objects go by reference counting, not a 4 s collection
            if release:
                solver.release()
                program.solver = None  # type: ignore[assignment]


class _Program(Environment):
    def __init__(self, symbols: SymbolIndex, names: NameResolver) -> None:
        self.symbols = symbols
        self.names = names
        self.solver: Solver = None  # type: ignore[assignment]
        self.refs: dict[str, SymbolRef] = {}
        self.shapes: dict[str, FunctionShape] = {}
        self.sites: list[_Site] = []
        self.property_sites: set[tuple] = set()
        self._consts: dict[Value, int] = {}
        # what some class of the repository defines: a protocol call or property access of any other
        # name can never reach the program's own code, so it gets no constraint at all
        # protocol methods defined in a class body: dunders, JS well-known symbols (`[Symbol.iterator]`)
        # and the `next` of a JS iterator
        self.member_names: set[str] = set()
        self._protocols: dict[str, bool] = {}  # class id -> a typing.Protocol (seed_declared_parameters)
        self.property_names: set[str] = set()
        self.prototype_sites: set[tuple] = set()  # JS calls given an `X.prototype` argument
        self.accessor_objects: set[Value] = set()  # JS object literals with a `get x()`/`set x()` of their own
        self.dynamic_bases: set[str] = set()  # JS classes with an `extends` fact: their bases may come by value flow
        # the class hierarchy does not change during a solve: each question is answered once
        self._constructors: dict[str, list[str]] = {}
        self._properties: dict[tuple[str, str], SymbolRef | None] = {}
        self._mros: dict[str, list[SymbolRef]] = {}
        self._fanned_out: dict[str, int] = defaultdict(int)  # by file: call sites past FANOUT_LIMIT
        self._python_values: dict[Value, bool] = {}  # a token made by Python code (container_method)
        self.parameter_nodes: set[int] = set()  # the binding of every named parameter
        self.parameter_sites: dict[tuple, int] = {}  # a call site through a parameter → its parameter's node
        self._defined: dict[tuple[str, str], bool] = {}

    # --- the environment the solver asks ----------------------------------------------------------

    def function(self, function_id: str) -> FunctionShape | None:
        return self.shapes.get(function_id)

    def mro(self, ref: SymbolRef) -> list[SymbolRef]:
        found = self._mros.get(ref.id)
        if found is None:
            found = self._mros[ref.id] = self.names.hierarchy.mro(ref)
        return found

    def member(self, class_id: str, name: str, on_instance: bool = True) -> list[Node]:
        ref = self.refs.get(class_id)
        if ref is not None and ref.label == "Function" and on_instance:  # `new F()` of a JS constructor function
            return [flow.field_node(("prototype", ref.id), name)]
        if ref is None or ref.label not in CLASS_LABELS:
            return []
        nodes = []
        for owner in self.mro(ref):
            nodes.append(flow.field_node((_holder(self.symbols.files[owner.file_path], on_instance), owner.id), name))
            if self._defined_in(owner, name):
                break
        return nodes

    def defines(self, class_id: str, name: str) -> bool:
        """Whether the class or one of its repository bases defines ``name`` (asked once per pair)."""
        key = (class_id, name)
        found = self._defined.get(key)
        if found is None:
            ref = self.refs.get(class_id)
            found = self._defined[key] = (ref is not None and ref.label in CLASS_LABELS
                                          and any(self._defined_in(owner, name) for owner in self.mro(ref)))
        return found

    def _defined_in(self, owner: SymbolRef, name: str) -> bool:
        """Whether ``owner``'s body defines ``name`` as a value (a type-only declaration does not count)."""
        member = self.symbols.files[owner.file_path].children.get(owner.path, {}).get(name)
        return member is not None and not (member.definition is not None and member.definition.is_type_only)

    def constructors(self, class_id: str) -> list[str]:
        found = self._constructors.get(class_id)
        if found is None:
            found = self._constructors[class_id] = self._find_constructors(class_id)
        return found

    def _find_constructors(self, class_id: str) -> list[str]:
        ref = self.refs.get(class_id)
        if ref is None:
            return []
        language = self.symbols.files[ref.file_path].parse.language
        names = ("__init__", "__new__") if language == "python" else (EXTRACTORS[language].constructor_name,)
        found = []
        for name in names:
            member = self.names.hierarchy.find_member(ref, name) if name else None
            if member is not None and member[0].label == "Method":
                found.append(member[0].id)
                self.refs.setdefault(member[0].id, member[0])
        return found

    def property_of(self, class_id: str, name: str) -> SymbolRef | None:
        """The property ``name`` of the class (or a base), if that is what the name is."""
        key = (class_id, name)
        if key not in self._properties:
            self._properties[key] = self._find_property(class_id, name)
        return self._properties[key]

    def _find_property(self, class_id: str, name: str) -> SymbolRef | None:
        ref = self.refs.get(class_id)
        found = self.names.hierarchy.find_member(ref, name) if ref is not None and ref.label in CLASS_LABELS else None
        if found is None or found[0].definition is None or not found[0].definition.is_property:
            return None
        self.refs.setdefault(found[0].id, found[0])
        return found[0]

    def binds_receiver(self, function_id: str) -> bool:
        ref = self.refs.get(function_id)
        return not (ref is not None and ref.definition is not None and ref.definition.is_static)

    def binds_class(self, function_id: str) -> bool:
        """A classmethod: bound to the class, whether read off the class or an instance."""
        ref = self.refs.get(function_id)
        return ref is not None and ref.definition is not None and ref.definition.is_classmethod

    def external_call(self, name: str, site: CallSite, solver: Solver) -> None:
        family = self._family_of_site(site)
        if name in IDENTITY_DECORATOR_FACTORIES:  # `@functools.wraps(fn)` gives back what it decorates
            solver.add(site.result, ("identity",), "decorator")
            return
        if name in FIELD_COPYING_FUNCTIONS.get(family, ()) and site.arguments:  # `Object.assign(target, *sources)`
            self._copy_fields(site)
            return
        if name in FIELD_VALUES_FUNCTIONS.get(family, {}) and site.arguments:  # `Object.entries(o)`
            self._field_values(site, FIELD_VALUES_FUNCTIONS[family][name])
            return
        if name in PROTOTYPE_FUNCTIONS.get(family, {}) and site.arguments:
            self._link_prototypes(site, PROTOTYPE_FUNCTIONS[family][name])
            return
        if name in REFLECTING_FUNCTIONS.get(family, {}) and site.arguments and site.arguments[0].kind == "positional":
            self._reflect(site, REFLECTING_FUNCTIONS[family][name])
            return
        if name == "<builtin>.type" and len(site.arguments) == 1:  # `type(self)`: the class of the instance
            solver.listen(site.arguments[0].node, lambda value: solver.add(site.result, ("class", value[1]), "attribute")
                          if value[0] == "instance" else None)
            return
        given_back = ARGUMENT_RETURNING_FUNCTIONS.get(family, {}).get(name)
        if given_back is not None:  # `update_wrapper(wrapper, f)` is wrapper
            positional = [a for a in site.arguments if a.kind == "positional"]
            if len(positional) > given_back:
                solver.copy(positional[given_back].node, site.result, "value")
            return
        if name in IDENTITY_DECORATORS or name in PARTIAL_FUNCTIONS.get(family, ()):
            first = next((a for a in site.arguments if a.kind == "positional"), None)
            if first is None:
                return
            if name in IDENTITY_DECORATORS:
                solver.copy(first.node, site.result, "decorator")
            else:
                count = sum(1 for a in site.arguments if a.kind == "positional") - 1
                given = tuple(a for a in site.arguments if a is not first)

                def partial_of(value: Value) -> None:
                    if value[0] in ("function", "bound"):
                        solver.add(site.result, ("partial", value, count), "partial")
                        solver.pass_partial(value, given)

                solver.listen(first.node, partial_of)
            return
        protocols = PROTOCOL_FUNCTIONS.get(family, {}).get(name)
        positional = [a.node for a in site.arguments if a.kind == "positional"]
        if protocols and positional:
            self._element_protocols(site, positional[0], protocols)
        shaped = ELEMENT_FUNCTIONS.get(family, {}).get(name)
        if shaped is not None:
            self._element_function(site, *shaped)
        slots = CALLING_FUNCTIONS.get(family, {}).get(name)
        if slots:
            self._call_arguments(site, slots)

    def _element_function(self, site: CallSite, shape: str, positions: tuple[int, ...] | str, offset: int) -> None:
        """`list(xs)`, `zip(a, b)`, `enumerate(xs)`, `next(it, default)` (library_calls.ELEMENT_FUNCTIONS)."""
        positional = [a.node for a in site.arguments if a.kind == "positional"]
        sources = positional if positions == "*" else [positional[p] for p in positions if p < len(positional)]
        if shape != "element":
            self._element_container(site, sources, shape, offset)
            return
        for source in sources[:1]:
            self.solver.load(source, ANY_KEY, site.result)
        if len(positional) > 1:  # the default
            self.solver.copy(positional[1], site.result, "argument")

    def _link_prototypes(self, site: CallSite, how: str) -> None:
        """`Object.create(p)`: a new object inheriting from p, the call's result; `Object.setPrototypeOf(o,
        p)`: o inherits from p; `util.inherits(C, P)`: C.prototype inherits from P.prototype."""
        solver = self.solver
        positional = [a.node for a in site.arguments if a.kind == "positional"]
        if how != "inherits" and site.key not in self.prototype_sites and (
                not positional or self.solver.node(positional[-1]) in self.parameter_nodes):
            return  # a helper's `Object.create(proto)` serves every class: one token for all would merge their chains
        if how == "create":
            created = ("object", ("create", site.key))
            solver.inherits(created)
            solver.add(site.result, created, "value")
            solver.listen(positional[0], lambda prototype: solver.inherit(created, prototype))
            return
        if len(positional) < 2:
            return
        child_node, parent_node = positional[0], positional[1]

        def on_child(child: Value) -> None:
            if how == "inherits":
                if child[0] == "function":
                    solver.listen(parent_node, lambda parent: solver.inherit(("prototype", child[1]), ("prototype", parent[1]))
                                  if parent[0] in ("function", "class") else None)
                return
            solver.listen(parent_node, lambda parent: solver.inherit(child, parent))

        solver.listen(child_node, on_child)

    def prototype_of(self, class_id: str) -> Value | None:
        ref = self.refs.get(class_id)
        if ref is not None and (ref.label == "Function" or class_id in self.dynamic_bases):
            return ("prototype", class_id)
        return None

    def borrowed_call(self, name: str, site: CallSite, solver: Solver) -> bool:
        family = self._family_of_site(site)
        head, _, method = name.rpartition(".")
        # only a builtin is known to be a function (not `Reflect`, `Math`): a library's `rpc.call(…)` may be any method
        function_method = (method in FUNCTION_METHODS.get(family, ()) and head.startswith("<builtin>.")
                           and head.removeprefix("<builtin>.") not in BUILTIN_NAMESPACES)
        if not function_method:
            if head != f"<builtin>.{BUILTIN_ARRAY}.prototype" or site.receiver is None:
                return False
            slots = CALLING_METHODS.get(family, {}).get(method)  # `Array.prototype.map` called with `this`
            if slots:
                self._call_arguments(site, slots, site.receiver, CALLBACK_ELEMENT_PARAMETERS[family].get(method, (0,)))
            return True
        if head == f"<builtin>.{BUILTIN_FUNCTION}.prototype":  # `Function.prototype.call` run on the function `this`
            if site.receiver is not None:
                solver.listen(site.receiver, lambda value: solver.call_function_method(method, value, site)
                              if value[0] in ("function", "bound", "external") else None)
            return True
        solver.call_function_method(method, ("external", head), site)
        return True

    def container_method(self, name: str, value: Value) -> bool:
        if name in _CONTAINER_METHODS:
            return True
        if name not in INERT_CONTAINER_METHODS["python"]:
            return False
        python = self._python_values.get(value)
        if python is None:
            path = self._file_of(value)
            python = self._python_values[value] = bool(path) and (
                EXTRACTORS[self.symbols.files[path].parse.language].resolution_family == "python")
        return python

    def external_member(self, name: str, attribute: str) -> bool:
        return builtin_member(name, attribute)

    def defined_name(self, definition_id: str) -> str | None:
        ref = self.refs.get(definition_id)
        name = ref.path[-1] if ref is not None and ref.path else ""
        return None if not name or name.startswith("<") else name

    def function_methods(self, function_id: str) -> frozenset[str]:
        ref = self.refs.get(function_id)
        if ref is None:
            return frozenset()
        family = EXTRACTORS[self.symbols.files[ref.file_path].parse.language].resolution_family
        return FUNCTION_METHODS.get("python" if family == "python" else "javascript", frozenset())

    def _reflect(self, site: CallSite, how: str) -> None:
        """`Reflect.apply(f, thisArg, args)` calls f with `this` thisArg and args' elements;
        `Reflect.construct(C, args)` is `new C(...args)`."""
        rest = [a.node for a in site.arguments[1:] if a.kind == "positional"]
        receiver, elements = (rest[0] if rest else None, rest[1:2]) if how == "apply" else (None, rest[:1])
        inner = CallSite((*site.key, "callback", "reflect"), site.caller, site.line,
                         tuple(Argument("star", node) for node in elements), site.result,
                         is_new=how == "construct", receiver=receiver, via=site.via)
        self.solver.call(site.arguments[0].node, inner)

    def _copy_fields(self, site: CallSite) -> None:
        """Each source's fields become the target's, a later source's overwriting an earlier one's;
        the call gives back the target."""
        solver = self.solver
        target = site.arguments[0].node
        sources = [a.node for a in site.arguments[1:] if a.kind == "positional"]
        solver.copy(target, site.result, "attribute")
        for index, source in enumerate(sources):
            later = tuple(solver.node(node) for node in sources[index + 1:])
            solver.listen(target, lambda into, source=source, later=later: solver.listen(
                source, lambda value, into=into, later=later: solver.merge_fields(value, into, later)))

    def _field_values(self, site: CallSite, shape: str) -> None:
        """An array of the first argument's field values, or of [key, value] pairs ("entries")."""
        solver = self.solver
        values = solver.node(("field-values", site.key))
        solver.load(site.arguments[0].node, ANY_KEY, values)
        array = self.const(("object", ("field-values", site.key)))
        solver.copy(array, site.result, "element")
        if shape == "entries":
            pair = self.const(("object", ("field-entry", site.key)))
            solver.store(pair, "1", values)
            solver.store(array, ANY_KEY, pair)
        else:
            solver.store(array, ANY_KEY, values)

    def _family_of_site(self, site: CallSite) -> str:
        return "python" if site.key[0].endswith(".py") or site.key[0].endswith(".pyi") else "javascript"

    def _call_arguments(self, site: CallSite, slots: tuple, elements_of: Node | None = None,
                        element_parameters: tuple[int, ...] = ()) -> None:
        """Call the arguments at ``slots``; each gets, at ``element_parameters``, an element of
        ``elements_of`` (the receiver of `xs.forEach(f)`)."""
        passed: tuple[Argument, ...] = ()
        if elements_of is not None and element_parameters:
            element = self.solver.node(("callback-element", site.key))
            self.solver.load(elements_of, ANY_KEY, element)
            passed = tuple(Argument("positional", element if position in element_parameters else ("nothing",))
                           for position in range(max(element_parameters) + 1))
        positional = [a for a in site.arguments if a.kind == "positional"]
        for slot in slots:
            if isinstance(slot, int):
                argument = positional[slot] if slot < len(positional) else None
            else:
                argument = next((a for a in site.arguments if a.kind == "keyword" and a.keyword == slot), None)
            if argument is None:
                continue
            callback = CallSite((*site.key, "callback", slot), site.caller, site.line, passed,
                                ("callback-result", site.key, slot), via="callback")
            self.solver.call(argument.node, callback)

    # --- facts to constraints ---------------------------------------------------------------------

    def add_definitions(self, file_symbols: FileSymbols) -> None:
        """Every definition of the file by id, before any file's bindings: the answers about classes
        (members, constructors, properties) are kept for the whole solve."""
        for ref in file_symbols.all_refs():
            self.refs.setdefault(ref.id, ref)
            if ref.definition is not None and ref.definition.is_property:
                self.property_names.add(ref.path[-1])
        for path, members in file_symbols.children.items():
            owner = file_symbols.by_path.get(path)
            if owner is not None and owner.label in CLASS_LABELS:
                self.member_names.update(name for name in members if name.startswith(("__", "[")) or name == "next")

    def add_file(self, file_symbols: FileSymbols) -> "_FileFlow":
        """The file's definitions, bindings and function shapes; its facts come after every file's shapes."""
        file_flow = _FileFlow(self, file_symbols)
        file_flow.add_bindings()
        return file_flow

    def module_exports(self, path: str) -> Node | int:
        """What `require` gives of the module at ``path``: `module.exports`, which starts as the
        `exports` object (`commonjs_exports`) and holds whatever the module assigns to it. Python's
        module object."""
        module: Value = ("module", path)
        if EXTRACTORS[self.symbols.files[path].parse.language].resolution_family == "python":
            return self.const(module)
        self.commonjs_exports(path)
        return flow.field_node(_commonjs_module(path), "exports")

    def commonjs_exports(self, path: str) -> int:
        """A JS module's `exports` object: what `exports.x = …` writes, falling back to the module's
        own names (an ES module's exports, a script's globals). It is not the module's scope:
        `exports.etag = …` never rebinds the module's own name `etag` (express's `var etag =
        require('etag')` had taken the value of its `exports.etag`, so `generateETag` called itself)."""
        module: Value = ("module", path)
        exports: Value = ("object", ("commonjs-exports", path))
        if exports not in self._consts:
            self.solver.inherit(exports, module)
            self.solver.store(self.const(_commonjs_module(path)), "exports", self.const(exports))
        return self.const(exports)

    def const(self, value: Value) -> int:
        """The node holding only ``value``."""
        node = self._consts.get(value)
        if node is None:
            node = self._consts[value] = self.solver.node(("const", value))
            self.solver.add(node, value, "value")
        return node

    def seed_unreached_receivers(self) -> None:
        """A method no call reaches is read as if it ran on its own class: `self` an instance of it,
        `cls` the class (and a JavaScript function on a constructor function's prototype, `this` an
        instance of that function). So is a method of a class the program instantiates somewhere, whatever
        reaches it: an instance may come by a path the facts do not follow (flask's `send_static_file`,
        a view the router calls, reached only by a test's subclass). Other methods keep only the
        receivers calls bring, so a base class never instantiated calling `self.hook()` reaches the
        overrides of the instances the program makes, never its own."""
        instantiated = {value[1] for callees in self.solver.calls.values() for value in callees if value[0] == "class"}
        for function_id, shape in self.shapes.items():
            ref = self.refs.get(function_id)
            if ref is None or ref.label != "Method" or ref.definition is None or ref.definition.is_static:
                continue
            receiver = shape.parameters[0].node if shape.bound_skip and shape.parameters else shape.this
            if receiver is None:
                continue
            owner = self.class_of(ref)
            if owner is None:
                continue
            if self.solver.held(receiver) and owner.id not in instantiated:
                continue
            self.solver.add(receiver, ("class" if ref.definition.is_classmethod else "instance", owner.id), "receiver")
        for function_id, shape in self.shapes.items():  # a JS function stored on an object: `this` that object
            ref = self.refs.get(function_id)
            if ref is None or ref.label != "Function" or shape.this is None or self.solver.held(shape.this):
                continue
            head, _, name = ref.path[-1].rpartition(".")  # a member's function is named by its path: `F.m`
            if not head:
                continue
            owner = self.symbols.files[ref.file_path].by_path.get((*ref.path[:-1], head))
            function = ("function", ref.id)
            if (owner is not None and owner.label == "Function"  # ES5: `F.prototype.m = function () {…}`, an F
                    and function in self.solver.held(flow.field_node(("prototype", owner.id), name))):
                self.solver.add(shape.this, ("instance", owner.id), "receiver")
                continue
            for holder in self._holders(ref, head):  # `res.json = function () { this.send() }`: res
                if function in self.solver.held(flow.field_node(holder, name)):
                    self.solver.add(shape.this, holder, "receiver")

    def _holders(self, ref: SymbolRef, head: str) -> list[Value]:
        """The objects a dotted name (`res`, `app.router`) holds where a function named `head.m` is
        defined: a name of its module, or of the function around it, then field by field."""
        first, *fields = head.split(".")
        scope = ref.path[:-1]
        node = (flow.field_node(("module", ref.file_path), first) if not scope
                else ("local-all", ref.file_path, scope, first))
        values = [value for value in self.solver.held(node) if value[0] in ("object", "function")]
        for field_name in fields:
            values = [value for holder in values for value in self.solver.held(flow.field_node(holder, field_name))
                      if value[0] in ("object", "function")]
        return values[:flow.MAX_VALUES]

    def seed_declared_parameters(self) -> None:
        """A Python parameter that no call gives a value, annotated with a class of the repository, holds
        an instance of it: an entry point's (a handler, a command or a test that a framework calls). The
        protocol calls on it (`with s:`, `async for x in s`, `s[k]`) and where it is passed on are then
        followed as for an instance made here. A parameter that some call reaches keeps what calls bring."""
        declared_by_file: dict[str, dict[tuple[Scope, str], tuple[str, int]]] = {}
        for function_id, shape in self.shapes.items():
            ref = self.refs.get(function_id)
            if ref is None or ref.definition is None:
                continue
            file_symbols = self.symbols.files[ref.file_path]
            if EXTRACTORS[file_symbols.parse.language].resolution_family != "python":
                continue
            declared = declared_by_file.get(ref.file_path)
            if declared is None:
                declared = declared_by_file[ref.file_path] = {
                    (binding.scope, binding.target): (binding.source, binding.line)
                    for binding in file_symbols.parse.values if binding.kind == "type" and binding.target != RETURN_TARGET}
                release_lists(file_symbols.parse, ("values",))  # held packed again: the dict has what is needed
            receiver = 1 if ref.label == "Method" and not ref.definition.is_static else 0
            for parameter in shape.parameters[receiver:]:
                annotation = declared.get((ref.path, parameter.name))
                if annotation is None or parameter.kind not in ("positional", "keyword-only") or self.solver.held(parameter.node):
                    continue
                found = self.names.lookup_dotted(file_symbols, ref.path, annotation[0], annotation[1])
                if found is not None and found.ref is not None and found.ref.label in CLASS_LABELS and not self._protocol_class(found.ref):
                    self.solver.add(parameter.node, ("instance", found.ref.id), "receiver")

    def _protocol_class(self, ref: SymbolRef) -> bool:
        """A `typing.Protocol` (or a class of one), in any of the definitions of its name (one under `if
        TYPE_CHECKING:`, another for run time): what is annotated with it is never an instance of it,
        only of a class that has its methods (starlette's tests annotate a fixture, a partial, so)."""
        found = self._protocols.get(ref.id)
        if found is None:
            found = self._protocols[ref.id] = any(
                _names_protocol(definition.bases) for owner in self.mro(ref)
                for definition in self.symbols.files[owner.file_path].parse.definitions if definition.path == owner.path)
        return found

    def protocol(self, key: tuple, caller: Callable[[], SymbolRef], file_symbols: FileSymbols, line: int,
                 operand: Node, dunder: str, arguments: tuple[Argument, ...], result: Node) -> None:
        """A call of ``dunder`` on the instances of repository classes ``operand`` holds, or of its
        fallback where the class has none (FALLBACK_PROTOCOLS: `str(p)` runs `__repr__`). The call
        site is made when the first such instance arrives (most operands never hold one)."""
        fallback = FALLBACK_PROTOCOLS.get(dunder, "")
        if dunder not in self.member_names and fallback not in self.member_names:
            return
        solver = self.solver
        method = solver.node(("protocol-method", *key))
        made: list[CallSite] = []

        def on_value(value: Value) -> None:
            if value[0] != "instance":
                return
            chosen = fallback if fallback and not self.defines(value[1], dunder) and self.defines(value[1], fallback) else dunder
            members = solver.member_nodes(value[1], chosen)
            if members and not made:
                ref = caller()
                self.refs.setdefault(ref.id, ref)
                made.append(CallSite(key, ref.id, line, arguments, result, via="protocol"))
                self.sites.append(_Site(made[0], file_symbols))
                solver.call(method, made[0])
            for member in members:
                solver.bind(member, value, method)

        solver.listen(operand, on_value)

    def _element_protocols(self, site: CallSite, source: Node, dunders: tuple[tuple[str, bool], ...]) -> None:
        """`sorted(xs)`, `xs.sort()`, `sum(xs)`: each dunder runs on the elements of ``source``, given
        another element or nothing the program made."""
        element = self.solver.node(("element-of", site.key, "protocol"))
        self.solver.load(source, ANY_KEY, element)
        caller = self.refs[site.caller]
        for dunder, given_element in dunders:
            argument = Argument("positional", element if given_element else self.solver.node(("nothing",)))
            self.protocol((*site.key, "protocol", dunder), lambda: caller, self.symbols.files[caller.file_path], site.line,
                          element, dunder, (argument,), self.solver.node(("element-protocol-result", *site.key, dunder)))

    def fire_builtin_methods(self) -> None:
        """`xs.map(f)`, `items.sort(key=f)`: when no repository method of that name was called, the
        receiver is a builtin value (an array, a list, a promise) whose method calls its arguments."""
        for entry in self.sites:
            if not entry.method_name:
                continue
            family = "python" if EXTRACTORS[entry.file_symbols.parse.language].resolution_family == "python" else "javascript"
            if self.solver.calls.get(entry.site.key):
                continue  # a method of the program's own
            receiver, name = entry.base, entry.method_name
            if receiver is not None:
                self._container_method(family, name, receiver, entry.site)
            slots = CALLING_METHODS.get(family, {}).get(name)
            if not slots:
                continue
            self._call_arguments(entry.site, slots, receiver, CALLBACK_ELEMENT_PARAMETERS.get(family, {}).get(name, (0,)))

    def _container_method(self, family: str, name: str, receiver: Node, site: CallSite) -> None:
        """What a builtin container's method does with elements (library_calls: ELEMENT_*_METHODS)."""
        solver = self.solver
        positional = [a.node for a in site.arguments if a.kind == "positional"]
        stored = ELEMENT_STORING_METHODS.get(family, {}).get(name)
        if stored:  # `queue.push(f)`, `handlers.append(f)`
            for position, argument in enumerate(positional):
                if stored == "*" or position in stored:
                    solver.store(receiver, ANY_KEY, argument)
        if name in ELEMENT_EXTENDING_METHODS.get(family, ()) and positional:  # `handlers.extend(more)`
            element = solver.node(("element-of", site.key))
            solver.load(positional[0], ANY_KEY, element)
            solver.store(receiver, ANY_KEY, element)
        returned = ELEMENT_RETURNING_METHODS.get(family, {}).get(name)
        if returned is not None:  # `queue.shift()`, `table.get(key, fallback)`
            solver.load(receiver, ANY_KEY, site.result)
            for position in returned:
                if position < len(positional):
                    solver.copy(positional[position], site.result, "argument")
        protocols = PROTOCOL_METHODS.get(family, {}).get(name)
        if protocols:  # `tasks.sort()`
            self._element_protocols(site, receiver, protocols)
        view = VIEW_METHODS.get(family, {}).get(name)
        if view is not None:  # `table.values()`, `table.items()`
            self._element_container(site, [receiver], view, 1)

    def _element_container(self, site: CallSite, sources: list[Node], shape: str, offset: int) -> None:
        """The site's result is a new container of the elements of ``sources`` ("elements"), of
        tuples whose field ``offset + i`` holds an element of the i-th source ("pairs"), or of their
        fields each under its own key ("fields": `kwargs.copy()` keeps which value is whose)."""
        solver = self.solver
        container = ("object", ("elements", site.key))
        solver.add(site.result, container, "value")
        if shape == "fields":
            for source in sources:
                solver.listen(source, lambda value: solver.merge_fields(value, container))
            return
        pair = ("object", ("pair", site.key))
        if shape == "pairs":
            solver.store(self.const(container), ANY_KEY, self.const(pair))
        for number, source in enumerate(sources):
            element = solver.node(("element-of", site.key, number))
            solver.load(source, ANY_KEY, element)
            if shape == "pairs":
                solver.store(self.const(pair), str(offset + number), element)
            else:
                solver.store(self.const(container), ANY_KEY, element)

    def edges(self, solution: flow.Solution) -> ProgramCalls:
        result = ProgramCalls(steps=solution.steps)
        by_site: dict[tuple, list[tuple]] = defaultdict(list)  # a site's key → its own and its callbacks' keys
        for key in solution.calls:
            base = key
            while len(base) > 2 and base[-2] == "callback":
                base = base[:-2]
            by_site[base].append(key)
        through_parameters = []
        for entry in self.sites:
            keys = by_site.get(entry.site.key, [])
            if not self._site_edges(entry, solution, keys, result) and entry.site.key in self.parameter_sites:
                through_parameters.append((entry, keys))
        if through_parameters:
            arguments = self.solver.copied_into({self.parameter_sites[entry.site.key] for entry, _ in through_parameters},
                                                "argument")
            for entry, keys in through_parameters:
                self._parameter_site_edges(entry, solution, keys, arguments.get(self.parameter_sites[entry.site.key], []), result)
        first_file = min(self.symbols.files.keys(), default="")
        cut: dict[str, int] = defaultdict(int)
        for kind, where in solution.cut_offs:
            if kind == "values":
                cut[self._file_of(where) or first_file] += 1
            else:
                result.warnings[first_file].append({"pass": "flow", "kind": "flow-bound", "message":
                                                    f"the value-flow solve {where}: some calls may miss targets"})
        for path in sorted(cut.keys() | self._fanned_out.keys()):  # one warning per file, with its counts
            parts = []
            if cut.get(path):
                parts.append(f"{cut[path]} value set(s) reached {flow.MAX_VALUES} values and were cut")
            if self._fanned_out.get(path):
                parts.append(f"{self._fanned_out[path]} call site(s) with more than {FANOUT_LIMIT} callees were "
                             "left to the other call rules")
            result.warnings[path].append({"pass": "flow", "kind": "flow-bound",
                                          "message": "value flow: " + "; ".join(parts) + ": calls there may miss targets"})
        return result

    def _file_of(self, node: object) -> str:
        """The file a solver node belongs to: the first file path or definition id inside it."""
        work, seen = [node], 0
        while work and seen < 50:
            current = work.pop(0)
            seen += 1
            if isinstance(current, tuple):
                work.extend(current)
            elif isinstance(current, str):
                if current in self.refs:
                    return self.refs[current].file_path
                if current in self.symbols.files:
                    return current
        return ""

    def _site_edges(self, entry: _Site, solution: flow.Solution, keys: list[tuple], result: ProgramCalls) -> bool:
        """The site's edges, unless it calls more than FANOUT_LIMIT of the program's own (False)."""
        callees = self._callees(solution, keys)
        own = {callee.ref.id: callee.ref for callee in callees if callee.ref is not None}
        misfits = {function_id for key in keys for function_id in solution.solver.misfits.get(key, ())}
        if (len(own) + len(misfits - own.keys()) > FANOUT_LIMIT and not _one_method_of_many_classes(own.values())
                and not self._dispatch_below(entry.site.caller, own.values())):
            if entry.site.key not in self.parameter_sites:
                self._fanned_out[self.refs[entry.site.caller].file_path] += 1
            return False
        self._add_edges(entry, callees, result)
        return True

    def _dispatch_below(self, caller_id: str, refs: Iterable[SymbolRef]) -> bool:
        """Callees that are methods of one name, each of the caller's own class or of a class below it
        (`self[key]` in `Cache.pop` runs the `__getitem__` of whichever subclass `self` is): a
        dispatch the class hierarchy bounds, not a merge, protocol method or not."""
        caller = self.refs.get(caller_id)
        own_class = self.class_of(caller) if caller is not None and caller.label == "Method" else None
        refs = list(refs)
        if own_class is None or not refs or len({ref.path[-1] for ref in refs}) != 1:
            return False
        for ref in refs:
            owner = self.class_of(ref) if ref.label == "Method" else None
            if owner is None or own_class.id not in {base.id for base in self.mro(owner)}:
                return False
        return True

    def class_of(self, member: SymbolRef) -> SymbolRef | None:
        """The class a method or class attribute is defined in, if it is one's."""
        owner = self.symbols.files[member.file_path].by_path.get(member.path[:-1])
        return owner if owner is not None and owner.label in CLASS_LABELS else None

    def _parameter_site_edges(self, entry: _Site, solution: flow.Solution, keys: list[tuple], arguments: list[int],
                              result: ProgramCalls) -> None:
        """The edges of a call through a parameter past FANOUT_LIMIT: what each argument bound to the
        parameter holds, when that is at most FANOUT_LIMIT callables (the parameter's own set may have
        been cut at flow.MAX_VALUES: an argument's function is called even when it never arrived)."""
        allowed: set[Value] = set()
        for argument in arguments:
            held = solution.held(argument)
            if sum(1 for value in held if value[0] != "external") <= FANOUT_LIMIT:
                allowed.update(self._called_by(value) for value in held)
        callees, left_out = [], False
        for callee in self._callees(solution, keys):
            called = ("function", callee.ref.id) if callee.ref is not None else ("external", callee.external_name)
            if called in allowed or (callee.ref is not None and ("class", callee.ref.id) in allowed):
                callees.append(callee)
                allowed.discard(called)
            else:
                left_out = True
        for value in sorted(allowed):
            ref = self.refs.get(value[1]) if value[0] == "function" else None
            if ref is not None and ref.label in _CALLABLE and solution.solver.may_take(ref.id, entry.site.arguments):
                callees.append(Resolved("flow-argument", FLOW_CONFIDENCE["argument"], ref=ref))
        if left_out:
            self._fanned_out[self.refs[entry.site.caller].file_path] += 1
        self._add_edges(entry, callees, result)

    def _called_by(self, value: Value) -> Value:
        """The definition a call of ``value`` enters: a bound method's or a partial's function."""
        while value[0] in ("bound", "partial"):
            value = ("function", value[1]) if value[0] == "bound" else value[1]
        return value

    def _callees(self, solution: flow.Solution, keys: list[tuple]) -> list[Resolved]:
        callees = []
        for key in keys:
            for value, via in solution.calls[key].items():
                confidence = FLOW_CONFIDENCE.get(via, DEFAULT_FLOW_CONFIDENCE)
                if value[0] in ("function", "class"):
                    ref = self.refs.get(value[1])
                    if ref is None or ref.label not in _CALLABLE:
                        continue
                    callees.append(Resolved(f"flow-{via}", confidence, ref=ref))
                elif value[0] == "external":
                    name = value[1]
                    callees.append(Resolved(f"flow-{via}", confidence, external_name=name,
                                            external_module=name.rsplit(".", 1)[0] if "." in name else name))
        return callees

    def _add_edges(self, entry: _Site, callees: list[Resolved], result: ProgramCalls) -> None:
        site = entry.site
        caller = self.refs[site.caller]
        for callee in callees:
            result.edges[caller.file_path].append(CallEdge(caller, callee, site.line))
            if entry.name:
                site_id = (entry.scope, site.line, entry.name)
                result.resolved_sites[caller.file_path][site_id].add(callee.ref.id if callee.ref else callee.external_name)


def _names_protocol(bases: tuple[str, ...]) -> bool:
    """Whether one of a class's bases is `typing.Protocol` (`Protocol`, `typing.Protocol[T]`)."""
    return any(base.split("[", 1)[0].rsplit(".", 1)[-1] == "Protocol" for base in bases)


# (Python?, async?) -> the method that gives the iterator, and the iterator's method that gives each element
_ITERATION = {(True, False): ("__iter__", "__next__"), (True, True): ("__aiter__", "__anext__"),
              (False, False): ("[Symbol.iterator]", "next"), (False, True): ("[Symbol.asyncIterator]", "next")}


class _FileFlow:
    """One file's facts as constraints."""

    def __init__(self, program: _Program, file_symbols: FileSymbols) -> None:
        self.program = program
        self.solver = program.solver
        self.file = file_symbols
        self.path = file_symbols.parse.path
        self.facts: list[FlowFact] = file_symbols.parse.flow
        self.language = file_symbols.parse.language
        self.is_python = EXTRACTORS[self.language].resolution_family == "python"
        # (scope, name) → [(fact position, conditional, node)] in evaluation order
        self.bindings: dict[tuple[Scope, str], list[tuple[int, bool, Node]]] = defaultdict(list)
        self._binding_of: dict[tuple[int, tuple], Node] = {}
        self._all_nodes: dict[tuple[Scope, str], int] = {}
        self._names: dict[tuple[Scope, str], Node | list | None] = {}  # (scope, name) → `_name_meaning`
        self._compound: dict[tuple[int, int], tuple[Node | None, tuple]] = {}  # `node`'s, with the expression
        self.local_imports = {(binding.scope, binding.alias or binding.name or binding.module.split(".")[0])
                              for binding in file_symbols.parse.imports if binding.scope}
        # (scope, name) of every name an import binds: a CommonJS `const x = require('./m')` is an
        # assignment too, whose call result the facts cannot follow: the import's meaning flows in
        self.imported = {(binding.scope, binding.alias) for binding in file_symbols.parse.imports
                         if binding.alias and not binding.is_type_only}

    # --- the scopes and bindings ------------------------------------------------------------------

    def add_bindings(self) -> None:
        # a decorated Python definition's name, or JS/TS method's, is bound once, to what its decorators
        # make of it (`_decorate`): the bare function is never what the name holds, so it stays out of
        # the name's union. (A JS/TS class or field decorator often returns nothing: the name stays.)
        decorated = {(fact.scope, fact.target[1]) for fact in self.facts
                     if fact.kind == "decorate" and fact.target and fact.target[0] == "name"
                     and (self.is_python or fact.name == "method")}
        bare: set[int] = set()  # nodes of decorated definitions before their decorators
        for position, fact in enumerate(self.facts):
            for name in _bound_names(fact.target) if fact.kind in ("assign", "parameter", "iterate", "enter") else ():
                node = self.solver.node(("local", self.path, fact.scope, name, position))
                self.bindings[(fact.scope, name)].append((position, fact.conditional, node))
                self._binding_of[(position, ("name", name))] = node
                if fact.kind == "assign" and fact.value[:1] == ("def",) and (fact.scope, name) in decorated:
                    bare.add(node)
        for (scope, name), bindings in self.bindings.items():
            for _, _, node in self._outliving(scope, bindings):
                if node not in bare:
                    self.solver.copy(node, self._all_node(scope, name))
        self._shapes()
        if not self.is_python:
            self._add_javascript_shapes()

    def _outliving(self, scope: Scope, bindings: list[tuple[int, bool, int]]) -> list[tuple[int, bool, int]]:
        """The bindings a function or another module sees of a module's or class's name: those that
        outlive the body (the last unconditional one and every conditional one after it), as when the
        function runs after the module was imported. A function's own names: every binding (a
        closure or a loop may see any)."""
        owner = self.file.by_path.get(scope) if scope else None
        if scope and (owner is None or owner.label not in CLASS_LABELS):
            return bindings
        last = max((index for index, (_, conditional, _) in enumerate(bindings) if not conditional), default=0)
        return bindings[last:]

    def _add_javascript_shapes(self) -> None:
        """What JS reads need known before any file's facts add them (a value may arrive at a read
        while an earlier file's facts are added): classes whose base may flow in, object literals
        with accessors; and exports under another name."""
        program, module = self.program, ("module", self.path)
        for fact in self.facts:
            if fact.kind == "extends":
                ref = self.file.by_path.get(tuple(fact.target[1]))
                if ref is not None and len(program.mro(ref)) == 1:  # no base found by name
                    program.dynamic_bases.add(ref.id)
            elif (fact.kind == "assign" and fact.target[:1] == ("attr",) and fact.target[1][:1] == ("alloc",)
                  and fact.target[2].startswith(("get ", "set "))):
                program.accessor_objects.add(("object", (self.path, fact.target[1][1])))
        for export in self.file.parse.exports:  # `export { f as g }`, `module.exports = { g: f }`: field g is f
            if export.local and export.exported not in (export.local, "default", "*"):
                self.solver.copy(flow.field_node(module, export.local), flow.field_node(module, export.exported))

    def add_facts(self) -> None:
        for position, fact in enumerate(self.facts):
            getattr(self, f"_{fact.kind}", self._ignored)(position, fact)

    def _all_node(self, scope: Scope, name: str) -> int:
        """Where every binding of ``name`` in ``scope`` meets: a module's or class's field, or a function's union."""
        found = self._all_nodes.get((scope, name))
        if found is None:
            found = self._all_nodes[(scope, name)] = self.solver.node(self._all_key(scope, name))
        return found

    def _all_key(self, scope: Scope, name: str) -> Node:
        if not scope:
            return flow.field_node(("module", self.path), name)
        owner = self.file.by_path.get(scope)
        if owner is not None and owner.label in CLASS_LABELS:
            member = self.file.children.get(scope, {}).get(name)
            static = member is not None and member.definition is not None and member.definition.is_static
            return flow.field_node((_holder(self.file, on_instance=not static), owner.id), name)
        return ("local-all", self.path, scope, name)

    def _shapes(self) -> None:
        self._returns_by_scope: dict[Scope, set[tuple]] = defaultdict(set)
        for fact in self.facts:
            if fact.kind in ("return", "yield"):
                self._returns_by_scope[fact.scope].add(fact.value)
        parameters: dict[Scope, list[tuple[int, Parameter, tuple]]] = defaultdict(list)
        for position, fact in enumerate(self.facts):
            if fact.kind == "parameter" and fact.target and fact.target[0] == "name":
                node = self._binding_of[(position, ("name", fact.target[1]))]
                parameters[fact.scope].append((fact.index, Parameter(fact.target[1], fact.name or "positional", node), fact.value))
        reading_arguments = set() if self.is_python else self._reading_arguments()
        for scope, ref in self.file.by_path.items():
            if ref.label not in ("Function", "Method"):
                continue
            found = sorted(parameters.get(scope, ()), key=lambda item: item[0])
            shape = FunctionShape(tuple(p for _, p, _ in found), ("returns", ref.id),
                                  bound_skip=1 if self.is_python else 0,
                                  this=None if self.is_python else ("this", ref.id),
                                  returns_parameter=self._returned_parameter(scope, [p.name for _, p, _ in found]),
                                  strict_arity=self.is_python,
                                  arguments=("arguments", ref.id) if ref.id in reading_arguments else None)
            if shape.arguments is not None:
                self.solver.add(shape.arguments, ("object", ("arguments", ref.id)), "argument")
            self.program.shapes[ref.id] = shape
            for _, parameter, default in found:
                self.program.parameter_nodes.add(self.solver.node(parameter.node))
                if parameter.kind == "star":
                    self.solver.add(parameter.node, ("object", ("args", ref.id)), "argument")
                elif parameter.kind == "double-star":
                    self.solver.add(parameter.node, ("object", ("kwargs", ref.id)), "argument")
                if default:
                    source = self.node(scope[:-1], -1, default)
                    if source is not None:
                        self.solver.copy(source, parameter.node, "argument")

    def _reading_arguments(self) -> set[str]:
        """The JS functions whose own code reads `arguments` (and binds no name of that name)."""
        found = set()
        for fact in self.facts:
            if _names_in((fact.value, fact.arguments), "arguments") and not self.bindings.get((fact.scope, "arguments")):
                function = self._this_function(fact.scope)
                if function is not None:
                    found.add(function.id)
        return found

    def _returned_parameter(self, scope: Scope, parameters: list[str]) -> str:
        """The parameter a function returns at every `return`, when it is never bound again there."""
        returned = self._returns_by_scope.get(scope, set())
        if len(returned) != 1:
            return ""
        (value,) = returned
        if not value or value[0] != "name" or value[1] not in parameters:
            return ""
        rebound = len(self.bindings.get((scope, value[1]), ())) > 1  # more than the parameter itself
        return "" if rebound else value[1]

    # --- facts -----------------------------------------------------------------------------------

    def _ignored(self, position: int, fact: FlowFact) -> None:
        return None

    def _assign(self, position: int, fact: FlowFact) -> None:
        if not fact.target and not self._may_run_an_accessor(fact.value):
            return  # a read whose value goes nowhere (`if (a.b)`) matters only when it runs a getter
        value = self.node(fact.scope, position, fact.value)
        if value is None and fact.target[:1] == ("attr",):
            value = self.solver.node(_or_nothing(None))  # `o.x = 'dark'` still runs a setter
        if value is not None:
            self.bind(fact.scope, position, fact.target, value)
        if not self.is_python and _rooted_at_call(fact.value):  # `const { f } = require('./m')`
            for name in _bound_names(fact.target):
                node = self._binding_of.get((position, ("name", name)))
                if node is not None and (fact.scope, name) in self.imported:
                    found = self.program.names.lookup(self.file, fact.scope, name)
                    meaning = self._resolved(found) if found is not None else None
                    if meaning is not None:
                        self.solver.copy(meaning, node, "value")

    def _may_run_an_accessor(self, expression: tuple) -> bool:
        property_names = self.program.property_names
        while expression and expression[0] == "attr":
            if expression[2] in property_names:
                return True
            expression = expression[1]
        return False

    def _parameter(self, position: int, fact: FlowFact) -> None:
        return None  # bound by calls (resolve/flow.py) and defaults (_shapes)

    def _call(self, position: int, fact: FlowFact) -> None:
        callee = self.node(fact.scope, position, fact.value)
        arguments = []
        for kind, keyword, expression in fact.arguments:
            node = self.node(fact.scope, position, expression)
            arguments.append(Argument(kind, _or_nothing(node), keyword or ""))
        receiver = base = None
        method_name = ""
        if fact.value and fact.value[0] == "attr":
            base = self.node(fact.scope, position, fact.value[1])
            if not self.is_python:  # JS binds `this` to it; Python passes it as the first parameter
                receiver = base
            method_name = fact.value[2]
        caller = self.file.ref_for_scope(fact.scope, fact.line)
        self.program.refs.setdefault(caller.id, caller)
        site = CallSite((self.path, fact.index), caller.id, fact.line, tuple(arguments), self._result(fact.index),
                        is_new=fact.is_new, receiver=receiver)
        if not self.is_python and any(expression[:1] == ("attr",) and expression[2] == "prototype"
                                      for _, _, expression in fact.arguments):
            self.program.prototype_sites.add(site.key)  # `Object.create(P.prototype)`, written as such
        called = _called_name(fact.value)
        self.program.sites.append(_Site(site, self.file, method_name, fact.scope, called, base))
        parameter = self._parameter_called(fact.scope, position, fact.value)
        if parameter is not None:
            self.program.parameter_sites[site.key] = parameter
        if callee is not None:
            self.solver.call(callee, site)

    def _parameter_called(self, scope: Scope, position: int, callee: tuple) -> int | None:
        """The parameter a call calls through, if any: `fn(…)` where ``fn`` reads the parameter's one
        binding (its own function's, or an enclosing one's: a decorator's wrapper), or JS `fn.call(…)`,
        `fn.apply(…)` on one."""
        if not self.is_python and callee[:1] == ("attr",) and callee[2] in ("call", "apply"):
            callee = callee[1]
        if callee[:1] != ("name",):
            return None
        meaning = self._names.get((scope, callee[1]))
        if isinstance(meaning, list):  # the function's own name: the binding that reaches the call
            node = self._reaching(scope, callee[1], position, meaning)
        elif meaning is not None and type(meaning) is int:  # an enclosing function's name: all its bindings
            owner = next(((prefix, callee[1]) for depth in range(len(scope) - 1, -1, -1)
                          if self._all_nodes.get(((prefix := scope[:depth]), callee[1])) == meaning), None)
            bindings = self.bindings.get(owner, []) if owner else []
            node = bindings[0][2] if len(bindings) == 1 else None
        else:
            return None
        node = self.solver.node(node) if node is not None else None
        return node if node in self.program.parameter_nodes else None

    def _return(self, position: int, fact: FlowFact) -> None:
        function = self._function_of(fact.scope)
        value = self.node(fact.scope, position, fact.value)
        if function is not None and value is not None:
            self.solver.copy(value, ("returns", function.id), "return")

    def _yield(self, position: int, fact: FlowFact) -> None:
        function = self._function_of(fact.scope)
        if function is None:
            return
        generator = self.program.const(("object", ("generator", function.id)))
        self.solver.copy(generator, ("returns", function.id), "return")
        value = self.node(fact.scope, position, fact.value)
        if value is not None:
            self.solver.store(generator, ANY_KEY, value)

    def _raise(self, position: int, fact: FlowFact) -> None:
        if not fact.value or fact.value[0] == "call":
            return  # `raise X(…)`: the call fact instantiates it
        value = self.node(fact.scope, position, fact.value)
        if value is None:
            return
        caller = self.file.ref_for_scope(fact.scope, fact.line)
        self.program.refs.setdefault(caller.id, caller)
        site = CallSite((self.path, "raise", position), caller.id, fact.line, (), ("raised", self.path, position))
        self.program.sites.append(_Site(site, self.file))
        self.solver.listen(value, lambda token: self.solver.call(self.program.const(token), site)
                           if token[0] in ("class", "external") else None)

    def _iterate(self, position: int, fact: FlowFact) -> None:
        value = self.node(fact.scope, position, fact.value)
        if value is None:
            return
        elements = ("elements", self.path, position)
        self.solver.load(value, ANY_KEY, elements)
        iterating, following_name = _ITERATION[self.is_python, fact.name == "async"]
        iterator = self._protocol(fact, position, value, iterating, "iter")
        following = self._protocol(fact, position, iterator, following_name, "next")
        self.solver.copy(following, elements, "element")
        if fact.target:
            self.bind(fact.scope, position, fact.target, elements)

    def _enter(self, position: int, fact: FlowFact) -> None:
        value = self.node(fact.scope, position, fact.value)
        if value is None:
            return
        entering, exiting = ("__aenter__", "__aexit__") if fact.name == "async" else ("__enter__", "__exit__")
        entered = self._protocol(fact, position, value, entering, "enter")
        self._protocol(fact, position, value, exiting, "exit")
        solver = self.solver

        def generated(manager: Value) -> None:
            """A generator is no context manager: one that a `with` enters came through contextlib's
            (async)contextmanager, whose `__enter__` gives what the generator yields."""
            if manager[0] == "object" and manager[1][0] == "generator":
                solver.copy(solver.field(manager, ANY_KEY), entered, "element")

        solver.listen(value, generated)
        if fact.target:
            self.bind(fact.scope, position, fact.target, entered)

    def _operator(self, position: int, fact: FlowFact) -> None:
        value = self.node(fact.scope, position, fact.value)
        if value is None:
            return
        arguments = tuple(Argument("positional", _or_nothing(self.node(fact.scope, position, e))) for e in fact.arguments)

        def run() -> None:
            result = self._protocol(fact, position, value, fact.name, "operator", arguments)
            self.solver.copy(result, self._result(fact.index))

        if not fact.target:
            run()
            return
        # `len(x)`: the protocol runs where the name holds the builtin; not where it is a parameter
        # (`hash=tuple.__hash__`), a local or a def, but through an import of it (`from .compat import str`)
        builtin, callee, ran = ("external", f"<builtin>.{fact.target[1]}"), self.node(fact.scope, position, fact.target), []

        def on_callee(held: Value) -> None:
            if held == builtin and not ran:
                ran.append(True)
                run()

        if callee is not None:
            self.solver.listen(callee, on_callee)

    def _extends(self, position: int, fact: FlowFact) -> None:
        """`class … extends Mixin(Base)` / `Base => class extends Base`: a base that name resolution
        did not find is whatever the expression holds; the class's prototype inherits its prototype."""
        ref = self.file.by_path.get(tuple(fact.target[1]))
        if ref is None or ref.id not in self.program.dynamic_bases:
            return  # the base resolved by name: the class's members come along its MRO
        base = self.node(fact.scope, position, fact.value)
        if base is None:
            return
        own, solver = ("prototype", ref.id), self.solver
        solver.listen(base, lambda value: solver.inherit(own, ("prototype", value[1]))
                      if value[0] in ("class", "function") else None)

    def _decorate(self, position: int, fact: FlowFact) -> None:
        """The name is bound again to what its decorators return, innermost first; each is called."""
        if not fact.target or fact.target[0] != "name":
            return
        name = fact.target[1]
        definition = self._latest_binding(fact.scope, name, position)
        if definition is None:
            return
        caller = self.file.ref_for_scope(fact.scope, fact.line)
        self.program.refs.setdefault(caller.id, caller)
        current = definition
        for number, expression in enumerate(fact.arguments):
            decorator = self.node(fact.scope, position, expression)
            if decorator is None:
                return
            key = (self.path, "decorate", position, number)
            if fact.name == "method":
                current = self._decorate_method(decorator, key, caller.id, fact.line, current)
                continue
            result = ("decorated", self.path, position, number)
            self._call_decorator(decorator, key, caller.id, fact.line, (current,), result)
            current = result
        node = self.solver.node(("local", self.path, fact.scope, name, position))
        self.bindings[(fact.scope, name)].append((position, False, node))
        self.solver.copy(current, node, "decorator")
        self.solver.copy(node, self._all_node(fact.scope, name))

    def _call_decorator(self, decorator: int, key: tuple, caller: str, line: int, arguments: tuple, result: Node) -> None:
        site = CallSite(key, caller, line, tuple(Argument("positional", a) for a in arguments), result)
        self.program.sites.append(_Site(site, self.file))
        self.solver.call(decorator, site)

    def _decorate_method(self, decorator: int, key: tuple, caller: str, line: int, method: Node) -> int:
        """A JS/TS method decorator, called the two ways a compiler may call it. Legacy
        (`experimentalDecorators`): with (prototype, name, descriptor); the method becomes what the
        decorator writes into `descriptor.value`, or the value of a descriptor it returns. TC39
        standard: with (method, context); a function it returns replaces the method. The other
        way's call binds parameters the decorator does not use that way, so it adds no call. When
        neither gives a new value (a decorator that only registers the method), the method stays."""
        solver, program = self.solver, self.program
        descriptor = ("descriptor", key)
        solver.copy(method, solver.field(descriptor, "value"))
        nothing = ("nothing",)
        legacy, standard = ("decorated", *key, "legacy"), ("decorated", *key, "standard")
        self._call_decorator(decorator, key, caller, line, (nothing, nothing, program.const(descriptor)), legacy)
        self._call_decorator(decorator, (*key, "standard"), caller, line, (method, nothing), standard)
        replaced = solver.fresh(("decorated", *key))
        solver.copy(solver.field(descriptor, flow.WRITTEN_VALUE), replaced, "decorator")
        solver.copy(standard, replaced, "decorator")
        solver.listen(legacy, lambda value: value[0] == "object" and solver.load(program.const(value), "value", replaced))
        solver.otherwise(replaced, method)
        return replaced

    # --- helpers -----------------------------------------------------------------------------------

    def _protocol(self, fact: FlowFact, position: int, operand: Node, dunder: str, kind: str,
                  arguments: tuple[Argument, ...] = ()) -> Node:
        """A call of ``dunder`` on the instances of repository classes ``operand`` holds; its result."""
        result = self.solver.node(("protocol-result", self.path, position, dunder))
        self.program.protocol((self.path, kind, position, dunder), lambda: self.file.ref_for_scope(fact.scope, fact.line),
                              self.file, fact.line, operand, dunder, arguments, result)
        return result

    def _property_access(self, scope: Scope, position: int, base: Node, name: str, result: Node | None,
                         assigned: Node | None = None) -> None:
        """Reading (``result``) or assigning (``assigned``) a property of an instance calls its getter or
        setter (one definition name for both)."""
        program, solver = self.program, self.solver
        if name not in program.property_names:
            return
        line = self.facts[position].line if 0 <= position < len(self.facts) else 0
        site_key = (self.path, "property", position, name, "set" if assigned is not None else "get")
        arguments = (Argument("positional", assigned),) if assigned is not None else ()

        def on_value(value: Value) -> None:
            if value[0] == "object":
                if value in program.accessor_objects:
                    on_object(value)
                return
            if value[0] not in ("instance", "class"):
                return
            accessor = program.property_of(value[1], name)
            if accessor is None or (value[0] == "class") != bool(accessor.definition and accessor.definition.is_static):
                return  # a class runs its static accessors (JS `static get x()`), an instance the others
            caller = self.file.ref_for_scope(scope, line)
            program.refs.setdefault(caller.id, caller)
            site = CallSite(site_key, caller.id, line, arguments, ("property-result", *site_key), via="protocol")
            if site_key not in program.property_sites:
                program.property_sites.add(site_key)
                program.sites.append(_Site(site, self.file))
            solver.call(program.const(("bound", accessor.id, value)), site)
            if result is not None:
                solver.copy(site.result, result, "protocol")

        def on_object(value: Value) -> None:
            """An object literal's accessor (`{ get x() {} }`) sits in field "get x" (or "set x"); it is
            called with the object as `this`."""
            key = (*site_key, "object")
            caller = self.file.ref_for_scope(scope, line)
            program.refs.setdefault(caller.id, caller)
            site = CallSite(key, caller.id, line, arguments, ("property-result", *key), receiver=base, via="protocol")
            if key not in program.property_sites:
                program.property_sites.add(key)
                program.sites.append(_Site(site, self.file))
            solver.call(solver.field(value, f"{site_key[-1]} {name}"), site)
            if result is not None:
                solver.copy(site.result, result, "protocol")

        solver.listen(base, on_value)

    def _function_of(self, scope: Scope) -> SymbolRef | None:
        ref = self.file.by_path.get(scope)
        return ref if ref is not None and ref.label in ("Function", "Method") else None

    def _latest_binding(self, scope: Scope, name: str, position: int) -> Node | None:
        before = [node for at, _, node in self.bindings.get((scope, name), ()) if at < position]
        return before[-1] if before else None

    def bind(self, scope: Scope, position: int, pattern: tuple, value: Node) -> None:
        """Bind ``pattern`` to what ``value`` holds: a name's binding of this fact, an attribute or
        item store, or each part of a sequence pattern."""
        work = [(pattern, value)]
        while work:
            target, source = work.pop()
            if not target:
                continue
            kind = target[0]
            if kind == "name":
                node = self._binding_of.get((position, target))
                if node is not None:
                    self.solver.copy(source, node)
            elif kind == "attr":
                base = self.node(scope, position, target[1])
                if base is not None:
                    self.solver.store(base, target[2], source)
                    self._property_access(scope, position, base, target[2], None, source)
            elif kind == "item":
                base = self.node(scope, position, target[1])
                if base is not None:
                    self.solver.store(base, ANY_KEY if target[2] is None else str(target[2]), source)
            elif kind == "seq":
                parts, star = target[1], target[2]
                for index, part in enumerate(parts):
                    element = self.solver.fresh(("part", self.path, position, target, index))
                    if index == star:
                        rest = self.program.const(("object", ("rest", self.path, position, index)))
                        every = self.solver.fresh(("part-all", self.path, position, target))
                        self.solver.load(source, ANY_KEY, every)
                        self.solver.store(rest, ANY_KEY, every)
                        element = rest
                    elif star < 0 or index < star:
                        self.solver.load(source, str(index), element)
                    else:
                        self.solver.load(source, ANY_KEY, element)
                    work.append((part, element))

    def node(self, scope: Scope, position: int, expression: tuple, depth: int = 0) -> Node | None:
        """The node holding what ``expression`` evaluates to at fact ``position`` in ``scope``. A
        compound expression's node is made once per fact (kept by the expression's identity: its
        tuple lives in the facts as long as the solve, and is kept here too)."""
        if not expression or depth > 100:
            return None
        kind = expression[0]
        if kind in _COMPOUND:
            if position < 0:  # a parameter's default, read once
                return self._compound_node(scope, position, expression, depth)
            key = (position, id(expression))
            found = self._compound.get(key)
            if found is None:
                found = self._compound[key] = (self._compound_node(scope, position, expression, depth), expression)
            return found[0]
        if kind == "name":
            return self._name(scope, position, expression[1])
        return self._simple_node(scope, position, expression)

    def _compound_node(self, scope: Scope, position: int, expression: tuple, depth: int) -> Node | None:
        kind = expression[0]
        if kind == "attr":
            if expression[1] == ("super",):
                return self._super_member(scope, position, expression[2])
            base = self.node(scope, position, expression[1], depth + 1)
            if base is None:
                return None
            target = self.solver.fresh(("attr", self.path, position, expression))
            self.solver.load(base, expression[2], target, property_read=True)
            self._property_access(scope, position, base, expression[2], target)
            return target
        if kind == "item":
            base = self.node(scope, position, expression[1], depth + 1)
            if base is None:
                return None
            target = self.solver.fresh(("item", self.path, position, expression))
            self.solver.load(base, ANY_KEY if expression[2] is None else str(expression[2]), target)
            return target
        if kind == "either":
            target = self.solver.fresh(("either", self.path, position, expression))
            for part in expression[1]:
                source = self.node(scope, position, part, depth + 1)
                if source is not None:
                    self.solver.copy(source, target)
            return target
        if kind == "instance":
            classes = self.node(scope, position, expression[1], depth + 1)
            if classes is None:
                return None
            target = self.solver.fresh(("instance-of", self.path, position, expression))
            self.solver.listen(classes, lambda value: self.solver.add(target, ("instance", value[1]), "instantiation")
                               if value[0] == "class" else None)
            return target
        return None

    def _simple_node(self, scope: Scope, position: int, expression: tuple) -> Node | None:
        kind = expression[0]
        if kind == "call":
            return self._result(expression[1])
        if kind == "def":
            path = tuple(expression[1])
            ref = self.file.by_path.get(path)
            line = self.facts[position].line if 0 <= position < len(self.facts) else -1
            for twin in self.file.duplicates.get(path, ()):  # `if …: def f` / `else: def f`: this one
                if twin.definition is not None and twin.definition.start_line == line:
                    ref = twin
            if ref is None or (ref.definition is not None and ref.definition.is_type_only):
                return None  # an `if TYPE_CHECKING:` definition does not exist at run time
            self.program.refs.setdefault(ref.id, ref)
            if ref.label in CLASS_LABELS:
                if not self.is_python:  # `C.prototype` is where `C.prototype.m = …` puts instance methods
                    self.solver.add(flow.field_node(("class", ref.id), "prototype"), ("prototype", ref.id), "value")
                return self.program.const(("class", ref.id))
            if ref.label in ("Function", "Method"):
                if not self.is_python:  # any JS function may be a constructor: `F.prototype.m = …`
                    self.solver.add(flow.field_node(("function", ref.id), "prototype"), ("prototype", ref.id), "value")
                return self.program.const(("function", ref.id))
            return None
        if kind == "alloc":
            return self.program.const(("object", (self.path, expression[1])))
        if kind == "this":
            function = self._this_function(scope)
            return ("this", function.id) if function is not None else None
        return None

    def _result(self, index: int) -> int:
        """The node of what call number ``index`` of the file returns."""
        return self.solver.node(("result", self.path, index))

    def _this_function(self, scope: Scope) -> SymbolRef | None:
        """JS `this`: of the innermost non-arrow function; arrows are not told apart yet, so the innermost."""
        while scope:
            ref = self.file.by_path.get(scope)
            if ref is not None and ref.label in ("Function", "Method"):
                return ref
            scope = scope[:-1]
        return None

    def _super_member(self, scope: Scope, position: int, name: str) -> Node | None:
        """`super().name` in a method of class C: the member after C in the MRO of each receiver."""
        method = self._function_of(scope)
        owner = self.file.by_path.get(scope[:-1]) if scope else None
        if method is None or owner is None or owner.label not in CLASS_LABELS:
            return None
        shape = self.program.shapes.get(method.id)
        if shape is None:
            return None
        receivers = shape.parameters[0].node if (self.is_python and shape.parameters) else shape.this
        if receivers is None:
            return None
        target = ("super", self.path, position, name)
        program, solver = self.program, self.solver
        if self.is_python:  # `super()` itself is a call of the builtin
            caller = self.file.ref_for_scope(scope)
            site = CallSite((self.path, "super", position, name), caller.id, self.facts[position].line if position >= 0 else 0,
                            (), ("super-result", self.path, position))
            program.sites.append(_Site(site, self.file))
            solver.call(program.const(("external", "<builtin>.super")), site)

        def on_receiver(value: Value) -> None:
            if value[0] not in ("instance", "class"):
                return
            receiver_class = program.refs.get(value[1])
            if receiver_class is None:
                return
            mro = program.mro(receiver_class)
            ids = [c.id for c in mro]
            if owner.id not in ids:
                return
            for after in mro[ids.index(owner.id) + 1:]:
                member = flow.field_node(("class", after.id), name)
                solver.bind(member, value, target) if value[0] == "instance" else solver.copy(member, target)
                if name in program.symbols.files[after.file_path].children.get(after.path, {}):
                    break

        solver.listen(receivers, on_receiver)
        return target

    def _name(self, scope: Scope, position: int, name: str) -> Node | None:
        key = (scope, name)
        found = self._names.get(key, _UNSEEN)
        if found is _UNSEEN:
            found = self._names[key] = self._name_meaning(scope, name)
        if isinstance(found, list):  # the bindings of this very scope: which of them reach the read
            return self._reaching(scope, name, position, found)
        return found

    def _name_meaning(self, scope: Scope, name: str) -> Node | list | None:
        """Where ``name`` read in ``scope`` takes its value from, whatever the position: one node, or
        the scope's own bindings (a list, which `_decorate` may still extend)."""
        for depth in range(len(scope), -1, -1):
            prefix = scope[:depth]
            owner = self.file.by_path.get(prefix) if prefix else None
            if prefix and owner is not None and owner.label in CLASS_LABELS and depth != len(scope):
                continue  # a class body's names are hidden from its methods
            if prefix and (prefix, name) in self.local_imports:  # `from m import f` inside a function
                found = self.program.names.lookup(self.file, scope, name)
                return self._resolved(found) if found is not None else None
            bindings = self.bindings.get((prefix, name))
            if not bindings:
                continue
            if prefix != scope or (owner is not None and owner.label in CLASS_LABELS):
                return self._all_node(prefix, name)
            return bindings
        if not self.is_python and name in ("exports", "module"):  # CommonJS: this module's exports
            return self._commonjs(name)
        if not self.is_python and name == "arguments":  # the arguments object of the function around
            function = self._this_function(scope)
            shape = self.program.shapes.get(function.id) if function is not None else None
            if shape is not None and shape.arguments is not None:
                return self.solver.node(shape.arguments)
        found = self.program.names.lookup(self.file, scope, name)
        return self._resolved(found) if found is not None else None

    def _commonjs(self, name: str) -> int:
        """`exports` is the module's exports object; `module` holds it as `module.exports`
        (`_Program.commonjs_exports`)."""
        exports = self.program.commonjs_exports(self.path)
        if name == "exports":
            return exports
        return self.program.const(_commonjs_module(self.path))

    def _reaching(self, scope: Scope, name: str, position: int, bindings: list[tuple[int, bool, Node]]) -> Node:
        """The bindings that reach a read at ``position``: the latest unconditional one before it and
        every conditional one after that; all of them when none comes before (a loop's next turn)."""
        before = [(at, conditional, node) for at, conditional, node in bindings if at < position]
        if not before:
            return self._all_node(scope, name)
        reaching = []
        for at, conditional, node in reversed(before):
            reaching.append(node)
            if not conditional:
                break
        if len(reaching) == 1:
            return reaching[0]
        target = self.solver.node(("reaching", self.path, scope, name, position))
        for node in reaching:
            self.solver.copy(node, target)
        return target

    def _resolved(self, found: Resolved) -> Node | None:
        """A name's meaning from the NameResolver as a node: a definition, module, external name, or
        another file's module-level variable."""
        if found.reason == LOCAL_VALUE:
            return None
        ref = found.ref
        if ref is not None:
            self.program.refs.setdefault(ref.id, ref)
            if ref.label in CLASS_LABELS:
                return self.program.const(("class", ref.id))
            if ref.label in ("Function", "Method"):
                return self.program.const(("function", ref.id))
            if ref.label == "Variable":
                if len(ref.path) == 1:
                    return flow.field_node(("module", ref.file_path), ref.path[0])
                owner = self.program.class_of(ref)
                if owner is not None:
                    return flow.field_node(("class", owner.id), ref.path[-1])
            return None
        if found.file_path:
            return self.program.module_exports(found.file_path)
        if found.external_name:
            return self.program.const(("external", found.external_name))
        return None


_UNSEEN = object()
_CONTAINER_METHODS = frozenset(name for table in (CALLING_METHODS, ELEMENT_STORING_METHODS, ELEMENT_RETURNING_METHODS,
                                                 ELEMENT_EXTENDING_METHODS, VIEW_METHODS)
                               for methods in table.values() for name in methods)
_COMPOUND = frozenset({"attr", "item", "either", "instance"})  # expressions whose node is made, not named


def _commonjs_module(path: str) -> Value:
    """The token of a JS module's `module` object, whose `exports` field `require` gives."""
    return ("object", ("commonjs-module", path))


def _rooted_at_call(expression: tuple) -> bool:
    """A call's result, or a field of one (`require('./m').f`, as a destructuring `{ f } = …` reads it)."""
    while expression and expression[0] == "attr":
        expression = expression[1]
    return bool(expression) and expression[0] == "call"


def _or_nothing(node: Node | None) -> Node:
    """An argument whose value the facts do not follow: a node nothing flows into."""
    return ("nothing",) if node is None else node


def _holder(file_symbols: FileSymbols, on_instance: bool) -> str:
    """Where a class's members live: Python keeps them all on the class; a JS class keeps instance
    members on its prototype and static ones on itself."""
    if EXTRACTORS[file_symbols.parse.language].resolution_family == "python":
        return "class"
    return "prototype" if on_instance else "class"


def _called_name(callee: tuple) -> str:
    """The name the other call rules know a call by (records.CallSite.callee): `f`, `m` of `x.m()`,
    ELEMENT_CALL for `xs[k]()`; "" for any other callee."""
    if not callee:
        return ""
    if callee[0] == "name":
        return callee[1]
    if callee[0] == "attr":
        return callee[2]
    if callee[0] == "item":
        return ELEMENT_CALL
    return ""


def _one_method_of_many_classes(refs: Iterable[SymbolRef]) -> bool:
    """Callees that are all methods of one name (`tag.check(v)` over every tag class) are a dispatch
    on the receiver's class, which may reach many; callees of many names are what a merge made."""
    names = {ref.path[-1] if ref.label == "Method" else None for ref in refs}
    name = next(iter(names)) if len(names) == 1 else None
    # not a protocol method: `repr(x)`, `x(…)` over many classes is what a merge of everything printed made
    return name is not None and not (name.startswith("__") and name.endswith("__"))


def _names_in(expression: object, name: str) -> bool:
    """Whether an expression (nested tuples) reads ``name``."""
    work = [expression]
    while work:
        current = work.pop()
        if type(current) is tuple:
            if len(current) == 2 and current[0] == "name" and current[1] == name:
                return True
            work.extend(current)
    return False


def _bound_names(pattern: tuple) -> list[str]:
    """The plain names a pattern binds (attributes and items are stores, not bindings)."""
    names, work = [], [pattern]
    while work:
        current = work.pop()
        if not current:
            continue
        if current[0] == "name":
            names.append(current[1])
        elif current[0] == "seq":
            work.extend(current[1])
    return names
