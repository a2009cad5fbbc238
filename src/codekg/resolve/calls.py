"""Call resolution in three stages: the caller's own scopes and file, then imported names, then a
globally unique name. An ambiguous name links every candidate with split confidence (up to the
`ambiguity_limit` setting) or stays unresolved; it is never linked to one arbitrary candidate.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from codekg.languages import EXTRACTORS
from codekg.languages.base import LanguageExtractor
from codekg.records import ELEMENT_CALL, CallSite, Scope
from codekg.resolve.declared_types import DeclaredTypes
from codekg.resolve.names import INHERITED_MEMBER_CONFIDENCE, SELF_MEMBER_CONFIDENCE, UNKNOWN_VALUE, NameResolver, Resolved
from codekg.resolve.symbols import FileSymbols, SymbolIndex, SymbolRef
from codekg.resolve.types import ValueInference
from codekg.schema import CLASS_LABELS

# A classic script calling a name another classic script declares: both may be loaded by one page, or not.
GLOBAL_NAME_CONFIDENCE = 0.3
# A function passed to a parameter that the callee calls: the callee may rebind the parameter first.
CALLBACK_CONFIDENCE = 0.7
CALLABLE_LABELS = ("Function", "Method", *CLASS_LABELS)


@dataclass(frozen=True, slots=True)
class CallEdge:
    caller: SymbolRef
    callee: Resolved
    line: int


@dataclass(slots=True)
class SiteCalls:
    """One call site's callees by the rules of this module, before the value flow is heard."""

    key: tuple[Scope, int, str]  # scope, line, called name: how the value flow names the site
    target_keys: frozenset[str]  # the callees as the value flow names them (with the value flow on)
    targets: int
    edges: list[CallEdge]


@dataclass(slots=True)
class CallResolution:
    sites: list[SiteCalls] = field(default_factory=list)

    def settled(self, flow_resolved: dict[tuple[Scope, int, str], set[str] | frozenset[str]] | None = None,
                ) -> tuple[list[CallEdge], Counter]:
        """The edges, and how many call sites resolved to one target, to several or to none. Where the
        value flow found other callees for a site (``flow_resolved``), its edges stand instead."""
        edges: list[CallEdge] = []
        outcomes: Counter = Counter()
        for site in self.sites:
            flow_targets = (flow_resolved or {}).get(site.key)
            if flow_targets is not None and site.target_keys != flow_targets:
                outcomes["resolved"] += 1
            elif not site.targets:
                outcomes["unresolved"] += 1
            else:
                outcomes["ambiguous" if site.targets > 1 else "resolved"] += 1
                edges.extend(site.edges)
        return edges, outcomes


def resolve_file_calls(
    symbols: SymbolIndex, names: NameResolver, file_symbols: FileSymbols, ambiguity_limit: int,
    values: ValueInference | None = None, value_flow: bool = False,
) -> CallResolution:
    """The calls made by one file's code, each to every target it may reach. A call whose name means
    no callable may still reach one through what a name holds (resolve/types.py). With ``value_flow``
    the sites carry their callees as the value flow names them, so its answer can settle them
    (`CallResolution.settled`), and callbacks are left to it."""
    result = CallResolution()
    values = values or ValueInference(names)
    declared_types = DeclaredTypes(names, file_symbols)
    parameter_calls = None if value_flow else _first_calls_by_name(file_symbols)
    for call in file_symbols.parse.calls:
        caller = file_symbols.ref_for_scope(call.scope, call.line)
        targets = (_call_targets(symbols, names, file_symbols, call, ambiguity_limit, declared_types)
                   or values.call_targets(file_symbols, call))
        edges: list[CallEdge] = []
        for target in targets:
            edges.append(CallEdge(caller, target, call.line))
            edges.extend(
                CallEdge(caller, constructor, call.line) for constructor in _constructor(names, file_symbols, target)
            )
            if parameter_calls is not None:  # the value flow binds arguments to parameters itself
                edges.extend(_callback_edges(symbols, names, file_symbols, call, target, parameter_calls))
        keys = frozenset(_target_keys(names, file_symbols, targets)) if value_flow else frozenset()
        result.sites.append(SiteCalls((call.scope, call.line, call.callee), keys, len(targets), edges))
    return result


def _target_keys(names: NameResolver, file_symbols: FileSymbols, targets: list[Resolved]) -> set[str]:
    """The callees of a call as the value flow names them: definition ids (a class with the
    constructors it runs) and external names."""
    keys = set()
    for target in targets:
        keys.add(target.ref.id if target.ref else target.external_name)
        keys.update(constructor.ref.id for constructor in _constructor(names, file_symbols, target) if constructor.ref)
    return keys


def _callback_edges(
    symbols: SymbolIndex, names: NameResolver, file_symbols: FileSymbols, call: CallSite, target: Resolved,
    first_calls: dict[tuple[str, str], int],
) -> list[CallEdge]:
    """`run(g)` where `run`, defined in this same file, calls its parameter: `run` calls `g`.

    Only a callee of this file: its edges are then derived from this file alone, so no other file's
    resolution can produce the same edge (a callee elsewhere is left unresolved)."""
    ref = target.ref
    if not call.arguments or ref is None or ref.label not in ("Function", "Method") or ref.definition is None:
        return []
    if ref.file_path != file_symbols.parse.path:
        return []
    definition = ref.definition
    parameters = definition.parameters
    if ref.label == "Method" and call.receiver is not None and not definition.is_static:
        parameters = parameters[1:]  # a bound call: the first parameter is the instance or the class
    edges: list[CallEdge] = []
    for argument, parameter in zip(call.arguments, parameters):
        line = first_calls.get((ref.path, parameter)) if argument else None  # where its body calls the parameter
        if line is None:
            continue
        passed = names.lookup(file_symbols, call.scope, argument, call.line)
        if passed is None or not callable_target(passed):
            continue
        for callee in _each_definition(symbols, passed):
            confidence = round(CALLBACK_CONFIDENCE * target.confidence * callee.confidence, 4)
            edges.append(CallEdge(ref, Resolved("callback-argument", confidence, ref=callee.ref,
                                                external_name=callee.external_name,
                                                external_module=callee.external_module), line))
    return edges


def _first_calls_by_name(file_symbols: FileSymbols) -> dict[tuple[str, str], int]:
    """(scope, name) → the first line where that scope calls a bare name, for the whole file at once:
    looking each callback's parameter up in every call of the file made a file of 40,000 one-line
    functions take a minute (a new user's finding)."""
    first: dict[tuple[str, str], int] = {}
    for call in file_symbols.parse.calls:
        if call.receiver is None:
            first.setdefault((call.scope, call.callee), call.line)
    return first


def _call_targets(
    symbols: SymbolIndex, names: NameResolver, file_symbols: FileSymbols, call: CallSite, ambiguity_limit: int,
    declared_types: DeclaredTypes,
) -> list[Resolved]:
    language = EXTRACTORS[file_symbols.parse.language]
    if call.callee == ELEMENT_CALL:
        return []  # not a member name: only what the container holds can tell (resolve/types.py)
    if call.receiver is None:
        found = names.lookup(file_symbols, call.scope, call.callee, call.line)
        if found is not None:
            return _each_definition(symbols, found) if callable_target(found) else []
        return _global_candidates(symbols, language, file_symbols, call.callee, ambiguity_limit)
    if call.receiver.startswith("<expr>"):
        return []
    if call.receiver == "super" or file_symbols.is_own_receiver(call.scope, call.receiver, language.self_receivers):
        owner = file_symbols.enclosing_class(call.scope)
        if owner is None:
            return []
        is_super = call.receiver == "super"
        found_member = names.hierarchy.find_member(owner, call.callee, skip_own=is_super)
        if found_member is None:
            return []
        member, position = found_member
        if member.label not in CALLABLE_LABELS:
            return []
        confidence = SELF_MEMBER_CONFIDENCE if position == 0 or is_super else INHERITED_MEMBER_CONFIDENCE
        return _each_definition(symbols, Resolved("super-member" if is_super else "self-member", confidence, ref=member))
    owner_resolved = names.lookup_dotted(file_symbols, call.scope, call.receiver, call.line)
    if owner_resolved is None or owner_resolved is UNKNOWN_VALUE:  # not a name with a known value: its type may be
        typed = declared_types.member_call(call, file_symbols.enclosing_class(call.scope))
        return _each_definition(symbols, typed) if typed is not None and callable_target(typed) else []
    found = names.member(owner_resolved, call.callee)
    return _each_definition(symbols, found) if found is not None and callable_target(found) else []


def _each_definition(symbols: SymbolIndex, target: Resolved) -> list[Resolved]:
    """A name defined more than once in one scope (`if …: def f` / `else: def f`) is each of them,
    with the confidence split: which one runs is decided at run time."""
    if target.ref is None:
        return [target]
    definitions = symbols.files[target.ref.file_path].definitions_of(target.ref)
    if len(definitions) == 1:
        return [target]
    share = round(target.confidence / len(definitions), 4)
    # a twin that is not callable (`X = None` beside `class X`) keeps its share but takes no edge
    return [Resolved(target.reason, share, ref=ref) for ref in definitions if ref.label in CALLABLE_LABELS]


def callable_target(target: Resolved) -> bool:
    """Only functions, methods, classes and external names can be call targets (not modules or variables)."""
    if target.ref is not None:
        definition = target.ref.definition
        return target.ref.label in CALLABLE_LABELS and not (definition is not None and definition.is_type_only)
    return bool(target.external_name)


def _global_candidates(
    symbols: SymbolIndex, language: LanguageExtractor, file_symbols: FileSymbols, name: str, ambiguity_limit: int
) -> list[Resolved]:
    """What a name bound nowhere in the file may mean. In a module (any Python file; a JS/TS file with
    an import or export) it means nothing: calling it raises NameError/ReferenceError, so nothing is
    guessed. Classic scripts share a page's global scope, so the top-level functions and classes of
    that name in other classic scripts are candidates, at low confidence."""
    if not language.scripts_share_globals or not _is_classic_script(file_symbols):
        return []
    candidates = [
        ref for ref in symbols.by_name.get((language.resolution_family, name), ())
        if ref.label in CALLABLE_LABELS and _is_classic_script(symbols.files[ref.file_path])
    ]
    if len(candidates) == 1:
        return [Resolved("unique-global-name", GLOBAL_NAME_CONFIDENCE, ref=candidates[0])]
    if 1 < len(candidates) <= ambiguity_limit:
        share = round(GLOBAL_NAME_CONFIDENCE / len(candidates), 4)
        return [Resolved("ambiguous-global-name", share, ref=ref) for ref in sorted(candidates, key=lambda r: r.id)]
    return []


def _is_classic_script(file_symbols: FileSymbols) -> bool:
    return not file_symbols.parse.imports and not file_symbols.parse.exports



def _constructor(names: NameResolver, file_symbols: FileSymbols, target: Resolved) -> list[Resolved]:
    """An instantiation also calls the class's constructor, when the class (or a base) defines one."""
    if target.ref is None or target.ref.label not in CLASS_LABELS:
        return []
    language = names.symbols.files[target.ref.file_path].parse.language
    constructor_name = EXTRACTORS[language].constructor_name
    found = names.hierarchy.find_member(target.ref, constructor_name) if constructor_name else None
    if found is None or found[0].label != "Method":
        return []
    return [Resolved("constructor", target.confidence, ref=found[0])]
