"""Which table columns each output column of a query reads: through CTEs, derived tables, set
operations, scalar subqueries, UNNEST and LATERAL VIEW, with `*` expanded where the columns are known.

Written over sqlglot's syntax tree rather than its `lineage` module: that one refuses a query whose
unqualified columns it cannot place (no schema), where a lineage tool must still answer and name
the column bare. The rules are in tests/fixtures/lineage/README.md ("Columns").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

from sqlglot import exp

STAR = "*"


@dataclass(frozen=True, slots=True)
class Output:
    """One output column of a query: its name, the table columns it reads, and its expression."""

    name: str
    sources: frozenset[str]
    expression: str = ""
    star_of: str = ""  # an unexpanded `*`: the table (or `*` source) whose columns pass through


@dataclass(slots=True)
class _Table:
    name: str  # the table's normalised name
    columns: tuple[str, ...] | None  # known from a CREATE TABLE of the script, else None


@dataclass(slots=True)
class _Derived:
    outputs: list[Output]


@dataclass(slots=True)
class _Array:
    """UNNEST / explode: each column it yields reads the columns of the array expression."""

    sources: frozenset[str]
    names: tuple[str, ...]


_Source = _Table | _Derived | _Array


@dataclass(slots=True)
class _Scope:
    sources: dict[str, _Source] = field(default_factory=dict)  # by alias (or table name), in FROM order
    parent: "_Scope | None" = None
    ctes: dict[str, _Derived] = field(default_factory=dict)


class QueryColumns:
    """Resolve a query's outputs. ``table_name`` names an exp.Table (normalised, with its schema);
    ``catalog`` holds the columns of tables declared so far; ``name_of`` names an unaliased output."""

    def __init__(self, table_name: Callable[[exp.Table], str], catalog: dict[str, tuple[str, ...]],
                 name_of: Callable[[exp.Expression], str]) -> None:
        self.table_name, self.catalog, self.name_of = table_name, catalog, name_of
        self.tables_read: list[str] = []
        self.ctes: dict[str, _Derived] = {}  # a statement's own WITH (`WITH c AS (…) INSERT …`)

    def common_tables(self, with_clause: exp.With, parent: "_Scope | None" = None,
                      ctes: dict[str, "_Derived"] | None = None) -> dict[str, "_Derived"]:
        """The CTEs of ``with_clause`` by name, each seeing those before it (and itself, empty)."""
        found = dict(ctes if ctes is not None else self.ctes)
        recursive = bool(with_clause.args.get("recursive"))
        for cte in with_clause.expressions:
            if recursive:  # only a recursive CTE sees itself (empty at first); another one sees the name outside
                found[cte.alias_or_name] = _Derived([])
            found[cte.alias_or_name] = _Derived(self.outputs(cte.this, parent, found))
        return found

    # --- queries -----------------------------------------------------------------------------

    def outputs(self, query: exp.Expression, parent: _Scope | None = None,
                ctes: dict[str, _Derived] | None = None) -> list[Output]:
        """The output columns of ``query`` (a SELECT, a set operation, VALUES, a parenthesised query)."""
        ctes = dict(ctes if ctes is not None else (parent.ctes if parent else self.ctes))
        with_clause = query.args.get("with_") or query.args.get("with")
        if isinstance(with_clause, exp.With):
            ctes = self.common_tables(with_clause, parent, ctes)
        if isinstance(query, exp.Subquery):
            return self.outputs(query.this, parent, ctes)
        if isinstance(query, exp.SetOperation):
            left = self.outputs(query.left, parent, ctes)
            right = self.outputs(query.right, parent, ctes)
            merged = [Output(out.name, out.sources | (right[i].sources if i < len(right) else frozenset()),
                             out.expression, out.star_of) for i, out in enumerate(left)]
            return merged + [Output(STAR, out.sources, out.expression, out.star_of)
                             for out in right[len(left):] if out.star_of]
        if isinstance(query, exp.Select):
            return self._select(query, parent, ctes)
        if isinstance(query, exp.Values):
            return []
        return []

    def _select(self, select: exp.Select, parent: _Scope | None, ctes: dict[str, _Derived]) -> list[Output]:
        scope = _Scope(parent=parent, ctes=ctes)
        from_clause = select.args.get("from_") or select.args.get("from")
        relations = ([from_clause.this] if from_clause is not None else []) + [
            join.this for join in select.args.get("joins") or []]
        for relation in relations:
            self._add_source(scope, relation)
        for lateral in select.args.get("laterals") or []:
            self._add_source(scope, lateral)
        for clause in ("where", "having", "qualify"):  # `WHERE id IN (SELECT … FROM s)` reads s
            self.read_subqueries(select.args.get(clause), scope)
        for join in select.args.get("joins") or []:
            self.read_subqueries(join.args.get("on"), scope)
        found: list[Output] = []
        aliases: dict[str, frozenset[str]] = {}
        for projection in select.expressions:
            target = projection.this if isinstance(projection, exp.Alias) else projection
            if isinstance(target, exp.Star) or (isinstance(target, exp.Column) and isinstance(target.this, exp.Star)):
                qualifier = target.table if isinstance(target, exp.Column) else ""
                found.extend(self._star(scope, qualifier, target.args.get("except_") or target.args.get("except")))
                continue
            sources = self._expression_sources(target, scope, aliases)
            name = projection.alias_or_name if isinstance(projection, (exp.Alias, exp.Column)) else ""
            if not name or (not isinstance(projection, exp.Alias) and not isinstance(projection, exp.Column)):
                name = self.name_of(projection)
            aliases.setdefault(name, sources)
            found.append(Output(name, sources, projection.sql()))
        return found

    def read_subqueries(self, clause: exp.Expression | None, scope: _Scope | None = None) -> None:
        """Read the outermost queries inside ``clause``: a filter's (`WHERE id IN (SELECT … FROM s)`
        reads s), or a statement's that has no lineage of its own (`DELETE … WHERE … IN (SELECT …)`)."""
        if clause is None:
            return
        for query in clause.find_all(exp.Select, exp.SetOperation):
            if not any(isinstance(ancestor, (exp.Select, exp.SetOperation)) for ancestor in _ancestors(query, clause)):
                self.outputs(query, scope)

    def _add_source(self, scope: _Scope, relation: exp.Expression) -> None:
        alias = relation.alias_or_name if hasattr(relation, "alias_or_name") else ""
        if isinstance(relation, exp.Table) and isinstance(relation.this, exp.Identifier):
            if not relation.args.get("db") and relation.name in scope.ctes:
                scope.sources[relation.alias or relation.name] = scope.ctes[relation.name]
                return
            name = self.table_name(relation)
            self.tables_read.append(name)
            scope.sources[relation.alias or relation.name] = _Table(name, self.catalog.get(name))
        elif isinstance(relation, exp.Table) and isinstance(relation.this, (exp.Unnest, exp.Func)):
            self._add_array(scope, relation.this, relation)
        elif isinstance(relation, (exp.Subquery, exp.Select, exp.SetOperation)):
            outputs = self.outputs(relation, scope if relation.args.get("lateral") else scope.parent, scope.ctes)
            scope.sources[alias] = _Derived(outputs)
        elif isinstance(relation, exp.Lateral) and isinstance(relation.this, (exp.Subquery, exp.Select)):
            scope.sources[alias] = _Derived(self.outputs(relation.this, scope, scope.ctes))  # sees the FROM items before it
        elif isinstance(relation, (exp.Unnest, exp.Lateral)):
            self._add_array(scope, relation, relation)
        elif isinstance(relation, exp.Expression):  # a table function, VALUES: read what its arguments read
            for table in relation.find_all(exp.Table):
                if isinstance(table.this, exp.Identifier):
                    self.tables_read.append(self.table_name(table))

    def _add_array(self, scope: _Scope, array: exp.Expression, aliased: exp.Expression) -> None:
        sources = self._expression_sources(array.this if isinstance(array, exp.Lateral) else array, scope, {})
        alias = aliased.args.get("alias")
        names: tuple[str, ...] = ()
        key = ""
        if isinstance(alias, exp.TableAlias):
            key = alias.name
            names = tuple(column.name for column in alias.columns)
            if not names and key:
                names = (key,)  # BigQuery `UNNEST(arr) AS x`: x is the element
        offset = array.args.get("offset") if isinstance(array, exp.Unnest) else None
        if isinstance(offset, exp.Expression) and offset.name:  # `WITH OFFSET AS pos`: a position in the array
            names = (*names, offset.name)
        source = _Array(sources, names)
        scope.sources[key or f"<array {len(scope.sources)}>"] = source
        for name in names:  # `line.sku`: a field of the element named by its alias
            scope.sources.setdefault(name, source)

    def _star(self, scope: _Scope, qualifier: str, excepted: list | None) -> Iterator[Output]:
        left_out = {column.name for column in excepted or [] if isinstance(column, exp.Column)}
        chosen = [(alias, source) for alias, source in scope.sources.items() if not qualifier or alias == qualifier]
        for _, source in chosen:
            if isinstance(source, _Table):
                if source.columns is None:
                    yield Output(STAR, frozenset({f"{source.name}.{STAR}"}), STAR, star_of=source.name)
                else:
                    yield from (Output(c, frozenset({f"{source.name}.{c}"}), c) for c in source.columns if c not in left_out)
            elif isinstance(source, _Derived):
                yield from (out for out in source.outputs if out.name not in left_out)
            else:
                yield from (Output(name, source.sources, name) for name in source.names if name not in left_out)

    # --- columns -----------------------------------------------------------------------------

    def _expression_sources(self, expression: exp.Expression, scope: _Scope,
                            aliases: dict[str, frozenset[str]]) -> frozenset[str]:
        """Every table column ``expression`` reads; a nested query adds what its outputs read."""
        found: set[str] = set()
        pending = [expression]
        while pending:
            node = pending.pop()
            if isinstance(node, (exp.Select, exp.SetOperation)) and node is not expression:
                for out in self.outputs(node, scope):
                    found |= out.sources
                continue
            if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
                found |= self._column(node, scope, aliases)
                continue
            if isinstance(node, exp.Count) and isinstance(node.this, exp.Star):
                continue
            pending.extend(child for child in node.iter_expressions())
        return frozenset(found)

    def _column(self, column: exp.Column, scope: _Scope, aliases: dict[str, frozenset[str]]) -> frozenset[str]:
        name, qualifier = column.name, column.table
        current: _Scope | None = scope
        while current is not None:  # an outer query's alias: a correlated reference
            if qualifier:
                source = current.sources.get(qualifier)
                if source is None and column.args.get("db"):  # `schema.table.column`, the table unaliased
                    source = next((s for s in current.sources.values()
                                   if isinstance(s, _Table) and s.name.endswith(f".{qualifier}")), None)
                if source is not None:
                    return self._from_source(source, name)
            else:
                distinct = list({id(s): s for s in current.sources.values()}.values())  # an array under two names is one
                having = [s for s in distinct if _has_column(s, name) is True]
                maybe = [s for s in distinct if _has_column(s, name) is None]
                if len(having) == 1:
                    return self._from_source(having[0], name)
                if not having and len(maybe) == 1:
                    return self._from_source(maybe[0], name)
                if len(having) + len(maybe) > 1:
                    return frozenset({name})  # which table it is cannot be told: written bare
                if current is scope and name in aliases:  # a lateral column alias (`SELECT a AS b, b * 2`)
                    return aliases[name]
            current = current.parent
        return frozenset() if not qualifier else frozenset({name})

    def _from_source(self, source: _Source, name: str) -> frozenset[str]:
        if isinstance(source, _Table):
            return frozenset({f"{source.name}.{name}"})
        if isinstance(source, _Array):
            return source.sources
        matching = [out for out in source.outputs if out.name == name and not out.star_of]
        if matching:
            return frozenset().union(*(out.sources for out in matching))
        passing = [out for out in source.outputs if out.star_of]
        if len(passing) == 1 and passing[0].star_of != STAR:  # `SELECT * FROM t` of unknown columns: t.name
            return frozenset({f"{passing[0].star_of}.{name}"})
        return frozenset({name}) if passing else frozenset()


def _ancestors(node: exp.Expression, stop: exp.Expression) -> Iterator[exp.Expression]:
    parent = node.parent
    while parent is not None and parent is not stop:
        yield parent
        parent = parent.parent


def _has_column(source: _Source, name: str) -> bool | None:
    """Whether ``source`` yields column ``name``: True, False, or None when its columns are unknown."""
    if isinstance(source, _Table):
        return None if source.columns is None else name in source.columns
    if isinstance(source, _Array):
        return name in source.names
    if any(out.name == name and not out.star_of for out in source.outputs):
        return True
    return None if any(out.star_of for out in source.outputs) else False
