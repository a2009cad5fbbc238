"""The value-flow solve in a forked child: the same edges as in this process, and a child that dies
costs only the value-flow edges, with a warning, never the run."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

from codekg.passes.parse import parse_files
from codekg.passes.resolve import resolve_references
from codekg.passes.scan import scan_repository
from codekg.passes.structure import build_structure
from codekg.resolve.flow_child import start_solve
from codekg.resolve.tsconfig import NO_PROJECT_CONFIGS
from codekg.settings import load_settings

FILES = {
    "app/handlers.py": (
        "def on_save(item):\n    return item\n\n"
        "def on_load(item):\n    return item\n\n"
        "HANDLERS = {'save': on_save, 'load': on_load}\n"
    ),
    "app/bus.py": (
        "from app.handlers import HANDLERS\n\n"
        "class Bus:\n"
        "    def __init__(self, table):\n        self.table = table\n\n"
        "    def emit(self, name, item):\n        handler = self.table[name]\n        return handler(item)\n\n"
        "def main():\n    bus = Bus(HANDLERS)\n    return bus.emit('save', 1)\n"
    ),
}


def long_chain(length: int = 600, callbacks: int = 50) -> dict[str, str]:
    """A program whose solve takes most of a second: every callback flows down a chain of calls."""
    chain = "".join(f"def f{i}(x, g):\n    y = g(x)\n    return f{i + 1}(y, g) if x else g\n\n" for i in range(length))
    chain += f"def f{length}(x, g):\n    return g\n\n"
    chain += "".join(f"def h{i}(v):\n    return f0(v, h{(i + 1) % callbacks})\n\n" for i in range(callbacks))
    return {"chain.py": chain}


def symbols_of(root: Path, files: dict[str, str] = FILES):
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    settings = load_settings(root, use_git_ls_files=False)
    scan = scan_repository(root, settings)
    return build_structure(scan.root, parse_files(scan.root, scan.files).parses, settings).symbols


def calls_of(resolutions) -> set[tuple[str, str, str]]:
    return {(row["from"].split(":")[-1], row["to"].split(":")[-1], row["reason"])
            for resolution in resolutions.values()
            for (rel_type, _, _), rows in resolution.graph.edges.items() if rel_type == "CALLS" for row in rows}


def test_a_child_solve_gives_the_edges_and_dependencies_of_an_in_process_solve(tmp_path):
    symbols = symbols_of(tmp_path)
    here = resolve_references(symbols, 3, value_flow=True, flow_in_child=False)
    child = resolve_references(symbols, 3, value_flow=True, flow_in_child=True)
    assert calls_of(child) == calls_of(here) == {
        ("app.bus.Bus.emit", "app.handlers.on_load", "flow-element"),  # only the value flow sees these two
        ("app.bus.Bus.emit", "app.handlers.on_save", "flow-element"),
        ("app.bus.main", "app.bus.Bus", "same-file"),
        ("app.bus.main", "app.bus.Bus.__init__", "constructor"),
        ("app.bus.main", "app.bus.Bus.emit", "instance-type"),  # both agree: the older rule's edge stays
    }
    assert {path: r.dependencies for path, r in child.items()} == {path: r.dependencies for path, r in here.items()}
    assert {path: r.warnings for path, r in child.items()} == {path: r.warnings for path, r in here.items()}


def test_a_child_that_dies_costs_the_value_flow_edges_with_a_warning(tmp_path):
    symbols = symbols_of(tmp_path, long_chain())
    before = set(multiprocessing.active_children())  # e.g. query workers another test left running
    solve = start_solve(symbols, NO_PROJECT_CONFIGS, sorted(symbols.files.keys()), in_child=True)
    children = [child for child in multiprocessing.active_children() if child not in before]
    assert len(children) == 1
    os.kill(children[0].pid, signal.SIGKILL)
    started = time.monotonic()
    program = solve.result()
    assert time.monotonic() - started < 10
    assert not any(program.edges.values())
    warnings = [w for file_warnings in program.warnings.values() for w in file_warnings]
    assert len(warnings) == 1 and warnings[0]["kind"] == "flow-failed" and warnings[0]["pass"] == "flow"
    assert "calls found only by following values are missing" in warnings[0]["message"]


def test_an_error_in_the_childs_solve_costs_the_value_flow_edges_with_a_warning(tmp_path, monkeypatch):
    """The solve raising in the child (here a RecursionError) is a warning naming the error, not a
    failed run."""
    import codekg.resolve.flow_child as flow_child

    def failing(*arguments, **options):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(flow_child, "solve_program", failing)  # the child is forked after this
    symbols = symbols_of(tmp_path)
    program = start_solve(symbols, NO_PROJECT_CONFIGS, sorted(symbols.files.keys()), in_child=True).result()
    assert not any(program.edges.values())
    assert [w["message"] for ws in program.warnings.values() for w in ws] == [
        "the value-flow solve stopped (RecursionError: maximum recursion depth exceeded): calls found only "
        "by following values are missing from this index"]


def test_an_interrupt_while_waiting_for_the_child_stops_the_wait_and_kills_the_child(tmp_path):
    """Ctrl-C while the run waits for the solve: KeyboardInterrupt in this thread alone, and no child
    left solving (the pebble future this replaced printed its handler thread's traceback 2 runs in 22)."""
    import threading

    import pytest

    from codekg.interrupts import deferred_interrupts

    symbols = symbols_of(tmp_path, long_chain(length=3000))
    before = set(multiprocessing.active_children())
    exceptions: list[BaseException] = []
    threading.excepthook, hook = (lambda args: exceptions.append(args.exc_value)), threading.excepthook
    try:
        with deferred_interrupts():
            solve = start_solve(symbols, NO_PROJECT_CONFIGS, sorted(symbols.files.keys()), in_child=True)
            [child] = [c for c in multiprocessing.active_children() if c not in before]
            os.kill(os.getpid(), signal.SIGINT)
            with pytest.raises(KeyboardInterrupt):
                solve.result()
    finally:
        threading.excepthook = hook
    child.join(5)
    assert not child.is_alive() and child.exitcode == -signal.SIGKILL
    assert exceptions == []
