"""Member calls on receivers with a declared type: `s.run()` where `s: Service` is a parameter or
local variable, `this.s.run()` where the class declares the field `s: Service` (TypeScript
annotations, recorded by the extractor as ``annotation``).

The declared type is resolved where it is written (type-only imports count); the member is looked
up along that class's or interface's MRO. A subclass instance may override the method, so the edge
is `declared-type` at SELF_MEMBER_CONFIDENCE (found on the type itself) or INHERITED_MEMBER_CONFIDENCE
(on a base), times the confidence of the type's own resolution. Reads only the calling file's own
parse and, through the symbol index, the files the type and its bases live in.
"""

from __future__ import annotations

from codekg.languages import EXTRACTORS
from codekg.languages.base import WHOLE_SCOPE
from codekg.records import CallSite, LocalBinding, Scope
from codekg.resolve.names import INHERITED_MEMBER_CONFIDENCE, SELF_MEMBER_CONFIDENCE, UNKNOWN_VALUE, NameResolver, Resolved
from codekg.resolve.symbols import FileSymbols, SymbolRef
from codekg.schema import TYPE_LABELS

DECLARED_TYPE = "declared-type"


class DeclaredTypes:
    """One file's typed receivers: its parameters' and locals' annotations, indexed on first use."""

    def __init__(self, names: NameResolver, file_symbols: FileSymbols) -> None:
        self.names = names
        self.file_symbols = file_symbols
        self._bindings: dict[tuple[Scope, str], list[LocalBinding]] | None = None

    def member_call(self, call: CallSite, owner: SymbolRef | None) -> Resolved | None:
        """The method a call on a typed receiver reaches, or None when the receiver has no usable
        declared type. ``owner`` is the class whose method the call is in (for `this.field`), if any."""
        names, receiver = self.names, call.receiver
        if receiver is None:
            return None
        parts = receiver.split(".")
        if len(parts) == 2 and parts[0] in EXTRACTORS[self.file_symbols.parse.language].self_receivers:
            if owner is None:
                return None
            found = names.hierarchy.find_member(owner, parts[1])
            if found is None or found[0].label != "Variable" or found[0].definition is None:
                return None
            field = found[0]
            declared = declared_type(names, names.symbols.files[field.file_path], field.path[:-1], field.definition.annotation)
        elif len(parts) == 1:
            annotation = self._local_annotation(call.scope, receiver, call.line)
            declared = declared_type(names, self.file_symbols, call.scope, annotation)
        else:
            return None
        return _instance_member(names, declared, call.callee) if declared is not None else None

    def _local_annotation(self, scope: Scope, name: str, line: int) -> str:
        """The declared type of the parameter or local ``name`` the call sees, "" when it has none
        (or the name means something else there: a definition, an import, a module-level name)."""
        if self.names.lookup(self.file_symbols, scope, name, line) is not UNKNOWN_VALUE:
            return ""
        if self._bindings is None:
            self._bindings = {}
            for binding in self.file_symbols.parse.local_bindings:
                self._bindings.setdefault((binding.scope, binding.name), []).append(binding)
        for depth in range(len(scope), 0, -1):  # innermost first, as NameResolver.lookup goes
            prefix = scope[:depth]
            own: LocalBinding | None = None
            for binding in self._bindings.get((prefix, name), ()):
                if (binding.region_start, binding.region_end) == WHOLE_SCOPE:
                    own = own or binding
                elif binding.region_start <= line <= binding.region_end:
                    return binding.annotation  # a parameter of an anonymous function around the call
            if own is not None:
                return own.annotation
            if name in self.file_symbols.children.get(prefix, {}):
                return ""
        return ""


def declared_type(names: NameResolver, file_symbols: FileSymbols, scope: Scope, annotation: str) -> Resolved | None:
    """The class, interface, type alias, enum or external name an annotation written in ``scope``
    refers to (through a TS `import type` too)."""
    if not annotation:
        return None
    head, *rest = annotation.split(".")
    imported = names.file_imports(file_symbols.parse.path).lookup(head, scope)
    if imported is not None and imported.type_only and file_symbols.top_level(head) is None:
        found = names.members(names.import_meaning(imported), rest)
    else:
        found = names.lookup_dotted(file_symbols, scope, annotation)
    if found is None or (found.ref is None and not found.external_name):
        return None
    if found.ref is not None and found.ref.label not in TYPE_LABELS:
        return None
    return found


def _instance_member(names: NameResolver, declared: Resolved, name: str) -> Resolved | None:
    if declared.ref is None:
        return Resolved(DECLARED_TYPE, round(declared.confidence * SELF_MEMBER_CONFIDENCE, 4),
                        external_name=f"{declared.external_name}.{name}", external_module=declared.external_module)
    found = names.hierarchy.find_member(declared.ref, name)
    if found is None:
        return None
    member, position = found
    if member.definition is not None and member.definition.is_static:
        return None  # a static method is not reachable from an instance
    factor = SELF_MEMBER_CONFIDENCE if position == 0 else INHERITED_MEMBER_CONFIDENCE
    return Resolved(DECLARED_TYPE, round(declared.confidence * factor, 4), ref=member)
