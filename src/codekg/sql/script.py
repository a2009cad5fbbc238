"""One script's lineage as a whole: sources, targets and column pairs from the start of each path to
its end, the format `codekg lineage --sql` prints (rules: tests/fixtures/lineage/README.md).

The statements are followed in order. A table written and then read by a later statement is
intermediate (neither source nor target); a read of a column reaches back to what earlier
statements wrote into it, so the pairs skip the columns in between.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codekg.records import SqlStatement


@dataclass(slots=True)
class ScriptLineage:
    sources: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    columns: list[tuple[str, str]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)  # statements that could not be read

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"sources": self.sources, "targets": self.targets,
                                 "columns": [list(pair) for pair in self.columns]}
        if self.errors:
            found["errors"] = self.errors
        return found


def script_lineage(statements: list[SqlStatement]) -> ScriptLineage:
    """The lineage of one script's ``statements`` (in the order they run)."""
    written: set[str] = set()
    declared: set[str] = set()
    read_from_outside: set[str] = set()
    intermediate: set[str] = set()
    read_anywhere: set[str] = set()
    origins: dict[str, set[str]] = {}  # a column written so far -> the columns its paths start from
    path_ends: dict[str, bool] = {}  # a column written: whether no later statement has read it since
    order: list[str] = []  # columns written, in order, for a stable output
    for statement in statements:
        for table in statement.reads:
            read_anywhere.add(table)
            if table in written:
                intermediate.add(table)
            else:  # read before the script wrote it: its rows come from outside
                read_from_outside.add(table)
        intermediate.difference_update(statement.writes)  # written again after its last read: a target
        arriving: dict[str, set[str]] = {}
        for source, target, _ in statement.columns:
            if not source:  # written from a constant: the column is written, no path starts
                arriving.setdefault(target, set())
                continue
            if source in origins:
                path_ends[source] = False
                starts = origins[source]
            else:
                starts = {source}
            arriving.setdefault(target, set()).update(starts)
        for target, starts in arriving.items():  # after the whole statement: `SET a = b, b = a` reads the old values
            if target not in origins:
                order.append(target)
                origins[target] = set()
            origins[target] |= starts
            path_ends[target] = True
        if statement.operation.startswith("declare_"):  # a CREATE TABLE without a query fills nothing
            declared.update(statement.writes)
        else:
            written.update(statement.writes)
    sources = sorted(read_from_outside)
    targets = sorted(table for table in written | (declared - read_anywhere) if table not in intermediate)
    pairs = sorted({(start, column) for column in order if path_ends[column] for start in origins[column]})
    errors = [{"line": s.line, "dialect": s.dialect or "ansi", "message": s.error} for s in statements if s.error]
    return ScriptLineage(sources, targets, pairs, errors)


def lineage_of_script(script: str, dialect: str) -> ScriptLineage:
    """Read ``script`` (SQL text in sqlglot dialect ``dialect``) and join its statements."""
    from codekg.sql.statements import read_script

    return script_lineage(read_script(script, dialect))
