"""Run a Python call-graph case and list the calls between its own functions that the run made.

A check of a hand-written `expected.json` against the program itself (tests/fixtures/callgraph/
README.md, "Checking a case by running it"): every traced edge must be in the file; an expected edge
the run did not make must come from a branch it did not take. Names follow the README: dotted from
the case folder, `.<locals>` dropped, anonymous functions `<lambdaN>` numbered per enclosing
definition, comprehensions folded into the function around them. Not traced: module bodies run by
an import and class bodies (no edges by the conventions); generator bodies are reported apart,
since their frames run when they are iterated, not when they are called.

    python bench/trace_callgraph.py CASE_DIR [CASE_DIR ...]     # exit 1 when a traced edge is not expected
"""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from pathlib import Path

_COMPREHENSIONS = ("<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>")


def _module_name(case: Path, file: Path) -> str:
    parts = list(file.relative_to(case).with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


class _Names:
    """Qualified names of the code objects of one file, from its syntax tree."""

    def __init__(self, module: str, source: str) -> None:
        self.module = module
        self.lambdas: dict[tuple[int, int], str] = {}  # (line, column of the body) → dotted path
        self.classes: set[str] = set()  # dotted paths of class bodies
        self._walk(ast.parse(source), [], [0])

    def _walk(self, node: ast.AST, path: list[str], anonymous: list[int]) -> None:
        """``anonymous`` counts the anonymous functions of the definition at ``path``."""
        for child in _in_source_order(node):
            if isinstance(child, ast.Lambda):
                name = getattr(child, "bound_to", None)
                if name is None:
                    anonymous[0] += 1
                    name = f"<lambda{anonymous[0]}>"
                self.lambdas[(child.body.lineno, child.body.col_offset)] = ".".join([*path, name])
                self._walk(child, [*path, name], [0])
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if isinstance(child, ast.ClassDef):
                    self.classes.add(".".join([*path, child.name]))
                # decorators, defaults and bases run in the scope around the definition
                outside = [*child.decorator_list, *getattr(child, "bases", []), *getattr(child, "keywords", [])]
                if not isinstance(child, ast.ClassDef):
                    outside += [*child.args.defaults, *(d for d in child.args.kw_defaults if d is not None)]
                for expression in sorted(outside, key=lambda n: (n.lineno, n.col_offset)):
                    self._walk(ast.Expression(expression), path, anonymous)
                inside = ast.Module(body=child.body, type_ignores=[])
                self._walk(inside, [*path, child.name], [0])
            else:
                if isinstance(child, (ast.Assign, ast.AnnAssign)) and isinstance(child.value, ast.Lambda):
                    targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                    if len(targets) == 1 and isinstance(targets[0], (ast.Name, ast.Attribute)):
                        child.value.bound_to = getattr(targets[0], "id", None) or targets[0].attr  # type: ignore[attr-defined]
                self._walk(child, path, anonymous)

    def of(self, code) -> str | None:
        """The dotted name of a code object of this file, or None for a module body."""
        if code.co_name == "<module>":
            return None
        if code.co_name == "<lambda>":
            for line, _, column, _ in code.co_positions():
                if line is not None and (line, column) in self.lambdas:
                    return self.lambdas[(line, column)]
            return "<lambda?>"
        parts = [p for p in code.co_qualname.split(".") if p != "<locals>"]
        return ".".join(parts)


def _in_source_order(node: ast.AST) -> list[ast.AST]:
    return sorted(ast.iter_child_nodes(node), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))


def trace(case: Path) -> dict:
    """Run the case's main module in this process and return its traced edges."""
    case = case.resolve()
    files: dict[str, _Names] = {}
    for file in case.rglob("*.py"):
        files[str(file)] = _Names(_module_name(case, file), file.read_text())
    edges: set[tuple[str, str]] = set()
    generators: set[tuple[str, str]] = set()

    def name_of(frame) -> str | None:
        """The case's name for the code a frame runs, comprehensions folded outward."""
        names = files.get(frame.f_code.co_filename)
        if names is None:
            return None
        code = frame.f_code
        if code.co_name in _COMPREHENSIONS:
            qualname = code.co_qualname.rsplit(".", 1)[0] if "." in code.co_qualname else ""
            parts = [p for p in qualname.split(".") if p and p != "<locals>"]
            return ".".join([names.module, *parts]) if parts else names.module
        local = names.of(code)
        return names.module if local is None else f"{names.module}.{local}"

    def profile(frame, event, arg) -> None:
        if event != "call":
            return
        names = files.get(frame.f_code.co_filename)
        if names is None or frame.f_code.co_name in (*_COMPREHENSIONS, "<module>"):
            return
        local = names.of(frame.f_code)
        if local in names.classes:
            return
        caller = frame.f_back
        while caller is not None and caller.f_code.co_filename not in files:
            caller = caller.f_back
        if caller is None:
            return
        edge = (name_of(caller), f"{names.module}.{local}")
        is_generator = frame.f_code.co_flags & (inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR)
        (generators if is_generator else edges).add(edge)

    sys.path[:0] = [str(case)] + ([str(case / "src")] if (case / "src").is_dir() else [])
    error = ""
    sys.setprofile(profile)
    try:
        __import__("main")
    except BaseException as exception:  # noqa: BLE001 - the case's own failure is part of the report
        error = f"{type(exception).__name__}: {exception}"
    finally:
        sys.setprofile(None)
    return {"edges": sorted(edges), "generators": sorted(generators - edges), "error": error}


def check(case: Path) -> bool:
    """Trace ``case`` in a fresh interpreter and compare with its expected.json; print what differs."""
    case = case.resolve()
    if not (case / "main.py").is_file():
        print(f"{case}: no main.py to run: not checked")
        return True
    run = subprocess.run([sys.executable, __file__, "--trace", str(case)], capture_output=True, text=True,
                         timeout=60, cwd=case)
    if run.returncode != 0 or not run.stdout.strip():
        print(f"{case}: the trace failed\n{run.stderr[-2000:]}")
        return False
    traced = json.loads(run.stdout.strip().splitlines()[-1])
    expected = json.loads((case / "expected.json").read_text())
    expected_edges = {(caller, callee) for caller, callees in expected.items() for callee in callees}
    own = {name.rsplit(".", 1)[0] for name in expected} | set(expected)
    unexpected = [tuple(e) for e in traced["edges"] if tuple(e) not in expected_edges]
    untraced = sorted(e for e in expected_edges if e[1] in own and list(e) not in traced["edges"]
                      and list(e) not in traced["generators"])
    ok = not unexpected and not traced["error"]
    status = "ok" if ok else "MISMATCH"
    print(f"{case}: {status}")
    if traced["error"]:
        print(f"  the program raised {traced['error']}")
    for caller, callee in unexpected:
        print(f"  traced, not expected: {caller} -> {callee}")
    for caller, callee in traced["generators"]:
        if (caller, callee) not in expected_edges:
            print(f"  a generator body ran, check by hand: {caller} -> {callee}")
    for caller, callee in untraced:
        print(f"  expected, not traced (a branch the run did not take?): {caller} -> {callee}")
    return ok


def main(argv: list[str]) -> int:
    if argv[:1] == ["--trace"]:
        print(json.dumps(trace(Path(argv[1]))))
        return 0
    if not argv:
        print(__doc__)
        return 2
    cases = []
    for argument in argv:
        root = Path(argument)
        cases += [root] if (root / "expected.json").is_file() else sorted(p.parent for p in root.rglob("expected.json"))
    results = [check(case) for case in cases if list(case.glob("*.py")) or list(case.rglob("*.py"))]
    print(f"{sum(results)} of {len(results)} cases agree with their run")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
