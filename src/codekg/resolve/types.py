"""Values of names, only where they are certain: which class a receiver is an instance of, which
function a name holds. Reads the language-neutral ValueBinding records.

Takes: the NameResolver (for names, imports and class hierarchies) and a call site whose name
lookup found no callable. Returns: its targets, each with the reason and confidence of the rule.

A name's value is known only when *every* binding of it in its scope is known: bound once to
`Cls()`, or each time to an instance of a class, or to a function. One binding of unknown value and
the answer is None: the call stays unresolved rather than guessed. Distinct possible values split
the confidence between their targets. Functions' return values and instance attributes are shared
between files through RecordedCaches, so their reads are replayed for incremental runs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from codekg.languages import EXTRACTORS
from codekg.records import (CALL_RESULT_RECEIVER, ELEMENT_CALL, RETURN_TARGET, YIELD_TARGET, CallSite, Scope, ValueBinding,
                            release_lists)
from codekg.resolve.dependencies import RecordedCache
from codekg.resolve.interface import record_body_read
from codekg.resolve.names import LOCAL_VALUE, NameResolver, Resolved
from codekg.resolve.symbols import FileSymbols, SymbolRef
from codekg.schema import CLASS_LABELS

# The receiver was constructed here (`x = Cls()`): its class is exact, so any member, own or
# inherited, is the one that runs; the binding may still be changed behind our back (`obj.x = …`).
INSTANCE_CONFIDENCE = 0.9
# Declared by an annotation: an instance of the class or of a subclass that may override the member.
DECLARED_CONFIDENCE = 0.9
# `self.attr`: assigned in the class, but any code holding the instance may rebind it.
ATTRIBUTE_CONFIDENCE = 0.8
# A member found further up the MRO of a declared (not exact) class: more likely overridden.
INHERITED_PENALTY = 0.1
FUNCTION_VALUE_CONFIDENCE = 0.9
# An element of a list or dict of functions: the container may be mutated where we do not look.
CONTAINER_CONFIDENCE = 0.8
# Decorators that keep a function's return value (any other decorator may replace it).
TRANSPARENT_DECORATORS = frozenset({
    "staticmethod", "classmethod", "abstractmethod", "abc.abstractmethod", "cache", "functools.cache",
    "lru_cache", "functools.lru_cache", "override", "typing.override", "typing_extensions.override",
    "property", "cached_property", "functools.cached_property",
})
# Nesting of value lookups (a return of a call of a return of …, a name bound to a call on another
# name, …). Every step of a chain passes through `_nested`, so this also bounds the Python stack.
_MAX_DEPTH = 32
# Files whose value bindings are held indexed at once. A file's resolution reads its own and those of
# the modules its names lead to; past this many, the least recently read index is let go (its
# bindings wait packed in the parse record: records.py), so a large repository never holds them all.
VALUE_INDEX_FILES = 1024
_CALLABLE_LABELS = ("Function", "Method", *CLASS_LABELS)


@dataclass(frozen=True, slots=True)
class Value:
    """One thing a name may hold: an instance of a repository class, a callable, or (in a method's
    return values only) the instance the method was called on."""

    instance_of: SymbolRef | None = None
    exact: bool = False  # the class itself, not possibly a subclass
    function: Resolved | None = None
    receiver: bool = False  # `return self`
    element: bool = False  # taken out of a container: which element is not known

    @property
    def key(self) -> tuple:
        target = self.function
        return (self.instance_of.id if self.instance_of else "", self.exact, self.receiver,
                (target.ref.id if target.ref else target.external_name) if target else "")


Values = tuple[Value, ...] | None  # None: not known


@dataclass(frozen=True, slots=True)
class _Entry:
    values: Values
    height: int  # the deepest chain of lookups it took: used again only where that still fits
    partial: bool  # cut short by a cycle or the depth limit: never kept


class ValueInference:
    def __init__(self, names: NameResolver) -> None:
        self.names = names
        self.symbols = names.symbols
        self._return_cache: RecordedCache[str, _Entry] = RecordedCache(self.symbols.recorder)
        self._attribute_cache: RecordedCache[tuple[str, str], _Entry] = RecordedCache(self.symbols.recorder)
        self._indexes: OrderedDict[str, tuple[FileSymbols, _FileValues]] = OrderedDict()  # the last read last
        self._depth = 0
        self._reach = 0  # the deepest nesting reached by the lookup under way
        self._active: set[tuple] = set()
        self._partial = False  # a cycle or the depth limit cut an answer short: cache nothing on the stack
        # the fixture a test's or fixture's parameter names (resolve/pytest_fixtures.py): pytest fills it
        self.fixture_for: Callable[[FileSymbols, SymbolRef, str], SymbolRef | None] | None = None

    # --- calls -----------------------------------------------------------------------------------

    def call_targets(self, file_symbols: FileSymbols, call: CallSite) -> list[Resolved]:
        """Targets of a call whose name lookup found no callable: `x.m()` on a known instance,
        `f()` on a name holding a function, `handlers[k]()` on a container of functions."""
        self._partial = False
        if call.callee == ELEMENT_CALL:
            elements = self._elements(file_symbols, call.scope, call.receiver or "", call.line)
            return _function_targets(elements, "container-function", CONTAINER_CONFIDENCE, split=False)
        if call.receiver is None:
            values = self._name(file_symbols, call.scope, call.callee, call.line)
            if values and all(value.element for value in values):  # `for handler in HANDLERS: handler()`
                return _function_targets(values, "container-function", CONTAINER_CONFIDENCE, split=False)
            return _function_targets(values, "function-value", FUNCTION_VALUE_CONFIDENCE)
        language = EXTRACTORS[file_symbols.parse.language]
        if call.receiver.startswith(CALL_RESULT_RECEIVER):  # `Cls().m()`, `new C().m()`, `make().go()`
            values = self._call_result(file_symbols, call.scope, call.receiver[len(CALL_RESULT_RECEIVER):], call.line,
                                       awaited=False)
            via_attribute = False
        elif (call.receiver.startswith("<expr>") or call.receiver == "super"
                or file_symbols.is_own_receiver(call.scope, call.receiver, language.self_receivers)):
            return []
        else:
            values = self._expression(file_symbols, call.scope, call.receiver, call.line)
            via_attribute = "." in call.receiver
        targets: dict[str, Resolved] = {}
        for value in values or ():
            if value.instance_of is None:
                return []
            found = self.names.hierarchy.find_member(value.instance_of, call.callee)
            if found is None or found[0].label not in _CALLABLE_LABELS:
                return []  # the member is not where we look: an instance attribute, a metaclass, …
            member, position = found
            if member.definition is not None and member.definition.is_static and language.static_members_only_on_class:
                return []  # `instance.create()` with `static create()`: not the instance's (a TypeError in JS)
            if member.definition is not None and _replaced_by_decorator(member.definition.decorators):
                return []  # the call reaches what the decorator returned, a wrapper this rule cannot see
            confidence = ATTRIBUTE_CONFIDENCE if via_attribute else INSTANCE_CONFIDENCE if value.exact else DECLARED_CONFIDENCE
            if position > 0 and not value.exact:
                confidence -= INHERITED_PENALTY
            reason = "attribute-type" if via_attribute else "instance-type" if value.exact else "declared-type"
            previous = targets.get(member.id)
            if previous is None or previous.confidence > confidence:
                targets[member.id] = Resolved(reason, round(confidence, 4), ref=member)
        return _split(list(targets.values()))

    # --- what an expression holds ----------------------------------------------------------------

    def _expression(self, file_symbols: FileSymbols, scope: Scope, dotted: str, line: int) -> Values:
        """`x`, `self`, `self.attr`, `x.attr`, `mod.var`: what the dotted expression holds at ``scope``."""
        head, *rest = dotted.split(".")
        if _is_instance_name(file_symbols, scope, head):
            owner = file_symbols.enclosing_class(scope)
            values: Values = (Value(instance_of=owner),) if owner is not None else None
        elif rest and self._binding_group(file_symbols, scope, head, line) is None:
            # not bound in a function here: a module, class or imported name (`mod.var`, `os.getcwd`)
            found = self.names.lookup_dotted(file_symbols, scope, dotted, line)
            return self._named(found) if found is not None else None
        else:
            values = self._name(file_symbols, scope, head, line)
        for attribute in rest:
            values = self._attribute_of(values, attribute)
        return values

    def _name(self, file_symbols: FileSymbols, scope: Scope, name: str, line: int) -> Values:
        """What ``name`` holds where code in ``scope`` reads it: from the bindings of the scope that
        binds it, or (bound nowhere here) a definition, imported variable or function it names."""
        events = self._binding_group(file_symbols, scope, name, line)
        if events is not None:
            return self._group(file_symbols, events) if events else self._filled_parameter(file_symbols, scope, name)
        found = self.names.lookup(file_symbols, scope, name, line)
        return self._named(found) if found is not None else None

    def _filled_parameter(self, file_symbols: FileSymbols, scope: Scope, name: str) -> Values:
        """A parameter bound nowhere else that pytest fills: what the fixture it names gives the test
        (what the fixture yields, or else returns)."""
        if self.fixture_for is None:
            return None
        for depth in range(len(scope), 0, -1):
            function = file_symbols.by_path.get(scope[:depth])
            if function is None or function.definition is None or function.label not in _CALLABLE_LABELS:
                continue
            if name in function.definition.parameters:
                fixture = self.fixture_for(file_symbols, function, name)
                return self._fixture_value(fixture) if fixture is not None else None
            if name in file_symbols.local_names.get(scope[:depth], ()):
                return None  # a function nearer the read binds it some other way
        return None

    def _fixture_value(self, fixture: SymbolRef) -> Values:
        fixture_file = self.symbols.files[fixture.file_path]
        yielded = self._events(fixture_file, fixture.path, YIELD_TARGET)
        return _not_fluent(self._group(fixture_file, yielded) if yielded else self._returns(fixture))

    def _named(self, found: Resolved) -> Values:
        """What a definition holds: a variable its bindings, a function, class or external name itself."""
        if found.reason == LOCAL_VALUE:
            return None
        if found.ref is not None and found.ref.label == "Variable":
            return self._variable(found)
        if (found.ref is not None and found.ref.label in _CALLABLE_LABELS) or found.external_name:
            return (Value(function=found),)
        return None

    def _binding_group(self, file_symbols: FileSymbols, scope: Scope, name: str, line: int) -> list[ValueBinding] | None:
        """The bindings of the scope that binds ``name`` when they are all recorded, ``[]`` when that
        scope binds it some other way, None when no enclosing function or class body binds it."""
        index = self._index(file_symbols.parse.path)
        file_imports = self.names.file_imports(file_symbols.parse.path)
        record_body_read(self.symbols.recorder, file_symbols, scope)  # its bindings, local names and regions
        for depth in range(len(scope), -1, -1):
            prefix = scope[:depth]
            owner = file_symbols.by_path.get(prefix) if prefix else None
            if prefix and (owner is None or (owner.label in CLASS_LABELS and depth != len(scope))):
                continue  # a class body's names are hidden from its methods
            if file_symbols.bound_by_anonymous_function(prefix, name, line):
                return []
            events = index.groups.get((prefix, name))
            if events is not None:
                return events
            if not prefix:
                return None  # module level: the name lookup knows what it means
            imported = file_imports.lookup(name, prefix)
            if (name in file_symbols.local_names.get(prefix, ()) or name in file_symbols.children.get(prefix, {})
                    or (imported is not None and imported.scope == prefix)):
                return []
        return None

    def _variable(self, found: Resolved) -> Values:
        """A module- or class-level variable, wherever it is defined: the bindings of its scope."""
        ref = found.ref
        if ref is None or ref.label != "Variable":
            return None
        file_symbols = self.symbols.files[ref.file_path]
        events = self._events(file_symbols, ref.path[:-1], ref.path[-1])
        return self._group(file_symbols, events) if events else None

    def _group(self, file_symbols: FileSymbols, events: list[ValueBinding]) -> Values:
        """Every value the bindings may give, or None when one of them is not known. A binding that
        reads the name it binds (`y = y.f()`, `c = c()`) meets its own group again: the cycle
        leaves the value unknown."""
        if not events:
            return ()
        first = events[0]
        record_body_read(self.symbols.recorder, file_symbols, first.scope)  # evaluated where they are written
        return self._nested(("group", file_symbols.parse.path, first.scope, first.target, first.line, len(events)),
                            lambda: self._group_values(file_symbols, events))

    def _group_values(self, file_symbols: FileSymbols, events: list[ValueBinding]) -> Values:
        found: dict[tuple, Value] = {}
        for event in events:
            if event.kind == "none":
                continue  # `x = None`: nothing can be called on it, so it never misleads a call
            values = self._event(file_symbols, event)
            if values is None:
                return None
            for value in values:
                found.setdefault(value.key, value)
        return tuple(found.values())  # empty: bound to None only

    def _event(self, file_symbols: FileSymbols, event: ValueBinding) -> Values:
        kind, scope, line = event.kind, event.scope, event.line
        if kind in ("call", "await"):
            return self._call_result(file_symbols, scope, event.source, line, awaited=kind == "await")
        if kind in ("enter", "async-enter"):
            return self._entered(self._call_result(file_symbols, scope, event.source, line, awaited=False),
                                 asynchronous=kind == "async-enter")
        if kind == "type":
            found = self.names.lookup_dotted(file_symbols, scope, event.source, line)
            if found is not None and found.ref is not None and found.ref.label in CLASS_LABELS:
                return (Value(instance_of=found.ref),)
            return None
        if kind == "alias":
            return self._nested(("alias", file_symbols.parse.path, scope, event.source, line),
                                lambda: self._expression(file_symbols, scope, event.source, line))
        if kind == "element":
            return self._elements(file_symbols, scope, event.source, line)
        return None

    def _call_result(self, file_symbols: FileSymbols, scope: Scope, callee: str, line: int, awaited: bool) -> Values:
        """What calling ``callee`` returns: an instance of a class, or what a function returns."""
        receiver, _, name = callee.rpartition(".")
        found = self.names.lookup_dotted(file_symbols, scope, callee, line)
        if found is not None and found.ref is not None and found.ref.label in _CALLABLE_LABELS:
            functions: list[tuple[SymbolRef, Value | None]] = [(found.ref, None)]
        else:
            if not receiver:
                values = self._name(file_symbols, scope, name, line)
                functions = [(v.function.ref, None) for v in values or () if v.function and v.function.ref]
                if values is None or len(functions) != len(values):
                    return None
            else:  # a method of a known instance: `self.make()`, `repo.load()`
                instances = self._expression(file_symbols, scope, receiver, line)
                functions = []
                for value in instances or ():
                    member = self.names.hierarchy.find_member(value.instance_of, name) if value.instance_of else None
                    if member is None or member[0].label != "Method":
                        return None
                    functions.append((member[0], value))
                if not functions:
                    return None
        results: dict[tuple, Value] = {}
        for function, instance in functions:
            values = self._result_of(function, instance, awaited)
            if values is None:
                return None
            for value in values:
                results.setdefault(value.key, value)
        return tuple(results.values()) or None

    def _result_of(self, function: SymbolRef, instance: Value | None, awaited: bool) -> Values:
        definition = function.definition
        if function.label in CLASS_LABELS:
            return None if awaited else (Value(instance_of=function, exact=True),)
        if definition is None or definition.is_async != awaited or definition.is_property:
            return None  # an async function called without `await` gives a coroutine; a property's value is called
        if _replaced_by_decorator(definition.decorators):
            return None  # the decorator may return anything in place of the function
        returned = self._returns(function)
        if returned is None:
            return None
        values = []
        for value in returned:
            if value.receiver:
                if instance is None:
                    return None
                values.append(instance)
            else:
                values.append(value)
        return tuple(values)

    def _entered(self, managers: Values, asynchronous: bool = False) -> Values:
        """`with Cls() as x`: what `Cls.__enter__` returns (usually the instance itself); `async with`:
        what awaiting `Cls.__aenter__` gives."""
        values = []
        entering = "__aenter__" if asynchronous else "__enter__"
        for manager in managers or ():
            found = self.names.hierarchy.find_member(manager.instance_of, entering) if manager.instance_of else None
            if found is None or found[0].label != "Method":
                return None
            entered = self._result_of(found[0], manager, awaited=asynchronous)
            if entered is None:
                return None
            values.extend(entered)
        return tuple(values) or None

    def _returns(self, function: SymbolRef) -> Values:
        """What ``function`` returns: its return annotation when it names a class, else every `return`."""
        def compute() -> Values:
            file_symbols = self.symbols.files[function.file_path]
            events = self._events(file_symbols, function.path, RETURN_TARGET)
            if not events:
                return None
            declared = [e for e in events if e.kind == "type"]
            if declared:
                values = self._group(file_symbols, declared)
                if values is not None:
                    return values
                # an annotation naming no class the index knows (a TypeVar: `def __enter__(self: T) -> T`,
                # `Any`): the `return` statements say what comes back
                events = [e for e in events if e.kind != "type"]
                if not events:
                    return None
            if any(e.kind == "alias" and _is_instance_name(file_symbols, function.path, e.source) for e in events):
                if function.label != "Method" or any(
                        e.kind not in ("none",) and not (e.kind == "alias" and _is_instance_name(file_symbols, function.path, e.source))
                        for e in events):
                    return None
                return (Value(receiver=True),)  # `return self` only: a fluent method
            return self._group(file_symbols, events)

        return self._cached(self._return_cache, ("returns", function.id), compute)

    def _attribute_of(self, owners: Values, attribute: str) -> Values:
        """``attribute`` of each instance in ``owners``: what the classes' code assigns to it."""
        found: dict[tuple, Value] = {}
        for owner in owners or ():
            if owner.instance_of is None:
                return None
            values = self._cached(self._attribute_cache, ("attribute", owner.instance_of.id, attribute),
                                  lambda: self._assigned_attribute(owner.instance_of, attribute))
            if values is None:
                return None
            for value in values:
                found.setdefault(value.key, value)
        return tuple(found.values()) or None

    def _assigned_attribute(self, class_ref: SymbolRef, attribute: str) -> Values:
        """Every assignment of ``self.attribute`` in the methods of the class and its bases, and its
        declaration in their bodies (`attribute: Cls`); for a property, what its getter returns (its
        annotation, else its `return`s: jinja's `Environment.lexer -> Lexer`)."""
        member = self.names.hierarchy.find_member(class_ref, attribute)
        if member is not None and member[0].definition is not None and member[0].definition.is_property:
            return _not_fluent(self._returns(member[0]))
        found: dict[tuple, Value] = {}
        for owner in self.names.hierarchy.mro(class_ref):
            file_symbols = self.symbols.files[owner.file_path]
            index = self._index(owner.file_path)
            for events in index.attributes.get((owner.path, attribute), ()):
                values = self._group(file_symbols, events)
                if values is None:
                    return None
                for value in values:
                    found.setdefault(value.key, value)
        return tuple(found.values()) or None

    def _elements(self, file_symbols: FileSymbols, scope: Scope, container: str, line: int) -> Values:
        """The functions a container literal holds: `handlers = {"a": on_a, "b": on_b}`."""
        events = self._binding_group(file_symbols, scope, container, line)
        if events is None:
            found = self.names.lookup(file_symbols, scope, container, line)
            ref = found.ref if found is not None else None
            if ref is None or ref.label != "Variable":
                return None
            file_symbols = self.symbols.files[ref.file_path]
            events = self._events(file_symbols, ref.path[:-1], ref.path[-1])
        if not events or any(e.kind not in ("items", "none") for e in events):
            return None
        found_values: dict[tuple, Value] = {}
        for event in events:
            for item in event.source.split(",") if event.kind == "items" else ():
                values = self._nested(("item", file_symbols.parse.path, event.scope, item, event.line),
                                      lambda: self._expression(file_symbols, event.scope, item, event.line))
                if values is None:
                    return None
                for value in values:
                    found_values.setdefault(value.key, replace(value, element=True))
        return tuple(found_values.values()) or None

    # --- recursion, cycles and shared caches -----------------------------------------------------

    def _nested(self, key: tuple, compute: Callable[[], Values]) -> Values:
        """One step of a lookup chain; a cycle or a chain too deep gives None, and nothing computed
        from that partial answer is cached (None then reaches the top of the chain: every rule
        needs all its parts known)."""
        if key in self._active or self._depth >= _MAX_DEPTH:
            self._partial = True
            return None
        self._active.add(key)
        self._depth += 1
        self._reach = max(self._reach, self._depth)
        try:
            return compute()
        finally:
            self._depth -= 1
            self._active.discard(key)

    def _cached(self, cache: RecordedCache, key: tuple, compute: Callable[[], Values]) -> Values:
        """A shared entry. It remembers how deep its chain went and is used only where that chain
        still fits under the depth limit, so every file gets what a fresh lookup would give,
        whatever was resolved before it."""

        def measured() -> _Entry:
            outer_partial, outer_reach = self._partial, self._reach
            self._partial, self._reach = False, self._depth
            values = self._nested(key, compute)
            entry = _Entry(values, self._reach - self._depth, self._partial)
            self._partial, self._reach = self._partial or outer_partial, max(outer_reach, self._reach)
            return entry

        entry = cache.get(key, measured)
        if entry.partial:
            cache.forget(key)
        self._reach = max(self._reach, self._depth + entry.height)
        if self._depth + entry.height > _MAX_DEPTH:
            self._partial = True
            return None
        return entry.values

    def _events(self, file_symbols: FileSymbols, scope: Scope, target: str) -> list[ValueBinding] | None:
        """The bindings of ``target`` in ``scope`` of the file; a read of a function's body is recorded as one."""
        record_body_read(self.symbols.recorder, file_symbols, scope)
        return self._index(file_symbols.parse.path).groups.get((scope, target))

    def _index(self, path: str) -> "_FileValues":
        """The file's value bindings indexed, for the VALUE_INDEX_FILES files read last: a large
        repository's bindings are held packed (records.py) and read again when needed."""
        file_symbols = self.symbols.files[path]  # the read is recorded even when the index is reused
        indexes = self._indexes
        cached = indexes.get(path)
        if cached is not None and cached[0] is file_symbols:
            indexes.move_to_end(path)
            return cached[1]
        cached = indexes[path] = (file_symbols, _FileValues.of(file_symbols))
        release_lists(file_symbols.parse, ("values",))  # the index holds them now
        if len(indexes) > VALUE_INDEX_FILES:
            indexes.popitem(last=False)
        return cached[1]


@dataclass(slots=True)
class _FileValues:
    """A file's value bindings by (scope, name), and instance-attribute bindings by (class, attribute)."""

    groups: dict[tuple[Scope, str], list[ValueBinding]]
    attributes: dict[tuple[Scope, str], list[list[ValueBinding]]]

    @classmethod
    def of(cls, file_symbols: FileSymbols) -> "_FileValues":
        groups: dict[tuple[Scope, str], list[ValueBinding]] = {}
        for event in file_symbols.parse.values:
            groups.setdefault((event.scope, event.target), []).append(event)
        attributes: dict[tuple[Scope, str], list[list[ValueBinding]]] = {}
        for (scope, target), events in groups.items():
            if "." in target:  # `self.attr` in a method of the class `scope[:-1]`
                attributes.setdefault((scope[:-1], target.split(".", 1)[1]), []).append(events)
            elif scope and (ref := file_symbols.by_path.get(scope)) is not None and ref.label in CLASS_LABELS:
                attributes.setdefault((scope, target), []).append(events)
        return cls(groups, attributes)


def _replaced_by_decorator(decorators: Iterable[str]) -> bool:
    """Whether a decorator may put something else in the function's place (all but TRANSPARENT_DECORATORS)."""
    return any(d.split("(", 1)[0] not in TRANSPARENT_DECORATORS for d in decorators)


def _not_fluent(values: Values) -> Values:
    """``values`` read outside a method call: a `return self` has no instance to stand for there."""
    return None if values is None or any(value.receiver for value in values) else values


def _function_targets(values: Values, reason: str, confidence: float, split: bool = True) -> list[Resolved]:
    """The callables a name may hold, or nothing when it may hold anything else. A name that holds
    one of them at a time splits the confidence; a call through a container (`ops[k]()`, a loop over
    it) reaches every element over its calls, so each keeps the full confidence."""
    if not values or any(value.function is None for value in values):
        return []
    targets = ([Resolved(reason, confidence, ref=v.function.ref, external_name=v.function.external_name,
                            external_module=v.function.external_module) for v in values])
    return _split(targets) if split else targets


def _split(targets: list[Resolved]) -> list[Resolved]:
    if len(targets) <= 1:
        return targets
    return [Resolved(t.reason, round(t.confidence / len(targets), 4), ref=t.ref, external_name=t.external_name,
                     external_module=t.external_module) for t in targets]


def _is_instance_name(file_symbols: FileSymbols, scope: Scope, name: str) -> bool:
    """Whether ``name`` in ``scope`` is the instance its method runs on (`self`, or whatever a
    method's first parameter is called; `this`)."""
    receivers = EXTRACTORS[file_symbols.parse.language].self_receivers
    return bool(receivers) and file_symbols.is_own_receiver(scope, name, receivers[:1], instance_only=True)

