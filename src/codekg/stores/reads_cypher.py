"""`GraphReads` in Cypher: the query layer of every Cypher store (Ladybug, FalkorDB, Neo4j, Memgraph).

Takes: a store with `query` and `dialect` (stores/dialect.py: how a label, a relationship type and
a typed null are spelled). Returns the records of stores/reads.py.

Each read is one statement: the labels of a node read and every step of a neighbour read are the
parts of one UNION ALL. The shapes are the fast ones measured on the embedded store:
- a node anchored on a label is found by its primary key (`(b:Class {id: $x})`) for one id, by an
  IN filter for up to `IN_FILTER_MAX_IDS` ids and by UNWIND above: on fastapi an UNWIND costs
  3-5 ms even for one id (it is planned as a join over the whole relationship table), an IN filter
  about 1 ms. A node read by a list of ids of one label is always an UNWIND of key lookups;
- an unlabelled read scans every table, so callers name the label whenever they know it;
- a neighbour's label is written into the pattern when there is one (`(c:Module)`), compared
  with the dialect's label expression otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from codekg.schema import REL_TYPES, PropType, cypher_label
from codekg.stores.reads import IN, LABEL, NODE_COLUMNS, Expansion, Filter, Neighbour, Step

# Above this many ids, UNWIND (one index lookup per id) beats an IN filter over the label's table.
IN_FILTER_MAX_IDS = 100
METADATA_LABEL = "IndexMeta"
_LISTS = (list, tuple, set, frozenset)
_neighbour = tuple.__new__  # a Neighbour from its fields, without NamedTuple's slower constructor
_NO_EDGE: Mapping[str, Any] = MappingProxyType({})  # the edge of a read that asks for no edge property
# the type of each edge property, for the typed null a UNION ALL part returns where its edge has none
_EDGE_PROPERTY_TYPES = {prop.name: prop.type for rel in REL_TYPES for prop in rel.properties}


class CypherReads:
    """The read primitives of ``store``, in the Cypher its `dialect` speaks."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.dialect = store.dialect

    # --- nodes --------------------------------------------------------------------------------------

    def nodes(self, labels: str | Sequence[str] | None = None, where: Filter | Sequence[Filter] = (),
              columns: Sequence[str] = NODE_COLUMNS, holding_line: int | None = None,
              distinct: bool = False) -> list[tuple[Any, ...]]:
        filters = [where] if isinstance(where, Mapping) else list(where)
        if not filters:
            filters = [{}]
        params: dict[str, Any] = {}
        for number, conjunction in enumerate(filters):
            for name, value in conjunction.items():
                params[f"f{number}_{name}"] = list(value) if isinstance(value, _LISTS) else value
        if holding_line is not None:
            params["line"] = holding_line
        chosen = [None] if labels is None else [labels] if isinstance(labels, str) else list(labels)
        parts = []
        for label in chosen:
            keyed = label is not None and len(filters) == 1 and "id" in filters[0]
            prefix, anchor = "", f"(n:{cypher_label(label)})" if label else "(n)"
            if keyed:
                key = "f0_id"
                if isinstance(filters[0]["id"], _LISTS):
                    prefix, anchor = f"UNWIND ${key} AS i ", f"(n:{cypher_label(label)} {{id: i}})"
                else:
                    anchor = f"(n:{cypher_label(label)} {{id: ${key}}})"
            alternatives = []
            for number, conjunction in enumerate(filters):
                tests = [_test(f"n.{name}", f"f{number}_{name}", value) for name, value in conjunction.items()
                         if not (keyed and name == "id")]
                if tests:
                    alternatives.append(" AND ".join(tests))
            clauses = [" OR ".join(f"({a})" for a in alternatives) if len(alternatives) > 1 else "".join(alternatives)]
            if holding_line is not None:
                clauses.append("n.start_line <= $line AND n.end_line >= $line")
            where_text = " AND ".join(clause for clause in clauses if clause)
            returned = ", ".join(f"{self._node_column('n', name, label)} AS c{i}" for i, name in enumerate(columns))
            parts.append(f"{prefix}MATCH {anchor}{' WHERE ' + where_text if where_text else ''} "
                         f"RETURN {'DISTINCT ' if distinct else ''}{returned}")
        glue = " UNION " if distinct else " UNION ALL "
        return list(map(tuple, self.store.query(glue.join(parts), params).rows))

    # --- neighbours ---------------------------------------------------------------------------------

    def neighbours(self, expansions: Sequence[Expansion], columns: Sequence[str] = NODE_COLUMNS) -> list[Neighbour]:
        edge_columns = list(dict.fromkeys(name for e in expansions for step in e.steps for name in step.edge_columns))
        params: dict[str, Any] = {}
        chosen: list[tuple[Step, str, str, list[str], str]] = []
        for number, expansion in enumerate(expansions):
            if expansion.ids is not None and not expansion.ids:
                continue
            prefix, anchor, conditions = self._anchor(expansion, f"ids{number}", params)
            chosen += [(step, prefix, anchor, conditions, f"min{number}_{step_number}")
                       for step_number, step in enumerate(expansion.steps)]
        if not chosen:
            return []
        # Every column costs time per row: the relationship's type only when a step follows several
        # types, a part's number only when the parts differ in kind (or in their one type, untyped).
        kinds = [step.kind for step, *_ in chosen]
        types = [step.rel_types[0] for step, *_ in chosen]
        typed = any(len(step.rel_types) > 1 for step, *_ in chosen)
        numbered = len(set(kinds)) > 1 or (not typed and len(set(types)) > 1)
        parts = [self._step_part(step, prefix, anchor, list(conditions), min_key, params, columns, edge_columns,
                                 number if numbered else None, typed)
                 for number, (step, prefix, anchor, conditions, min_key) in enumerate(chosen)]
        rows = self.store.query(" UNION ALL ".join(parts), params).rows
        if not numbered and not typed and not edge_columns:  # the common large read: one step, one type
            kind, relation = kinds[0], types[0]
            if len(columns) == 1:
                return [_neighbour(Neighbour, (kind, near, relation, (value,), _NO_EDGE)) for near, value in rows]
            return [_neighbour(Neighbour, (kind, row[0], relation, tuple(row[1:]), _NO_EDGE)) for row in rows]
        start = int(numbered) + int(typed)
        width = start + 1 + len(columns)
        return [_neighbour(Neighbour, (
            kinds[row[0]] if numbered else kinds[0],
            row[start],
            row[start - 1] if typed else types[row[0]] if numbered else types[0],
            tuple(row[start + 1:width]),
            dict(zip(edge_columns, row[width:])) if edge_columns else _NO_EDGE,
        )) for row in rows]

    def _anchor(self, expansion: Expansion, key: str, params: dict[str, Any]) -> tuple[str, str, list[str]]:
        """(UNWIND prefix, the near node `b`'s pattern, its conditions) for ``expansion``."""
        label = expansion.label if isinstance(expansion.label, str) else None
        node = f"b:{cypher_label(label)}" if label else "b"
        conditions = []
        if expansion.label is not None and not label:  # one of several labels
            conditions.append(f"{self.dialect.node_label('b')} IN [{', '.join(_quote(x) for x in expansion.label)}]")
        if expansion.ids is None:
            return "", f"({node})", conditions
        ids = list(expansion.ids)
        if label and len(ids) == 1:
            params[key] = ids[0]
            return "", f"({node} {{id: ${key}}})", conditions
        params[key] = ids
        if label and len(ids) > IN_FILTER_MAX_IDS:
            return f"UNWIND ${key} AS i ", f"({node} {{id: i}})", conditions
        return "", f"({node})", [f"b.id IN ${key}", *conditions]

    def _step_part(self, step: Step, prefix: str, anchor: str, conditions: list[str], min_key: str,
                   params: dict[str, Any], columns: Sequence[str], edge_columns: list[str], number: int | None,
                   typed: bool) -> str:
        reached = "m" if step.then else "c"
        single = step.labels[0] if len(step.labels) == 1 else None
        far = f"({reached}:{cypher_label(single)})" if single else f"({reached})"
        edge = f"[e:{'|'.join(step.rel_types)}]"
        pattern = f"{anchor}-{edge}->{far}" if step.direction != IN else f"{far}-{edge}->{anchor}"
        if len(step.labels) > 1:
            conditions.append(f"{self.dialect.node_label(reached)} IN [{', '.join(_quote(x) for x in step.labels)}]")
        conditions += [f"{self.dialect.node_label(reached)} <> {_quote(x)}" for x in step.exclude_labels]
        if step.min_confidence is not None:
            params[min_key] = float(step.min_confidence)
            conditions.append(f"e.confidence >= ${min_key}")
        text = f"{prefix}MATCH {pattern}"
        if conditions:
            text += " WHERE " + " AND ".join(conditions)
        known_label = single
        if step.then:
            rel_type, then_label = step.then
            text += f" MATCH (m)-[:{rel_type}]->(c:{cypher_label(then_label)})"
            known_label = then_label
        returned = [f"{number} AS part"] if number is not None else []
        if typed:
            relation = _quote(step.rel_types[0]) if len(step.rel_types) == 1 else self.dialect.rel_type("e")
            returned.append(f"{relation} AS relation")
        returned.append("b.id AS near")
        returned += [f"{self._node_column('c', name, known_label)} AS c{i}" for i, name in enumerate(columns)]
        returned += [f"e.{name} AS e{i}" if name in step.edge_columns else f"{self._null(name)} AS e{i}"
                     for i, name in enumerate(edge_columns)]
        return f"{text} RETURN {', '.join(returned)}"

    # --- metadata and counts ------------------------------------------------------------------------

    def metadata(self, keys: Sequence[str] | None = None) -> dict[str, str]:
        if keys is None:
            rows = self.store.query(f"MATCH (m:{METADATA_LABEL}) RETURN m.key, m.value").rows
        else:
            rows = self.store.query(f"MATCH (m:{METADATA_LABEL}) WHERE m.key IN $keys RETURN m.key, m.value",
                                    {"keys": list(keys)}).rows
        return {key: value for key, value in rows}

    def count_nodes(self, label: str) -> int:
        return self.store.query(f"MATCH (n:{cypher_label(label)}) RETURN count(n)").rows[0][0]

    def count_edges(self, rel_type: str) -> int:
        return self.store.query(f"MATCH ()-[e:{rel_type}]->() RETURN count(e)").rows[0][0]

    def count_values(self, label: str, column: str) -> dict[Any, int]:
        rows = self.store.query(f"MATCH (n:{cypher_label(label)}) RETURN n.{column}, count(n) ORDER BY n.{column}").rows
        return {value: count for value, count in rows}

    # --- spelling -----------------------------------------------------------------------------------

    def _node_column(self, var: str, name: str, label: str | None) -> str:
        if name != LABEL:
            return f"{var}.{name}"
        return _quote(label) if label else self.dialect.node_label(var)

    def _null(self, name: str) -> str:
        return self.dialect.null(_EDGE_PROPERTY_TYPES.get(name, PropType.STRING))


def _test(expression: str, key: str, value: Any) -> str:
    return f"{expression} IN ${key}" if isinstance(value, _LISTS) else f"{expression} = ${key}"


def _quote(text: str) -> str:
    """A string literal of a name (labels, relationship types, kinds: no quote inside)."""
    assert "'" not in text and "\\" not in text, text
    return f"'{text}'"

