"""The human-readable form of the analysis results: rich tables, for `codekg context`, `impact` and
`detect-changes` without `--json`. Takes the dicts the analysis functions return; prints them."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from codekg.output import DataTable, literal_markup


def where(entry: dict[str, Any]) -> str:
    if not entry.get("file_path"):
        return "(external)"
    if not entry.get("start_line"):
        return entry["file_path"]
    return f"{entry['file_path']}:{entry['start_line']}-{entry['end_line']}"


RULE_WIDTH = 100  # the snippet's rules: a terminal's width, at most this
# the sections a symbol of each label always shows, empty or not: that a function has no caller is an
# answer (an entry point, or dead code), which a missing section does not give
ALWAYS_SAID = {"Function": ("callers", "callees"), "Method": ("callers", "callees")}


def print_context(result: dict[str, Any], console: Console) -> None:
    symbol = result["symbol"]
    console.print(f"[bold]{symbol['label']} {literal_markup(symbol['qualified_name'])}[/bold]  {literal_markup(where(symbol))}")
    if result["container"]:
        console.print(f"in {result['container']['label']} {literal_markup(result['container']['qualified_name'])}")
    if symbol["signature"]:
        console.print(literal_markup(symbol["signature"]), highlight=False)
    if symbol["docstring"]:
        console.print(f"[dim]{literal_markup(symbol['docstring'])}[/dim]")
    snippet = result["snippet"]
    if snippet["error"]:
        console.print(f"[yellow]source not shown:[/yellow] {literal_markup(snippet['error'])}")
    elif snippet["text"]:
        more = " (truncated)" if snippet["truncated"] else ""
        # a rule as wide as the text at most: in a pipe the console is "unlimited" (cli.PIPE_WIDTH) wide
        from rich.rule import Rule

        width = min(console.width, RULE_WIDTH)
        console.print(Rule(literal_markup(f"{snippet['file_path']}:{snippet['start_line']}-{snippet['end_line']}{more}"),
                           align="left"), width=width)
        console.out(snippet["text"], highlight=False)
        console.print(Rule(), width=width)
        if snippet.get("changed"):
            console.print(f"[yellow]{literal_markup(snippet['file_path'])} changed since it was indexed: these lines may not be "
                          "the symbol's; run `codekg index` to refresh it[/yellow]")
    for key, title, edge in (
        ("callers", "Callers", True), ("callees", "Callees", True), ("defines", "Defines", False),
        ("methods", "Methods", False), ("bases", "Bases", True), ("subclasses", "Subclasses", True),
        ("overrides", "Overrides", True), ("overridden_by", "Overridden by", True), ("users", "Used by", True),
        ("readers", "Read by", True), ("writers", "Written by", True), ("decorators", "Decorators", False),
        ("imports", "Imports", True), ("importers", "Imported by", True),
    ):
        if result[key]:
            _symbols_table(title, result[key], console, edge)
        elif key in ALWAYS_SAID.get(symbol["label"], ()):  # "none" apart from "not shown"
            console.print(f"{title} (0): none in the index")


def _symbols_table(title: str, entries: list[dict[str, Any]], console: Console, edge: bool) -> None:
    table = DataTable(title=f"{title} ({len(entries)})", title_justify="left")
    table.add_column("label")
    table.add_column("qualified name")
    table.add_column("location")
    if edge:
        table.add_column("confidence", justify="right")
        table.add_column("reason")
        table.add_column("line", justify="right")
    for entry in entries:
        row = [entry["label"], literal_markup(entry["qualified_name"]), literal_markup(where(entry))]
        if edge:
            confidence = entry.get("confidence")
            row += ["" if confidence is None else f"{confidence:.2f}", entry.get("reason", ""),
                    str(entry.get("line") or "")]
        table.add_row(*row)
    console.print(table)


def print_impact(result: dict[str, Any], console: Console) -> None:
    target = result["target"]
    console.print(f"[bold]{result['direction']} impact of {target['label']} {literal_markup(target['qualified_name'])}[/bold]"
                  f"  {literal_markup(where(target))}  (depth {result['depth']}, min confidence {result['min_confidence']})")
    _levels(result, console)


def _levels(result: dict[str, Any], console: Console) -> None:
    for level in result["levels"]:
        if not level["symbols"]:
            continue
        table = DataTable(title=f"Depth {level['depth']} ({len(level['symbols'])})", title_justify="left")
        for column in ("label", "qualified name", "location", "confidence", "via", "from"):
            table.add_column(column, justify="right" if column == "confidence" else "left")
        for entry in level["symbols"]:
            via = f"{entry['relation']} ({entry['reason']})"
            table.add_row(entry["label"], literal_markup(entry["qualified_name"]), literal_markup(where(entry)),
                          f"{entry['confidence']:.2f}", via, literal_markup(entry["path"][-2]))
        console.print(table)
    summary = result["summary"]
    colour = {"low": "green", "medium": "yellow", "high": "red"}[summary["risk"]]
    console.print(f"risk: [{colour}]{summary['risk']}[/{colour}] ({summary['risk_reason']}); "
                  f"{summary['symbols']} symbol(s) in {summary['files']} file(s) affected, "
                  f"by depth {', '.join(f'{d}: {n}' for d, n in summary['by_depth'].items())}; "
                  + (f"tests touched: {', '.join(summary['test_files'])}" if summary["tests_touched"] else "no tests touched"),
                  highlight=False)


def print_changes(result: dict[str, Any], console: Console) -> None:
    diff = result["diff"]
    console.print(f"[bold]{diff['mode']} against {literal_markup(diff['base'])}[/bold] ({diff['old_commit'][:12]})")
    for warning in result["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {literal_markup(warning)}")
    if not result["files"]:
        console.print("no changes: nothing is affected")
        return
    files = DataTable(title=f"Changed files ({len(result['files'])})", title_justify="left")
    for column in ("file", "status", "hunks", "index holds"):
        files.add_column(column)
    for entry in result["files"]:
        files.add_row(literal_markup(entry["file_path"]), entry["status"], str(len(entry["hunks"])), entry["indexed"])
    console.print(files)
    symbols = DataTable(title=f"Changed symbols ({len(result['changed_symbols'])})", title_justify="left")
    for column in ("label", "qualified name", "location", "change", "seeds impact"):
        symbols.add_column(column)
    for entry in result["changed_symbols"]:
        symbols.add_row(entry["label"], literal_markup(entry["qualified_name"]), literal_markup(where(entry)), entry["change"],
                        "yes" if entry["seeds_impact"] else "")
    console.print(symbols)
    impact = result["impact"]
    console.print(f"[bold]upstream impact[/bold] (depth {impact['depth']}, min confidence {impact['min_confidence']})")
    _levels(impact, console)


def print_lineage(result: dict[str, Any], console: Console) -> None:
    """`codekg lineage NAME`: the hops upstream and downstream, each with the statement that makes it."""
    console.print(f"[bold]{result['kind']} {literal_markup(result['name'])}[/bold]")
    for way, arrow in (("upstream", "<-"), ("downstream", "->")):
        hops = result.get(way) or []
        if not hops:
            continue
        table = DataTable(title=f"{way.capitalize()} ({len(hops)})", title_justify="left")
        for column in ("depth", "from", "", "to", "statement", "run by"):
            table.add_column(column)
        for hop in hops:
            statement = hop["statement"]
            place = f"{statement['file']}:{statement['line']} {statement['operation']}"
            table.add_row(str(hop["depth"]), literal_markup(hop["via"]), arrow, literal_markup(hop["name"]), literal_markup(place),
                          literal_markup(", ".join(statement.get("run_by", []))))
        console.print(table)
    if not result.get("upstream") and not result.get("downstream"):
        console.print("no lineage: no statement of the index reads or writes it from or into another", highlight=False)


def print_sql_impact(result: dict[str, Any], console: Console) -> None:
    """`codekg impact` on a SQL table, view or column: what depends on it."""
    print_lineage({**result, "upstream": []}, console)
    if result["statements"]:
        table = DataTable(title=f"Statements ({len(result['statements'])})", title_justify="left")
        for column in ("statement", "operation", "run by"):
            table.add_column(column)
        for statement in result["statements"]:
            table.add_row(literal_markup(f"{statement['file']}:{statement['line']}"), statement["operation"],
                          literal_markup(", ".join(statement["run_by"])))
        console.print(table)
    console.print(f"code that runs them: {literal_markup(', '.join(result['code'])) or '-'}", highlight=False)
