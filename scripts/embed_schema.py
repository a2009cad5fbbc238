"""Rewrite the schema tables between the `schema:start`/`schema:end` markers of a Markdown file."""

import sys
from pathlib import Path

from codekg.schema import render_summary

START, END = "<!-- schema:start -->\n", "<!-- schema:end -->"

path = Path(sys.argv[1])
text = path.read_text("utf-8")
head, rest = text.split(START, 1)
_, tail = rest.split(END, 1)
path.write_text(head + START + render_summary() + END + tail, "utf-8")
