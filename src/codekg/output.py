"""Rendering query results and summaries as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from codekg.stores.base import QueryResult

if TYPE_CHECKING:
    from codekg.stores.verify import StoreComparison


class DataTable(Table):
    """A Rich table whose cells fold onto more lines in a narrow terminal instead of ending in an
    ellipsis: a qualified name, an id or a path is the answer, and `Function:…` is none (at 40
    columns every cell of a three-column query was cut)."""

    def __init__(self, *headers: Any, **options: Any) -> None:
        super().__init__(*headers, **options)
        for column in self.columns:
            column.overflow = "fold"

    def add_column(self, *arguments: Any, **options: Any) -> None:
        options.setdefault("overflow", "fold")
        super().add_column(*arguments, **options)


# a backslash run before a `[` (tag-like or not), or ending the text
_MARKUP_SPECIAL = re.compile(r"(\\*)(\[[a-z#/@][^[]*?]|\[)|(\\+)$")


def literal_markup(text: object) -> str:
    """``text`` for a Rich markup string, printed exactly as it is: names, signatures, paths and
    messages hold brackets and backslashes that are not markup. Rich's own `escape` doubles only the
    backslashes before a tag-like `[x]`, but its renderer also turns every other `\\[` into `[` (so
    `(\\[[a-z]` lost its backslash), and a text ending in backslashes escaped the tag after it."""
    def literal(match: re.Match[str]) -> str:
        backslashes, bracket, trailing = match.groups()
        if trailing:  # before whatever tag the caller closes the text with
            return trailing * 2
        if len(bracket) > 1:  # `[x…]`: the backslashes doubled, the tag escaped
            return f"{backslashes * 2}\\{bracket}"
        return f"{backslashes}\\[" if backslashes else "["  # the renderer drops one backslash before it

    return _MARKUP_SPECIAL.sub(literal, str(text))


def to_jsonable(value: Any) -> Any:
    """Database values (nodes and relationships come back as dicts with internal ids) as plain JSON."""
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items() if k not in ("_ID", "_SRC", "_DST")}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def query_result_json(result: QueryResult) -> str:
    rows = [dict(zip(result.columns, (to_jsonable(v) for v in row))) for row in result.rows]
    return json.dumps(rows, indent=2, ensure_ascii=False)


def query_result_csv(result: QueryResult, delimiter: str = ",") -> str:
    """CSV, or TSV with ``delimiter`` "\\t" (a value holding a tab, a newline or a quote is quoted)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", delimiter=delimiter)
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue()


def query_result_table(result: QueryResult, console: Console) -> None:
    """The rows as a table; every header and value as it is (`Text`): a signature's `Annotated[int]`
    or a docstring's `[/]` is data, not Rich markup."""
    table = DataTable(show_lines=False)
    for column in result.columns:
        table.add_column(Text(column))
    for row in result.rows:
        table.add_row(*(Text(_cell(v)) for v in row))
    console.print(table)
    console.print(f"{len(result.rows)} row(s)", style="dim", highlight=False)


def _cell(value: Any) -> str:
    value = to_jsonable(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def counts_table(title: str, counts: dict[str, Any], console: Console, value_column: str = "count") -> None:
    table = DataTable(title=title, title_justify="left")
    table.add_column("name")
    table.add_column(value_column, justify="right")
    for name, count in counts.items():
        table.add_row(Text(name), str(count))
    console.print(table)


def print_store_comparison(comparison: "StoreComparison", console: Console) -> None:
    """`codekg verify`: counts and checksums side by side, then what each disagreeing table lacks or changes."""
    left, right = comparison.left, comparison.right
    console.print(f"left: {left}\nright: {right}", markup=False, highlight=False)
    table = DataTable(title_justify="left")
    for name, justify in (("label / type", "left"), ("left", "right"), ("right", "right"),
                          ("left checksum", "left"), ("right checksum", "left"), ("", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for tables in (comparison.labels, comparison.types):
        for t in tables:
            table.add_row(t.name, str(t.left.count), str(t.right.count), t.left.checksum[:12], t.right.checksum[:12],
                          "ok" if t.agrees else "[red]differs[/red]")
        table.add_section()
    console.print(table)
    for t in comparison.disagreeing:
        console.print(f"{t.name}: {t.only_left.count} only in left, {t.only_right.count} only in right, "
                      f"{t.differing.count} differing", markup=False, highlight=False)
        listings = (("only in left", t.only_left, str), ("only in right", t.only_right, str),
                    ("differs", t.differing, lambda d: f"{d['id']} ({', '.join(d['properties'])})"))
        for title, listing, render in listings:
            for entry in listing.entries:
                console.print(f"  {title}: {render(entry)}", markup=False, highlight=False)
            if listing.count > len(listing.entries):
                console.print(f"  {title}: … and {listing.count - len(listing.entries)} more", markup=False, highlight=False)
    if comparison.agrees:
        console.print("the stores agree", highlight=False)


def print_read_comparison(comparison: dict[str, Any], console: Console) -> None:
    """`codekg compare-stores`: p50 and p95 per operation, one pair of columns per store, then each difference."""
    stores = comparison["stores"]
    table = DataTable(title=f"{comparison['compared']} reads, ms (p50 / p95)", title_justify="left")
    table.add_column("operation")
    for store in stores:
        table.add_column(literal_markup(store), justify="right")
    timings = {(row["operation"], row["store"]): row for row in comparison["operations"]}
    for operation in dict.fromkeys(row["operation"] for row in comparison["operations"]):
        cells = [f"{timings[operation, s]['p50_ms']:.2f} / {timings[operation, s]['p95_ms']:.2f}" for s in stores]
        table.add_row(operation, *cells)
    console.print(table)
    for difference in comparison["differences"]:
        arguments = ", ".join(f"{k}={v!r}" for k, v in difference["arguments"].items())
        console.print(f"differs: {difference['operation']}({arguments}) between {' and '.join(difference['stores'])}: "
                      f"{difference['detail']}", markup=False, highlight=False)
    for error in comparison["errors"]:
        arguments = ", ".join(f"{k}={v!r}" for k, v in error["arguments"].items())
        console.print(f"failed: {error['operation']}({arguments}) on {error['store']}: {error['error']}", markup=False, highlight=False)
    if not comparison["differences"] and not comparison["errors"]:
        console.print(f"every answer agrees across {len(stores)} stores", highlight=False)
