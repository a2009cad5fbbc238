"""The value-flow solver: which definitions each name, attribute and expression may hold.

Takes: subset constraints between nodes (a name's binding, an attribute or constant-key field of an
abstract value, a function's parameters and return, a call's result), built from the language-neutral
flow facts of every file (resolve/flow_program.py). Returns: for every node the set of abstract values
it may hold, and the calls each call site makes. One work list runs to a fixpoint; nothing recurses.

Abstract values are tokens (`Value`): a function, a class, an instance of a class, an object or
container allocated at one site, a module, an external (library or builtin) name, a function bound to
a receiver. Constraints are edges: `copy` (what src holds, dst holds), `load` (a field of whatever
base holds), `store` (into a field of whatever base holds) and `call` (whatever callee holds is called
with these arguments). When a new token reaches a node, the listeners of that node (its loads, stores
and calls) fire for that token only, so each (constraint, token) pair is handled once.

Bounds: a node holds at most MAX_VALUES tokens; one more makes it *saturated*: it keeps what it has,
gains nothing more, and is counted and named in `Solution.cut_offs`, so the run summary can report it.
The total work is bounded by MAX_STEPS token arrivals; past that the solve stops where it is and says
so. Both bounds give fewer edges, never wrong ones (sets only grow).

Context-insensitive across calls (one node per parameter, fed by every call site), field-sensitive for
attributes and constant keys; flow sensitivity inside a function comes from the builder, which gives
each binding of a name its own node and each read the bindings that reach it.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

Value = tuple
"""A token. ("function", id) a function, method or anonymous function; ("class", id); ("instance",
class id) (or a JS constructor function's id: what `new F()` makes); ("object", site) an object or container literal, or a parameter's `*args`/`**kwargs`;
("module", path); ("external", dotted name); ("bound", function id, receiver Value) a method read off
an instance or class; ("partial", function Value, n positional args) a partial application;
("function-method", "call" | "apply" | "bind", function Value) a JS function's own method;
("identity",) a decorator that gives back what it decorates (made by `functools.wraps(fn)`);
("descriptor", key) the property descriptor a legacy JS/TS method decorator receives: its "value" field
holds the method it describes, and a store into it lands in WRITTEN_VALUE, what the method becomes."""

Node = tuple
ANY_KEY = "*"  # the field of a container whose key is not a constant: every element
WRITTEN_VALUE = "value="  # the descriptor field a decorator's `descriptor.value = wrapper` writes
# A set past 16 tokens is "any of many" (a `cls(...)` fed every model class of a test suite), and a call
# through more than 4 gives no edge anyway (flow_program.FANOUT_LIMIT). At 64 the solve cost 25-30% more
# than at 32; at 16 lodash's edit re-solve took 0.75 s instead of 1.33, with the same suite figures and
# CALLS within 0.5% on lodash, attrs, flask and pydantic (docs/benchmarks.md section 26). At 8 a set cut
# sooner leaks more of its arbitrary first tokens into smaller sets downstream (attrs: +190 CALLS).
MAX_VALUES = 16
MAX_STEPS = 2_000_000


@dataclass(frozen=True, slots=True)
class Argument:
    """One argument of a call: ``kind`` positional, keyword, star (`*xs`) or double-star (`**kw`)."""

    kind: str  # "positional" | "keyword" | "star" | "double-star"
    node: Node
    keyword: str = ""


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    kind: str  # "positional" | "keyword-only" | "star" | "double-star"
    node: Node


@dataclass(frozen=True, slots=True)
class CallSite:
    """A call expression (or an implicit protocol call) made by ``caller`` (a definition id)."""

    key: tuple  # unique: (file, index) or (file, index, protocol name)
    caller: str
    line: int
    arguments: tuple[Argument, ...]
    result: Node
    is_new: bool = False
    receiver: Node | None = None  # the object a `receiver.m()` call binds `this`/`self` to (JS)
    via: str = ""  # the reason of every edge it makes, whatever brought the callee (callbacks, protocols)


@dataclass(slots=True)
class FunctionShape:
    """What the solver needs of a callable definition to bind a call to it."""

    parameters: tuple[Parameter, ...]
    returns: Node
    bound_skip: int = 1  # parameters a bound call fills with the receiver (0 for a staticmethod)
    this: Node | None = None  # JS `this` inside the function
    # the function returns only this parameter, never rebound (`def deco(f): return f`): a call's result is
    # its own argument, so two calls never mix their values through the one return node
    returns_parameter: str = ""
    # a call passing more positional arguments than it has places for, or a keyword it has no parameter
    # of, raises TypeError (Python): such a function is not what the call calls. JS takes any arguments.
    strict_arity: bool = False
    # JS: the node of the function's `arguments` object, when its body reads it: every call stores its
    # positional arguments there by place ("0", "1", …), or anywhere after a spread
    arguments: Node | None = None


class Environment:
    """What the solver asks the program: functions' shapes, classes' members, library behaviour."""

    def function(self, function_id: str) -> FunctionShape | None:
        raise NotImplementedError

    def member(self, class_id: str, name: str, on_instance: bool = True) -> list[Node]:
        """The field nodes a read of ``name`` on an instance of the class (or, ``on_instance`` false,
        on the class itself) takes values from, along the MRO up to the first class that defines it."""
        raise NotImplementedError

    def constructors(self, class_id: str) -> list[str]:
        """The methods instantiation runs (`__init__`, `__new__`, `constructor`), inherited ones included."""
        raise NotImplementedError

    def binds_receiver(self, function_id: str) -> bool:
        """Whether a function read off an instance becomes a bound method (not a staticmethod)."""
        raise NotImplementedError

    def binds_class(self, function_id: str) -> bool:
        """Whether a function read off an instance or a class is bound to the class (a classmethod)."""
        return False

    def external_call(self, name: str, site: CallSite, solver: "Solver") -> None:
        """A call of a library or builtin name: it may call its arguments (`map(f, xs)`)."""

    def borrowed_call(self, name: str, site: CallSite, solver: "Solver") -> bool:
        """Whether a call of the external ``name`` is a function method applied to another callable
        (JS `Math.max.apply(null, xs)` calls `Math.max`; `Function.prototype.call.call(f, o)` calls f;
        `Array.prototype.map.call(xs, f)` is `xs.map(f)`): then the environment makes that call, and
        the external is no callee of its own."""
        return False

    def prototype_of(self, class_id: str) -> Value | None:
        """The token whose properties instances of a JS constructor function read (("prototype", id)),
        else None: a class's members come from the environment's `member`."""
        return None

    def container_method(self, name: str, value: Value) -> bool:
        """Whether ``name`` is a method of the builtin containers of ``value``'s language (`forEach`,
        `map`, Python's `clear`): a read of it off ``value`` is never one of its elements."""
        return False

    def function_methods(self, function_id: str) -> frozenset[str]:
        """The methods every function of the definition's language has (JS `call`, `apply`, `bind`)."""
        return frozenset()

    def external_member(self, name: str, attribute: str) -> bool:
        """Whether a read of ``attribute`` off the external ``name`` may give a value (`os.path` off
        `os`); not a JS builtin constructor's name it does not have (library_calls.builtin_member)."""
        return True

    def defined_name(self, definition_id: str) -> str | None:
        """The name a function or class was defined under (`on` for `on() {}` or `P.prototype.on =
        function`); None for an anonymous one."""
        return None


@dataclass(slots=True)
class Solution:
    calls: dict[tuple, dict[Value, str]]  # call site key → the callables it calls, each with how it got there
    cut_offs: list[tuple[str, object]]  # (what was cut: "values" or "steps", the node or a message)
    steps: int
    solver: "Solver"

    def held(self, node: Node) -> dict[Value, str]:
        """What ``node`` holds at the fixpoint, each token with the hop that first brought it."""
        return self.solver.held(node)


class Solver:
    """Subset constraints over nodes, solved by a work list of (node, token) arrivals.

    Nodes come in as tuples (the builder's names for them) and are interned to integers on the way
    in: the builder's tuples nest whole expressions, and hashing them again at every arrival cost more
    than the solve itself. Every method takes either form."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self._ids: dict[Node, int] = {}
        self._keys: list[Node] = []  # an interned node's tuple, by its number
        self._held: list[dict[Value, str]] = []  # by node number: token → the hop that first brought it
        self._copies: dict[int, list[tuple[int, str]]] = defaultdict(list)
        self._loads: dict[int, list[tuple[str, int, bool]]] = defaultdict(list)  # (field, target, a property read)
        self._stores: dict[int, list[tuple[str, int]]] = defaultdict(list)
        self._calls: dict[int, list[CallSite]] = defaultdict(list)
        self._binds: dict[int, list[tuple[Value, int]]] = defaultdict(list)
        self._listeners: dict[int, list[Callable[[Value], None]]] = defaultdict(list)
        self._edges: set[tuple[int, int]] = set()
        self._bound: set[tuple[int, Value, int]] = set()
        self.calls: dict[tuple, dict[Value, str]] = defaultdict(dict)
        # call site key → the functions that reached its callee but cannot take its arguments (strict_arity):
        # not called, but counted where the number of callees says how merged a site's values are
        self.misfits: dict[tuple, set[str]] = defaultdict(set)
        self._saturated: set[int] = set()
        self._work: deque[tuple[int, Value]] = deque()
        self.cut_offs: list[tuple[str, object]] = []
        self.steps = 0
        self._fields: dict[tuple[Value, str], int] = {}
        # a token's field names in the order they were first stored (a dict, not a set: a set's order
        # changes with the hash seed, and so would which tokens a cut set keeps, process to process)
        self._fields_of: dict[Value, dict[str, None]] = defaultdict(dict)
        self._any_loads: dict[Value, list[int]] = defaultdict(list)
        self._named_reads: set[tuple[int, int, str]] = set()  # (elements node, target, name): `_read_by_name`
        self._merges: dict[Value, list[tuple[Value, tuple[int, ...]]]] = defaultdict(list)
        self._called: set[tuple[tuple, Value]] = set()
        self._shapes: dict[str, _Shape] = {}
        self._members: dict[tuple[str, str, bool], list[int]] = {}
        self._otherwise: list[tuple[int, int, int]] = []  # (target, source, the node whose emptiness decides)
        self._prototypes: dict[Value, list[Value]] = defaultdict(list)  # token → the tokens it inherits from
        self._inherited_names: dict[Value, list[str]] = defaultdict(list)  # names read through a token's prototypes

    def release(self) -> None:
        """Drop every constraint and the environment. Listeners are closures over the builder, which
        holds this solver: a cycle through millions of objects that only a full collection would free."""
        for table in (self._copies, self._loads, self._stores, self._calls, self._binds, self._listeners):
            table.clear()
        self.environment = None  # type: ignore[assignment]

    # --- nodes -------------------------------------------------------------------------------------

    def node(self, key: Node | int) -> int:
        """The number of a node (a tuple is interned on first sight)."""
        if type(key) is int:
            return key
        number = self._ids.get(key)
        if number is None:
            number = self._ids[key] = len(self._keys)
            self._keys.append(key)
            self._held.append({})
        return number

    def fresh(self, key: Node) -> int:
        """A new node that no other key names (the builder keeps it): ``key`` only describes it."""
        self._keys.append(key)
        self._held.append({})
        return len(self._keys) - 1

    def field(self, value: Value, name: str) -> int:
        """The node of field ``name`` of a token."""
        number = self._fields.get((value, name))
        if number is None:
            number = self._fields[(value, name)] = self.node(field_node(value, name))
        return number

    def held(self, node: Node | int) -> dict[Value, str]:
        """The tokens a node holds so far, each with the hop that first brought it (do not change it)."""
        number = self._ids.get(node) if type(node) is not int else node
        return self._held[number] if number is not None else {}

    def may_take(self, function_id: str, arguments: tuple[Argument, ...]) -> bool:
        """Whether a call with ``arguments`` may enter the function, bound to a receiver or not."""
        shape = self._shape(function_id)
        return shape is None or shape.fits(arguments, True, 0)

    def copied_into(self, targets: set[int], via: str) -> dict[int, list[int]]:
        """The nodes each of ``targets`` copies from by constraints made with ``via``: a parameter's
        "argument" sources are what each call binding it passes (one scan of every copy)."""
        sources: dict[int, list[int]] = defaultdict(list)
        for source, copies in self._copies.items():
            for target, how in copies:
                if how == via and target in targets:
                    sources[target].append(source)
        return sources

    # --- building ----------------------------------------------------------------------------------

    def add(self, node: Node | int, value: Value, via: str = "value") -> None:
        """``node`` may hold ``value``."""
        self._add(self.node(node), value, via)

    def _add(self, node: int, value: Value, via: str) -> None:
        held = self._held[node]
        if value in held or node in self._saturated:
            return
        if len(held) >= MAX_VALUES:
            self._saturated.add(node)
            self.cut_offs.append(("values", self._keys[node]))
            return
        held[value] = via
        self._work.append((node, value))

    def copy(self, source: Node | int, target: Node | int, via: str = "") -> None:
        """Everything ``source`` holds, ``target`` holds."""
        self._copy(self.node(source), self.node(target), via)

    def _copy(self, source: int, target: int, via: str) -> None:
        if source == target or (source, target) in self._edges:
            return
        self._edges.add((source, target))
        self._copies[source].append((target, via))
        held = self._held[source]
        if held:
            add = self._add
            for value, how in list(held.items()):
                add(target, value, via or how)

    def load(self, base: Node | int, name: str, target: Node | int, property_read: bool = False) -> None:
        """``target`` holds field ``name`` of whatever ``base`` holds. ``property_read``: the program
        reads it as a property (`x.name`, JS `x["name"]`), not as a key of a container (Python
        `d["name"]`): see `_read_by_name`."""
        base, target = self.node(base), self.node(target)
        self._loads[base].append((name, target, property_read))
        for value in list(self._held[base]):
            self._load_one(value, name, target, property_read)

    def store(self, base: Node | int, name: str, source: Node | int) -> None:
        """Field ``name`` of whatever ``base`` holds holds what ``source`` holds."""
        base, source = self.node(base), self.node(source)
        self._stores[base].append((name, source))
        for value in list(self._held[base]):
            self._store_field(value, name, source)

    def otherwise(self, target: Node | int, source: Node | int, unless: Node | int | None = None) -> None:
        """``target`` holds what ``source`` holds if nothing reaches ``unless`` (default: the target
        itself) by the fixpoint: a method stays itself when its decorator replaces nothing; a property
        comes from the prototype when the object has none of its own. Checked each time the work list
        empties, so the answer does not depend on the order of arrivals."""
        target = self.node(target)
        self._otherwise.append((target, self.node(source), target if unless is None else self.node(unless)))

    def inherits(self, token: Value) -> None:
        """``token`` has prototypes, some still to come (`Object.create(p)` before p holds anything): its
        property reads ask them from now on, so a prototype found later answers them too."""
        self._prototypes.setdefault(token, [])

    def inherit(self, token: Value, prototype: Value) -> None:
        """``token`` reads the properties it has not of its own from ``prototype`` (a JS prototype
        chain: `Object.create(p)`, `F.prototype = …`, `util.inherits(C, P)`), those read before too."""
        if prototype == token or prototype in self._prototypes[token]:
            return
        self._prototypes[token].append(prototype)
        for name in list(self._inherited_names.get(token, ())):
            self._inherit_name(token, name, prototype)

    def _lookup(self, token: Value, name: str) -> int:
        """Property ``name`` as read on ``token``: its own field, else what its prototypes give."""
        key = ("lookup", token, name)
        number = self._ids.get(key)
        if number is None:
            number = self.node(key)
            self._copy(self.field(token, name), number, "attribute")
            self._copy(self._inherited(token, name), number, "attribute")
        return number

    def _inherited(self, token: Value, name: str) -> int:
        """What ``token``'s prototypes give for ``name`` when it has none of its own (the nearest first)."""
        key = ("inherited", token, name)
        number = self._ids.get(key)
        if number is None:
            number = self.node(key)
            self._inherited_names[token].append(name)
            for prototype in list(self._prototypes.get(token, ())):
                self._inherit_name(token, name, prototype)
        return number

    def _inherit_name(self, token: Value, name: str, prototype: Value) -> None:
        """``token``'s ``name`` is the prototype's when the token has none of its own by the fixpoint."""
        self._otherwise.append((self._inherited(token, name), self._lookup(prototype, name), self.field(token, name)))

    def call(self, callee: Node | int, site: CallSite) -> None:
        """Whatever ``callee`` holds is called at ``site``."""
        callee = self.node(callee)
        site = self._interned_site(site)
        self._calls[callee].append(site)
        for value, how in list(self._held[callee].items()):
            self._call_one(value, site, how)

    def listen(self, node: Node | int, listener: Callable[[Value], None]) -> None:
        """Call ``listener`` once for every token ``node`` holds, now and later: for constraints that
        depend on which tokens arrive (a `super()` read binds to each receiver that reaches `self`)."""
        node = self.node(node)
        self._listeners[node].append(listener)
        for value in list(self._held[node]):
            listener(value)

    def bind(self, source: Node | int, receiver: Value, target: Node | int) -> None:
        """``target`` holds what ``source`` holds, a function bound to ``receiver`` (a method read)."""
        self._bind(self.node(source), receiver, self.node(target))

    def _bind(self, source: int, receiver: Value, target: int) -> None:
        key = (source, receiver, target)  # one bind per receiver: two instances reading one inherited method
        if key in self._bound:  # bind it twice, each to its own `this`
            return
        self._bound.add(key)
        self._binds[source].append((receiver, target))
        for value in list(self._held[source]):
            self._bind_one(value, receiver, target)

    def _interned_site(self, site: CallSite) -> CallSite:
        """The site with every node a number (the builder's own sites mostly are already)."""
        if (type(site.result) is int and (site.receiver is None or type(site.receiver) is int)
                and all(type(a.node) is int for a in site.arguments)):
            return site
        node = self.node
        return CallSite(site.key, site.caller, site.line,
                        tuple(Argument(a.kind, node(a.node), a.keyword) for a in site.arguments),
                        node(site.result), site.is_new, None if site.receiver is None else node(site.receiver), site.via)

    # --- solving -----------------------------------------------------------------------------------

    def solve(self) -> Solution:
        """Run the work list to a fixpoint; then fill each `otherwise` target still empty, and run on."""
        self._run()
        while self._otherwise and self.steps < MAX_STEPS and self._fill_empty_targets():
            self._run()
        return Solution(self.calls, self.cut_offs, self.steps, self)

    def _fill_empty_targets(self) -> bool:
        waiting = []
        for target, source, unless in self._otherwise:
            if self._held[unless]:
                continue
            if self._held[source]:
                self._copy(source, target, "")
            else:
                waiting.append((target, source, unless))
        filled = len(waiting) < len(self._otherwise)
        self._otherwise = waiting
        return filled

    def _run(self) -> None:
        work, held_by, add = self._work, self._held, self._add
        copies, loads, stores, binds = self._copies, self._loads, self._stores, self._binds
        listeners, calls = self._listeners, self._calls
        load_one, store_field, bind_one, call_one = self._load_one, self._store_field, self._bind_one, self._call_one
        while work:
            if self.steps >= MAX_STEPS:
                self.cut_offs.append(("steps", f"stopped after {MAX_STEPS} steps"))
                work.clear()
                break
            self.steps += 1
            node, value = work.popleft()
            how = held_by[node][value]
            if node in copies:
                for target, via in copies[node]:
                    add(target, value, via or how)
            if node in loads:
                for name, target, property_read in loads[node]:
                    load_one(value, name, target, property_read)
            if node in stores:
                for name, source in stores[node]:
                    store_field(value, name, source)
            if node in binds:
                for receiver, target in binds[node]:
                    bind_one(value, receiver, target)
            if node in listeners:
                for listener in listeners[node]:
                    listener(value)
            if node in calls:
                for site in calls[node]:
                    call_one(value, site, how)

    def _bind_one(self, value: Value, receiver: Value, target: int) -> None:
        environment = self.environment
        if value[0] == "function" and environment.binds_class(value[1]) and receiver[0] in ("instance", "class"):
            self._add(target, ("bound", value[1], ("class", receiver[1])), "method")
        elif value[0] == "function" and receiver[0] == "instance" and environment.binds_receiver(value[1]):
            self._add(target, ("bound", value[1], receiver), "method")
        else:
            self._add(target, value, self._held[target].get(value, "attribute"))

    def _store_field(self, value: Value, name: str, source: int) -> None:
        if value[0] == "descriptor" and name == "value":
            name = WRITTEN_VALUE
        elif name == "prototype" and value[0] == "function":  # `F.prototype = Object.create(P.prototype)`
            own = ("prototype", value[1])
            self.listen(source, lambda prototype: self.inherit(own, prototype) if prototype[0] in ("object", "prototype") else None)
        target = self.field(value, name)
        self._copy(source, target, "")
        names = self._fields_of[value]
        if name not in names:
            names[name] = None
            for any_target in self._any_loads.get(value, ()):
                self._copy(target, any_target, "")
            for into, later in self._merges.get(value, ()):
                self._merge_field(value, into, name, later)

    def merge_fields(self, source: Value, target: Value, later: tuple[int, ...] = ()) -> None:
        """Every field of token ``source``, those stored later too, is also a field of ``target``
        (`Object.assign(target, source)`), except a name that a token of a ``later`` node (a later
        source of the same assign) has: that one overwrites it."""
        if (target, later) in self._merges[source]:
            return
        self._merges[source].append((target, later))
        for name in list(self._fields_of.get(source, ())):
            self._merge_field(source, target, name, later)

    def _merge_field(self, source: Value, target: Value, name: str, later: tuple[int, ...]) -> None:
        fields_of = self._fields_of
        if any(name in fields_of.get(value, ()) for node in later for value in self._held[node]):
            return
        self._store_field(target, name, self.field(source, name))

    def member_nodes(self, class_id: str, name: str, on_instance: bool = True) -> list[int]:
        """The environment's `member` nodes, asked once per question."""
        key = (class_id, name, on_instance)
        found = self._members.get(key)
        if found is None:
            found = self._members[key] = [self.node(member) for member in self.environment.member(class_id, name, on_instance)]
        return found

    def _load_one(self, value: Value, name: str, target: int, property_read: bool = False) -> None:
        kind = value[0]
        if kind in ("instance", "class"):
            if kind == "instance":
                self._copy(self.field(value, name), target, "attribute")
            for member in self.member_nodes(value[1], name, kind == "instance"):
                self._bind(member, value, target)  # a class binds its classmethods only
            prototype = self.environment.prototype_of(value[1]) if kind == "instance" else None
            if prototype is not None:  # `new F()` whose F.prototype inherits (ES5)
                self._bind(self._inherited(prototype, name), value, target)
            return
        if kind in ("function", "bound") and name in self.environment.function_methods(value[1]):
            self._add(target, ("function-method", name, value), "attribute")  # `f.call`, `f.bind`
        if kind == "external":  # `os.path` of `os`: a longer external name (`os.environ["HOME"]` is no name)
            if property_read and self.environment.external_member(value[1], name):
                self._add(target, ("external", f"{value[1]}.{name}"), "attribute")
            return
        if name == ANY_KEY:  # every element, those stored later too
            self._any_loads[value].append(target)
            for field_name in list(self._fields_of.get(value, ())):
                self._copy(self.field(value, field_name), target, "element")
            return
        self._copy(self.field(value, name), target, "attribute")
        if kind == "prototype" or value in self._prototypes:
            self._copy(self._inherited(value, name), target, "attribute")
        rest = value[0] == "object" and value[1][0] in ("args", "kwargs", "arguments")
        if rest and name.isdigit():  # `args[0]`, or `*args` passed on: an element stored at no known place may be there
            self._copy(self.field(value, ANY_KEY), target, "element")
        elif not rest and not self.environment.container_method(name, value):
            # `obj[key] = f; obj.name()`: a field stored under a computed key may be any named field;
            # but a rest parameter is an array, and `xs.forEach` is the container's own method
            if property_read:
                self._read_by_name(self.field(value, ANY_KEY), target, name)
            else:
                self._copy(self.field(value, ANY_KEY), target, "element")

    def _read_by_name(self, elements: int, target: int, name: str) -> None:
        """``target`` holds what a property read of ``name`` finds among ``elements`` (the fields
        stored under a computed key): a function, class or external name only when it was defined
        (or is named) under that name, as a mixin's `target[key] = source[key]` copies `on` under
        "on"; an anonymous one, or one of another name, is no property of that name. axios's
        `Axios.prototype[method] = async function` had become `str.trim()`, `new Request()` and 21
        more calls wherever the prototype's value reached, and the `Blob` its config merge copies had
        become the callee of `config.method.toLowerCase()` and 40 more. Every other token (an object,
        an instance) may be any field, as before; and a container's key (`routes["/"]`) is data, not
        a name: it reads every element."""
        key = (elements, target, name)
        if key in self._named_reads:
            return
        self._named_reads.add(key)

        def arrived(value: Value) -> None:
            kind = value[0]
            if kind in ("function", "class", "bound") and self.environment.defined_name(value[1]) != name:
                return
            if kind == "external" and value[1].rsplit(".", 1)[-1] != name:
                return
            self._add(target, value, "element")

        self.listen(elements, arrived)

    def _call_one(self, value: Value, site: CallSite, how: str = "value") -> None:
        """Call one token at ``site``; ``how`` is the last hop that brought it to the callee, which
        becomes the edge's reason (a name holding the definition itself: "call")."""
        key = (site.key, value)
        if key in self._called:
            return
        self._called.add(key)
        kind = value[0]
        if kind == "function" and site.is_new:  # JS `new F()`: an instance whose prototype is F.prototype
            instance = ("instance", value[1])
            self._add(site.result, instance, "instantiation")
            self._enter(value[1], site, receiver=instance, via="instantiation", result=False)
        elif kind == "function":
            self._enter(value[1], site, receiver=None, via=site.via or ("call" if how == "value" else how))
        elif kind == "bound":
            self._enter(value[1], site, receiver=value[2], via=site.via or "method")
        elif kind == "class":
            self.calls[site.key].setdefault(value, "instantiation")
            instance = ("instance", value[1])
            self._add(site.result, instance, "instantiation")
            for constructor in self.environment.constructors(value[1]):
                self._enter(constructor, site, receiver=instance, via="constructor", result=False)
        elif kind == "instance":
            bound = self.node(("call-protocol", site.key, value))
            for member in self.member_nodes(value[1], "__call__", True):
                self._bind(member, value, bound)
            self.call(bound, site)
        elif kind == "partial":
            function = value[1]
            if function[0] == "bound":  # `partial(self.m, a)`: m called on its receiver, a its first argument
                self._enter(function[1], site, receiver=function[2], via="partial", skip=value[2])
                return
            self.calls[site.key].setdefault(function, "partial")
            if function[0] == "function":
                self._enter(function[1], site, receiver=None, via="partial", skip=value[2])
        elif kind == "external":
            if self.environment.borrowed_call(value[1], site, self):
                return
            self.calls[site.key].setdefault(value, site.via or ("external" if how == "value" else how))
            self.environment.external_call(value[1], site, self)
        elif kind == "function-method":
            self.call_function_method(value[1], value[2], site)
        elif kind == "identity":  # a decorator that gives back its argument: no call of the program's own
            first = next((a for a in site.arguments if a.kind == "positional"), None)
            if first is not None:
                self._copy(first.node, site.result, "decorator")

    def call_function_method(self, method: str, function: Value, site: CallSite) -> None:
        """`f.call(this, a, b)` calls f with a and b; `f.apply(this, args)` with the elements of args;
        `f.bind(this, a)` gives f with a bound. The first argument is `this` inside f."""
        arguments = site.arguments
        this = arguments[0].node if arguments and arguments[0].kind == "positional" else None
        if method == "bind":
            bound = sum(1 for a in arguments[1:] if a.kind == "positional")
            self._add(site.result, ("partial", function, bound) if bound else function, "partial")
            shape = self._shape(function[1])
            if this is not None and shape is not None and shape.this is not None:
                self._copy(this, shape.this, "receiver")
            return
        if method == "call":
            passed = arguments[1:]
        else:  # apply: the array's elements fill the parameters
            passed = (Argument("star", arguments[1].node),) if len(arguments) > 1 else ()
        inner = CallSite((*site.key, "callback", method), site.caller, site.line, tuple(passed), site.result,
                         receiver=this, via=site.via)
        self._call_one(function, inner, "value")

    def _shape(self, function_id: str) -> "_Shape | None":
        found = self._shapes.get(function_id)
        if found is None:  # not known yet (another file's shapes may come later) or never asked
            shape = self.environment.function(function_id)
            if shape is not None:
                found = self._shapes[function_id] = _Shape(shape, self.node)
        return found

    def _enter(self, function_id: str, site: CallSite, receiver: Value | None, via: str, result: bool = True,
               skip: int = 0) -> None:
        """Bind the site's arguments to the function's parameters; its returns become the result."""
        shape = self._shape(function_id)
        if shape is not None and not shape.fits(site.arguments, receiver is not None, skip):
            self.misfits[site.key].add(function_id)
            return
        self.calls[site.key].setdefault(("function", function_id), via)
        if shape is None:
            return
        positional = self._pass(shape, site.arguments, receiver, site.receiver, skip)
        if result and shape.returns_parameter:
            if (receiver is not None and shape.bound_skip and shape.parameters
                    and shape.parameters[0].name == shape.returns_parameter):  # `return self`: the receiver
                self._add(site.result, receiver, "return")
            passed = [a for a in site.arguments if a.kind == "positional"]
            names = [p.name for p in positional]
            if shape.returns_parameter in names and names.index(shape.returns_parameter) < len(passed):
                self._copy(passed[names.index(shape.returns_parameter)].node, site.result, "decorator")
            for argument in site.arguments:
                if argument.kind == "keyword" and argument.keyword == shape.returns_parameter:
                    self._copy(argument.node, site.result, "decorator")
        elif result:
            self._copy(shape.returns, site.result, "return")

    def pass_partial(self, function: Value, arguments: tuple[Argument, ...]) -> None:
        """`functools.partial(f, a, k=b)`: a and b reach f's parameters (its first positional one, and
        k) as they would in a call, whoever calls the partial later; no call is made here."""
        if function[0] in ("function", "bound"):
            shape = self._shape(function[1])
            if shape is not None:
                self._pass(shape, arguments, function[2] if function[0] == "bound" else None, None, 0)

    def _pass(self, shape: "_Shape", arguments: tuple[Argument, ...], receiver: Value | None, site_receiver: int | None,
              skip: int) -> list[Parameter]:
        """Bind ``arguments`` (after ``skip`` positional parameters) and the receiver to the parameters of
        ``shape``; gives the positional parameters that the arguments fill."""
        parameters = shape.parameters
        if receiver is not None and shape.bound_skip:
            if parameters:
                self._add(parameters[0].node, receiver, "receiver")
            parameters = parameters[shape.bound_skip:]
        if shape.this is not None and receiver is not None:
            self._add(shape.this, receiver, "receiver")
        elif shape.this is not None and site_receiver is not None:  # JS `obj.m()`: `this` is obj
            self._copy(site_receiver, shape.this, "receiver")
        parameters = parameters[skip:]
        positional = [p for p in parameters if p.kind == "positional"]
        by_name = {p.name: p for p in parameters if p.kind in ("positional", "keyword-only")}
        star = next((p for p in parameters if p.kind == "star"), None)
        double_star = next((p for p in parameters if p.kind == "double-star"), None)
        if shape.arguments is not None:
            self._pass_arguments_object(shape.arguments, arguments)
        index, spread = 0, False  # spread: a `*xs` came before, so the later arguments' places are not known
        for argument in arguments:
            if argument.kind == "positional":
                if index < len(positional):
                    self._copy(argument.node, positional[index].node, "argument")
                elif star is not None:  # the rest parameter's element at its own place, when known
                    self.store(star.node, ANY_KEY if spread else str(index - len(positional)), argument.node)
                index += 1
            elif argument.kind == "keyword":
                parameter = by_name.get(argument.keyword)
                if parameter is not None:
                    self._copy(argument.node, parameter.node, "argument")
                elif double_star is not None:
                    self.store(double_star.node, argument.keyword, argument.node)
            elif argument.kind == "star":  # `f(*xs)`: element k of xs fills the k-th slot left, when xs knows
                for offset, parameter in enumerate(positional[index:]):  # its elements' places (a rest
                    self.load(argument.node, str(offset), parameter.node)  # parameter's); else any element may
                if star is not None:
                    element = self.node(("element", self._keys[argument.node]))
                    self.load(argument.node, ANY_KEY, element)
                    self.store(star.node, ANY_KEY, element)
                spread = True
            elif argument.kind == "double-star":  # `f(**kw)`: a parameter gets the value of its own key
                for parameter in by_name.values():  # (and those stored under keys not known), not every value
                    self.load(argument.node, parameter.name, parameter.node)
        return positional

    def _pass_arguments_object(self, target: int, arguments: tuple[Argument, ...]) -> None:
        """JS `arguments`: the call's positional arguments by place; after a spread, at no known place."""
        place = 0
        for argument in arguments:
            if argument.kind == "positional":
                self.store(target, ANY_KEY if place < 0 else str(place), argument.node)
                if place >= 0:
                    place += 1
            elif argument.kind == "star":
                element = self.node(("element", self._keys[argument.node]))
                self.load(argument.node, ANY_KEY, element)
                self.store(target, ANY_KEY, element)
                place = -1


class _Shape:
    """A FunctionShape with its nodes interned, made once per function."""

    __slots__ = ("parameters", "returns", "bound_skip", "this", "returns_parameter", "strict_arity", "arguments")

    def __init__(self, shape: FunctionShape, node: Callable[[Node], int]) -> None:
        self.parameters = tuple(Parameter(p.name, p.kind, node(p.node)) for p in shape.parameters)
        self.returns = node(shape.returns)
        self.bound_skip = shape.bound_skip
        self.this = None if shape.this is None else node(shape.this)
        self.returns_parameter = shape.returns_parameter
        self.strict_arity = shape.strict_arity
        self.arguments = None if shape.arguments is None else node(shape.arguments)

    def fits(self, arguments: tuple[Argument, ...], bound: bool, skip: int) -> bool:
        """Whether a call with ``arguments`` may enter the function (`strict_arity`): read as bound, it
        may be a staticmethod or an instance's own attribute, so it fits if it fits unbound too."""
        return (not self.strict_arity or self.accepts(arguments, bound, skip)
                or (bound and self.accepts(arguments, False, skip)))

    def accepts(self, arguments: tuple[Argument, ...], bound: bool, skip: int) -> bool:
        """Whether a call with ``arguments`` (on a receiver when ``bound``, after ``skip`` arguments a
        partial gave) fits the parameters: no more positional arguments than places unless `*args`, no
        keyword without its parameter unless `**kwargs`. Unpacked arguments (`*xs`, `**kw`) fit anything."""
        if any(argument.kind in ("star", "double-star") for argument in arguments):
            return True
        parameters = self.parameters[self.bound_skip if bound else 0:][skip:]
        kinds = {parameter.kind for parameter in parameters}
        places = sum(1 for parameter in parameters if parameter.kind == "positional")
        if "star" not in kinds and sum(1 for argument in arguments if argument.kind == "positional") > places:
            return False
        if "double-star" in kinds:
            return True
        names = {parameter.name for parameter in parameters if parameter.kind in ("positional", "keyword-only")}
        return all(argument.keyword in names for argument in arguments if argument.kind == "keyword")


def field_node(value: Value, name: str) -> Node:
    return ("field", value, name)


def solve(constraints: Callable[[Solver], None], environment: Environment) -> Solution:
    """Build the constraints into a new solver and run it to its fixpoint."""
    solver = Solver(environment)
    constraints(solver)
    return solver.solve()
