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
