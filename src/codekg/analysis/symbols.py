"""Resolve the text a person or an agent typed (SYMBOL) to one node of the index.

Takes: a read-only store and the text. Returns: a `Symbol` (id, label, names, source location,
signature, docstring). The text is tried, in order, as an exact qualified name, a node id, a short
name, and a dotted suffix of a qualified name (`Order.save`); the first kind that matches anything
decides, but an External matched by its qualified name (an import name such as `send`) is one
candidate beside the project's symbols of that short name. One match is the answer (a function's
`@overload` stubs beside its implementation count as the implementation); several raise
`SymbolAmbiguousError` with the candidates; none raises `SymbolNotFoundError`.

A node's `name` is always the last `.`-separated part of its qualified name (`/`-separated for a
path), so every kind of match is found by one scan comparing `name` with one string, several times
cheaper than comparing qualified names or suffixes across every table; the chosen node is then
read by primary key. A text that looks like an id (`Method:src/a.py:a.C.m`) is looked up by
primary key first.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from codekg.errors import InputError, SymbolAmbiguousError, SymbolNotFoundError
from codekg.stores.base import GraphStore

SYMBOL_LABELS = ("File", "Module", "Class", "Interface", "Enum", "Type", "Function", "Method", "Variable", "External",
                 "OntologyClass", "OntologyProperty")
# what an id may name beyond those: a decorator application (a caller of its decorator) is reached by
# its id from a caller list, never by a name ("app.route" names many)
ID_LABELS = SYMBOL_LABELS + ("Decorator",)
MAX_CANDIDATES_SHOWN = 20
MAX_SUGGESTIONS = 3  # "did you mean" names for a symbol nothing matches


@dataclass(frozen=True, slots=True)
class Symbol:
    """A node of the index, with where it is in the source."""

    id: str
    label: str
    name: str
    qualified_name: str
    file_path: str
    start_line: int
    end_line: int

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> "Symbol":
        """From a node read with the query layer's `NODE_COLUMNS` (stores/reads.py), in that order."""
        label, id_, name, qualified_name, file_path, start, end = row
        return cls(id_, label, name or "", qualified_name or "", file_path or "", int(start or 0), int(end or 0))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form every analysis result uses for a symbol: identity plus source location."""
        return {
            "id": self.id,
            "label": self.label,
            "name": self.name,
            "qualified_name": self.qualified_name,
            "file_path": self.file_path,
            "start_line": self.start_line,
            "end_line": self.end_line,
        }


def label_of_id(node_id: str) -> str:
    """Node ids start with their label (`Method:src/a.py:a.C.m`), so the label needs no query."""
    return node_id.split(":", 1)[0]


def resolve_symbol(store: GraphStore, text: str) -> Symbol:
    """The one node ``text`` names; see the module docstring for the order of the attempts."""
    text = text.strip()
    if not text:
        raise InputError("no symbol given: pass a name, a qualified name or an id")  # bad input, not an unknown symbol
    label = label_of_id(text)
    if ":" in text and label in ID_LABELS:
        found = store.reads.nodes(label, where={"id": text})
        if found:
            return Symbol.from_row(found[0])
    # Only label, id and qualified name across every table, and one equality: each extra column or
    # OR-ed condition of an unlabeled scan costs about as much as the scan itself.
    found = store.reads.nodes(where={"name": _last_part(text)}, columns=("label", "id", "qualified_name"))
    found = [row for row in found if row[0] in SYMBOL_LABELS]

    def short_name(id_: str, qn: str) -> bool:
        return qn.rsplit(".", 1)[-1] == text or qn.rsplit("/", 1)[-1] == text

    for matches in (
        lambda id_, qn: qn == text,
        lambda id_, qn: id_ == text,
        short_name,
        lambda id_, qn: "." in text and qn.endswith("." + text),
    ):
        chosen = [id_ for _, id_, qn in found if matches(id_, qn or "")]
        if chosen and all(label_of_id(id_) == "External" for id_ in chosen):
            # an External's qualified name is its import name (`send`, `etag`): the project's own
            # symbols of that short name are as likely meant (`context send` gave the npm package alone)
            chosen += [id_ for label, id_, qn in found if label != "External" and short_name(id_, qn or "")]
        if chosen:
            symbols = sorted(symbols_by_id(store, chosen).values(), key=_candidate_order)
            if len(symbols) > 1:
                symbols = _without_overload_stubs(store, symbols)
            if len(symbols) == 1:
                return symbols[0]
            raise _ambiguous(text, symbols)
    raise _not_found(store, text)


def symbols_by_id(store: GraphStore, ids: list[str]) -> dict[str, Symbol]:
    """The nodes with these ids, by primary-key lookups: one query per label among them."""
    by_label: dict[str, list[str]] = {}
    for id_ in ids:
        by_label.setdefault(label_of_id(id_), []).append(id_)
    symbols = {}
    for label, label_ids in by_label.items():
        symbols.update((row[1], Symbol.from_row(row)) for row in store.reads.nodes(label, where={"id": label_ids}))
    return symbols


def _without_overload_stubs(store: GraphStore, symbols: list[Symbol]) -> list[Symbol]:
    """One function's `@overload` stubs and its implementation (one file, one qualified name) are the
    implementation: a stub is never what runs. Any other set of candidates stays as it is."""
    if len({(s.qualified_name, s.file_path) for s in symbols}) != 1 or symbols[0].label not in ("Function", "Method"):
        return symbols
    decorators = {row[0]: row[1] or [] for row in store.reads.nodes(symbols[0].label, where={"id": [s.id for s in symbols]},
                                                                    columns=("id", "decorators"))}
    kept = [s for s in symbols if not any(d.split("(", 1)[0].rsplit(".", 1)[-1] == "overload" for d in decorators.get(s.id, []))]
    return kept if len(kept) == 1 else symbols


def _not_found(store: GraphStore, text: str) -> SymbolNotFoundError:
    """The error for a text nothing matches, with the symbols whose name is closest to its last part
    (a typo: `chekout` → `shop.service.checkout`). Only on this path: it reads every node's name."""
    names = [name for name, in store.reads.nodes(columns=("name",), distinct=True) if name is not None]
    close = difflib.get_close_matches(_last_part(text), names, n=MAX_SUGGESTIONS, cutoff=0.75)
    suggestions: list[str] = []
    if close:
        rows = store.reads.nodes(where={"name": close}, columns=("label", "qualified_name"))
        rank = {name: position for position, name in enumerate(close)}
        found = sorted({qn for label, qn in rows if label in SYMBOL_LABELS and label != "External"},
                       key=lambda qn: (rank.get(_last_part(qn), len(rank)), qn))
        suggestions = found[:MAX_SUGGESTIONS]
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else " (try a qualified name, e.g. `pkg.module.func`)"
    return SymbolNotFoundError(f"no symbol named {text!r} in the index{hint}", suggestions)


def _last_part(text: str) -> str:
    """The `name` every match of ``text`` has: `save` for `Order.save`, `run.py` for `scripts/run.py`."""
    return text.rsplit("/", 1)[-1] if "/" in text else text.rsplit(".", 1)[-1]


def _candidate_order(symbol: Symbol) -> tuple:
    return (symbol.qualified_name, symbol.file_path, symbol.start_line, symbol.id)


def _ambiguous(text: str, candidates: list[Symbol]) -> SymbolAmbiguousError:
    shown = candidates[:MAX_CANDIDATES_SHOWN]
    lines = [f"{text!r} is ambiguous: {len(candidates)} symbols match; pass a qualified name or an id:"]
    lines += [f"  {s.label:<9} {s.qualified_name}  ({_where(s)})  id {s.id}" for s in shown]
    if len(candidates) > len(shown):
        lines.append(f"  … and {len(candidates) - len(shown)} more")
    return SymbolAmbiguousError("\n".join(lines), [s.to_dict() for s in candidates])


def _where(symbol: Symbol) -> str:
    if not symbol.file_path:
        return "external"
    return f"{symbol.file_path}:{symbol.start_line}" if symbol.start_line else symbol.file_path
