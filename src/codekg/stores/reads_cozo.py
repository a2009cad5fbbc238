"""`GraphReads` in CozoScript: the query layer of the CozoDB store (stores/cozo.py).

Takes: a CozoStore (its `run`, and the relations it declares: one per label keyed by its primary
key, one per relationship type keyed by `from`, `to` with an index on `to`, both recording their
endpoints' labels). Returns the records of stores/reads.py, equal to what `CypherReads` returns on
the same graph.

Each read is one script: every (label) of a node read and every (step, relationship type,
neighbour label) of a neighbour read is one definition of the rule `?`, which is their union. The
shapes that make a read fast: an id is bound before the relation it keys (`near = $id` or an input
rule `ids[near]`), so the engine looks the key up instead of scanning; a name is looked up in
`SymbolName` (stores/cozo.py) for the ids it names; an edge entering a node is found through the
`to` index. A rule's head always holds the row's own key, because a rule is a
set: two nodes (or edges) with equal columns stay two rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from codekg.schema import NODE_LABELS, REL_TYPE_BY_NAME
from codekg.stores.reads import IN, LABEL, NODE_COLUMNS, Expansion, Filter, Neighbour, Step

METADATA_LABEL = "IndexMeta"
_LISTS = (list, tuple, set, frozenset)
_ALL_LABELS = tuple(label.name for label in NODE_LABELS if label.name != METADATA_LABEL)
_PROPERTIES = {label.name: [p.name for p in label.properties] for label in NODE_LABELS}


class CozoReads:
    """The read primitives of a CozoDB ``store``."""

    def __init__(self, store: Any) -> None:
        self.store = store

    # --- nodes --------------------------------------------------------------------------------------

    def nodes(self, labels: str | Sequence[str] | None = None, where: Filter | Sequence[Filter] = (),
              columns: Sequence[str] = NODE_COLUMNS, holding_line: int | None = None,
              distinct: bool = False) -> list[tuple[Any, ...]]:
        filters = [where] if isinstance(where, Mapping) else list(where)
        filters = filters or [{}]
        chosen = _ALL_LABELS if labels is None else (labels,) if isinstance(labels, str) else tuple(labels)
        params: dict[str, Any] = {}
        inputs: list[str] = []
        for number, conjunction in enumerate(filters):
            for name, value in conjunction.items():
                key = f"f{number}_{name}"
                if isinstance(value, _LISTS):
                    if value:  # a conjunction with an empty list matches nothing: it gets no rule
                        params[key] = [[v] for v in value]
                        inputs.append(f"{key}[x] <- ${key}")
                else:
                    params[key] = value
        if holding_line is not None:
            params["line"] = holding_line
        rules = []
        for label in chosen:
            properties = _PROPERTIES[label]
            for number, conjunction in enumerate(filters):
                if any(name not in properties for name in conjunction) or any(
                        isinstance(v, _LISTS) and not v for v in conjunction.values()):
                    continue  # a property the label lacks is null: it equals nothing
                if holding_line is not None and "start_line" not in properties:
                    continue
                body = [f"f{number}_{name}[v_{name}]" if isinstance(value, _LISTS) else f"v_{name} = $f{number}_{name}"
                        for name, value in conjunction.items()]
                if "name" in conjunction and properties[0] not in conjunction:  # by name: looked up, not scanned
                    body.append(f"v_folded = lowercase(v_name), *SymbolName{{folded: v_folded, name: v_name, "
                                f"id: v_{properties[0]}, label: name_label}}, name_label == {_quote(label)}")
                bound = {properties[0], *conjunction, *(c for c in columns if c in properties)}
                if holding_line is not None:
                    bound |= {"start_line", "end_line"}
                body.append(_atom(label, {name: f"v_{name}" for name in sorted(bound)}))
                if holding_line is not None:
                    body.append("v_start_line <= $line, v_end_line >= $line")
                head = [] if distinct else [f"v_{properties[0]}"]
                for i, column in enumerate(columns):
                    head.append(f"c{i}")
                    body.append(f"c{i} = {_quote(label)}" if column == LABEL else
                                f"c{i} = v_{column}" if column in properties else f"c{i} = null")
                rules.append(f"?[{', '.join(head)}] := {', '.join(body)}")
        if not rules:
            return []
        rows = self.store.run("\n".join(inputs + rules), params)
        return [tuple(row) if distinct else tuple(row[1:]) for row in rows]

    # --- neighbours ---------------------------------------------------------------------------------

    def neighbours(self, expansions: Sequence[Expansion], columns: Sequence[str] = NODE_COLUMNS) -> list[Neighbour]:
        edge_columns = list(dict.fromkeys(name for e in expansions for step in e.steps for name in step.edge_columns))
        params: dict[str, Any] = {}
        inputs: list[str] = []
        rules: list[_HopRule] = []
        steps: list[Step] = []
        for number, expansion in enumerate(expansions):
            if expansion.ids is not None and not expansion.ids:
                continue
            anchor = None
            if expansion.ids is not None:
                anchor = f"ids{number}[near]"
                params[f"ids{number}"] = [[i] for i in expansion.ids]
                inputs.append(f"ids{number}[x] <- $ids{number}")
            near_labels = None if expansion.label is None else \
                (expansion.label,) if isinstance(expansion.label, str) else tuple(expansion.label)
            for step in expansion.steps:
                part = len(steps)
                steps.append(step)
                if step.min_confidence is not None:
                    params[f"min{part}"] = float(step.min_confidence)
                rules += self._hop_rules(step, part, anchor, near_labels, edge_columns)
        if not rules:
            return []
        reached = sorted({label for rule in rules for label in rule.reached})
        if all(column in (LABEL, _PROPERTIES[label][0]) for label in reached for column in columns):
            reached = [None]  # no label's own columns: one rule returns every neighbour from `hop` alone
        rows = self.store.run("\n".join(inputs + [rule.text for rule in rules]
                                         + [self._node_rule(label, columns, len(edge_columns)) for label in reached]), params)
        width = 4 + len(columns)
        found = []
        for row in rows:
            step = steps[row[0]]
            edge = dict(zip(edge_columns, row[width:])) if edge_columns else {}
            found.append(Neighbour(step.kind, row[2], row[1], tuple(row[4:width]), edge))
        return found

    def _hop_rules(self, step: Step, part: int, anchor: str | None, near_labels: tuple[str, ...] | None,
                   edge_columns: list[str]) -> list["_HopRule"]:
        """One rule of `hop[part, relation, near, reached, reached_label, x…]` per relationship type
        the step follows: the edges are read once, whatever labels their far ends have (the schema's
        pairs give the labels a neighbour may have; `_node_rule` then reads each label's columns)."""
        rules = []
        for rel_type in step.rel_types:
            spec = REL_TYPE_BY_NAME[rel_type]
            edge_properties = {p.name for p in spec.properties}
            nears: set[str] = set()
            fars: set[str] = set()
            for source, target in spec.pairs:
                near, far = (target, source) if step.direction == IN else (source, target)
                if near_labels is not None and near not in near_labels:
                    continue
                if (step.labels and far not in step.labels) or far in step.exclude_labels:
                    continue
                nears.add(near)
                fars.add(far)
            if not fars:
                continue
            # Edges only join the schema's pairs, so a near label and a far label that each belong
            # to an allowed pair are an allowed pair.
            ends = {"from": "far", "to": "near"} if step.direction == IN else {"from": "near", "to": "far"}
            near_side, far_side = ("to_label", "from_label") if step.direction == IN else ("from_label", "to_label")
            # A literal inside an atom makes the engine join the whole relation: labels are
            # bound to variables and compared after it.
            bound = {**ends, far_side: "far_label", near_side: "near_label"}
            for i, name in enumerate(edge_columns):
                if name in step.edge_columns and name in edge_properties:
                    bound[name] = f"e{i}"
            if step.min_confidence is not None:
                bound.setdefault("confidence", "confidence")
            body = [anchor] if anchor else []
            body.append(_atom(rel_type, bound))
            body.append(f"is_in(far_label, {_list(fars)})")
            if near_labels is not None:
                body.append(f"is_in(near_label, {_list(nears)})")
            if step.min_confidence is not None:
                body.append(f"{bound['confidence']} >= $min{part}")
            reached, reached_label = "far", "far_label"
            labels = fars
            if step.then:
                then_type, then_label = step.then
                body.append(_atom(then_type, {"from": "far", "to": "node", "to_label": "then_label"}))
                body.append(f"then_label == {_quote(then_label)}")
                reached, reached_label, labels = "node", "then_label", {then_label}
            body.append(f"part = {part}, relation = {_quote(rel_type)}")
            head = ["part", "relation", "near", reached, reached_label]
            for i, name in enumerate(edge_columns):
                head.append(f"x{i}")
                body.append(f"x{i} = {bound.get(name, 'null') if name in step.edge_columns else 'null'}")
            rules.append(_HopRule(f"hop[{', '.join(head)}] := {', '.join(body)}", frozenset(labels)))
        return rules

    @staticmethod
    def _node_rule(label: str | None, columns: Sequence[str], edge_width: int) -> str:
        """The rows of `?` for the neighbours of one label that `hop` reached, with their columns; with
        None, of every label, when the columns are only the key and the label."""
        properties = _PROPERTIES[label] if label else []
        wanted = {c: f"n_{c}" for c in columns if c in properties and c != properties[0]}
        extra = [f"x{i}" for i in range(edge_width)]
        body = [f"hop[{', '.join(['part', 'relation', 'near', 'node', 'node_label', *extra])}]"]
        if label:
            body.append(f"node_label == {_quote(label)}")
        if wanted:
            body.append(_atom(label, {properties[0]: "node", **wanted}))  # type: ignore[arg-type]
        head = ["part", "relation", "near", "node"]
        for i, column in enumerate(columns):
            head.append(f"c{i}")
            value = ("node_label" if label is None else _quote(label)) if column == LABEL else \
                "node" if label is None or column == properties[0] else wanted.get(column, "null")
            body.append(f"c{i} = {value}")
        return f"?[{', '.join(head + extra)}] := {', '.join(body)}"

    # --- metadata and counts ------------------------------------------------------------------------

    def metadata(self, keys: Sequence[str] | None = None) -> dict[str, str]:
        if keys is None:
            rows = self.store.run(f"?[k, v] := *{METADATA_LABEL}{{key: k, value: v}}")
        else:
            rows = self.store.run(f"wanted[k] <- $keys ?[k, v] := wanted[k], *{METADATA_LABEL}{{key: k, value: v}}",
                                  {"keys": [[k] for k in keys]}) if keys else []
        return {key: value for key, value in rows}

    def count_nodes(self, label: str) -> int:
        key = _PROPERTIES[label][0]
        return self.store.run(f"?[count(k)] := *{label}{{{key}: k}}")[0][0]

    def count_edges(self, rel_type: str) -> int:
        return self.store.run(f"?[count(a)] := *{rel_type}{{from: a, to: b}}")[0][0]

    def count_values(self, label: str, column: str) -> dict[Any, int]:
        key = _PROPERTIES[label][0]
        rows = self.store.run(f"?[v, count(k)] := *{label}{{{key}: k, {column}: v}}")
        return dict(sorted(((value, count) for value, count in rows), key=lambda item: (item[0] is None, item[0])))


def _atom(relation: str, bound: Mapping[str, str]) -> str:
    """``*relation{field: variable-or-literal, …}``."""
    return f"*{relation}{{{', '.join(f'{name}: {value}' for name, value in bound.items())}}}"


def _list(names: set[str]) -> str:
    return f"[{', '.join(_quote(name) for name in sorted(names))}]"


class _HopRule(NamedTuple):
    text: str
    reached: frozenset[str]  # the labels of the nodes its rows reach


def _quote(text: str) -> str:
    """A string literal of a name (labels, relationship types: no quote inside)."""
    assert "'" not in text and "\\" not in text, text
    return f"'{text}'"
