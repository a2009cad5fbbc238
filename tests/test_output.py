"""output.py: text printed through Rich markup comes out exactly as it is, whatever its brackets and
backslashes (a regular expression in a signature, a Windows path, a value ending in a backslash)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from codekg.output import literal_markup

TEXTS = [
    r're.compile(r"(\\*)(\[[a-z#/@][^[]*?])")',  # rich/markup.py's own pattern, as `codekg context` shows it
    r"a\[b]", r"C:\path\[x]", "[bold]not bold[/bold]", "list[int] | dict[str, [1]]", r"ends in a backslash\\",
    "ends in a backslash\\", "\\\\\\", "[", "]", r"\[", r"\\[dim]", "plain text",
]


@pytest.mark.parametrize("text", TEXTS)
def test_text_in_markup_prints_as_it_is(text):
    out = io.StringIO()
    Console(file=out, width=500, color_system=None).print(f"[dim]{literal_markup(text)}[/dim] after", highlight=False)
    assert out.getvalue() == f"{text} after\n"


def test_a_narrow_terminal_folds_a_tables_cells_and_cuts_none():
    """At 40 columns a three-column query result wraps each id over lines; before, every cell ended in
    an ellipsis (`Function:…`) and the answer was lost."""
    from codekg.output import query_result_table
    from codekg.stores.base import QueryResult

    ids = ["Function:tests/test_forms.py:tests.test_forms.test_partial_and_empty_fields", "Method:a.py:a.B.c"]
    result = QueryResult(["f.id", "f.name", "f.file_path"],
                         [[ids[0], "test_partial_and_empty_fields", "tests/test_forms.py"], [ids[1], "c", "a.py"]])
    out = io.StringIO()
    query_result_table(result, Console(file=out, width=40, color_system=None))
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 40 and "…" not in out.getvalue()
    first_column = "".join(line.split("│")[1].strip() for line in lines if line.startswith("│"))
    assert first_column == "".join(ids)
    assert lines[-1] == "2 row(s)"
