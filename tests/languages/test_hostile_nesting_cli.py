"""`codekg index` as a real subprocess on files built to break the extractors: 5,000 nested calls,
900 nested defs, 3,000 nested functions, a latin-1 file. The run exits 0, the cuts are reported as warnings,
and the graph holds what the extractors kept."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from codekg.languages.base import MAX_NESTING_DEPTH


def codekg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codekg", *args], capture_output=True, text=True, timeout=240)


def test_index_completes_on_deeply_nested_and_latin1_files(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "calls.py").write_text("def outer():\n    x = " + "f(" * 5000 + "y" + ")" * 5000 + "\n")
    # one space a level keeps it under max_file_size (0.8 MB); tree-sitter stops some 500 levels deep
    (repo / "defs.py").write_text("".join(" " * i + f"def f{i}():\n" + " " * (i + 1) + f"c{i}()\n" for i in range(900)))
    (repo / "funcs.js").write_text("".join(f"function f{i}() {{\nc{i}();\n" for i in range(3000)) + "}\n" * 3000)
    (repo / "gruss.py").write_bytes('# -*- coding: latin-1 -*-\ndef grüße():\n    """Grüß."""\n'.encode("latin-1"))

    result = codekg("index", str(repo), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    warnings = {(w["path"], w.get("message", w.get("warning"))) for w in summary["warnings"]}
    folded = f"nesting deeper than {MAX_NESTING_DEPTH} definitions: "
    assert any(path == "funcs.js" and message.startswith(folded) for path, message in warnings)
    assert any(path == "defs.py" and message.startswith(folded) for path, message in warnings)
    assert not any(path in ("calls.py", "gruss.py") for path, _ in warnings)
    assert summary["skipped"] == []

    functions = codekg("query", "MATCH (f:Function) RETURN f.file_path AS file, count(*) AS n, "
                       "max(size(f.qualified_name)) AS longest ORDER BY file", "--repo", str(repo), "--format", "json")
    assert functions.returncode == 0, functions.stderr
    rows = {row["file"]: row for row in json.loads(functions.stdout)}
    assert rows["funcs.js"]["n"] == rows["defs.py"]["n"] == MAX_NESTING_DEPTH
    assert rows["gruss.py"]["n"] == 1
    assert max(row["longest"] for row in rows.values()) < 1000
    docstring = codekg("query", "MATCH (f:Function {name: 'grüße'}) RETURN f.docstring AS doc", "--repo", str(repo),
                       "--format", "json")
    assert json.loads(docstring.stdout) == [{"doc": "Grüß."}]
