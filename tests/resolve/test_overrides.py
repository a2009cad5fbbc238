"""OVERRIDES: a method to the base method it replaces along its class's MRO, on small real trees
(Python, JavaScript, TypeScript), and `codekg impact` following it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from codekg.passes.parse import parse_files
from codekg.passes.resolve import resolve_references
from codekg.passes.scan import scan_repository
from codekg.passes.structure import build_structure
from codekg.settings import load_settings


def overrides(root: Path, files: dict[str, str]) -> set[tuple[str, str, str, float]]:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    settings = load_settings(root, use_git_ls_files=False)
    scan = scan_repository(root, settings)
    structure = build_structure(scan.root, parse_files(scan.root, scan.files).parses, settings)
    found = set()
    for resolution in resolve_references(structure.symbols, 3).values():
        for row in resolution.graph.edges.get(("OVERRIDES", "Method", "Method"), []):
            found.add((row["from"].split(":")[-1], row["to"].split(":")[-1], row["reason"], row["confidence"]))
    return found


PYTHON = {
    "shapes/base.py": (
        "class Shape:\n"
        "    def area(self):\n        return 0\n"
        "    def __secret(self):\n        return 1\n"
        "    def __eq__(self, other):\n        return True\n"
        "class Named:\n"
        "    def name(self):\n        return 'n'\n"
        "    def area(self):\n        return -1\n"
    ),
    "shapes/square.py": (
        "from typing import overload\n"
        "from shapes.base import Shape, Named\n"
        "class Square(Shape, Named):\n"
        "    def area(self):\n        return 4\n"          # Shape.area comes first in the MRO
        "    def __secret(self):\n        return 2\n"      # mangled: overrides nothing
        "    def __eq__(self, other):\n        return False\n"
        "    def name(self):\n        return 'square'\n"
        "    def sides(self):\n        return 4\n"         # new: overrides nothing
        "class Cube(Square):\n"
        "    def area(self):\n        return super().area() * 6\n"
        "    def name(self):\n        return 'cube'\n"
        "class Plain:\n"
        "    def area(self):\n        return 1\n"          # no base: overrides nothing
    ),
}


def test_python_methods_override_along_the_c3_mro(tmp_path):
    assert overrides(tmp_path, PYTHON) == {
        ("shapes.square.Square.area", "shapes.base.Shape.area", "override", 1.0),
        ("shapes.square.Square.__eq__", "shapes.base.Shape.__eq__", "override", 1.0),
        ("shapes.square.Square.name", "shapes.base.Named.name", "override", 1.0),
        ("shapes.square.Cube.area", "shapes.square.Square.area", "override", 1.0),
        ("shapes.square.Cube.name", "shapes.square.Square.name", "override", 1.0),
    }


def test_javascript_and_typescript_methods_override_along_extends(tmp_path):
    assert overrides(tmp_path, {
        "widgets.js": (
            "export class Widget { render() { return ''; } update() { this.render(); } static create() {} }\n"
            "export class Button extends Widget { render() { return '<button>'; } click() {} }\n"
        ),
        "icon.ts": (
            "import { Button } from './widgets';\n"
            "interface Drawable { draw(): void; }\n"
            "export class IconButton extends Button implements Drawable { render(): string { return 'icon'; }\n"
            "  update(): void {}\n  draw(): void {}\n}\n"
        ),
    }) == {
        ("widgets.Button.render", "widgets.Widget.render", "override", 1.0),
        ("icon.IconButton.render", "widgets.Button.render", "override", 1.0),
        ("icon.IconButton.update", "widgets.Widget.update", "override", 1.0),
    }


def test_impact_of_a_method_lists_its_overriders_and_the_callers_of_what_it_overrides(tmp_path):
    repo = tmp_path / "repo"
    for path, text in {**PYTHON, "shapes/use.py": (
            "from shapes.base import Shape\n"
            "def report(shape: Shape):\n    return shape.area()\n"
            "def main():\n    from shapes.square import Cube\n    return report(Cube())\n")}.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    env = {**os.environ, "COLUMNS": "200", "CODEKG_VALUE_FLOW": "0"}  # the default: `report` calls Shape.area by its annotation
    assert subprocess.run([sys.executable, "-m", "codekg", "index", str(repo), "--quiet"], env=env).returncode == 0

    def impact(symbol: str) -> list[list[tuple[str, str]]]:
        result = subprocess.run([sys.executable, "-m", "codekg", "impact", symbol, "--repo", str(repo), "--json"],
                                capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stderr
        return [sorted((s["qualified_name"], s["relation"]) for s in level["symbols"])
                for level in json.loads(result.stdout)["levels"]]

    # a change to the base method: its overriders change with it, and its callers
    assert impact("shapes.base.Shape.area") == [
        [("shapes.square.Square.area", "OVERRIDES"), ("shapes.use.report", "CALLS")],
        [("shapes.square.Cube.area", "OVERRIDES"), ("shapes.use.main", "CALLS")],
        [],
    ]
    # a change to an override: a caller of the base method may be running it
    assert impact("shapes.square.Cube.area") == [
        [("shapes.square.Square.area", "OVERRIDES")],
        [("shapes.base.Shape.area", "OVERRIDES")],
        [("shapes.use.report", "CALLS")],
    ]
