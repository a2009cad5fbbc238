"""Small Python, JavaScript and TypeScript programs that use every part of the full code schema
(Type, Enum, Import, Decorator nodes; USES, ACCESSES, INHERITS, DECORATES, BELONGS_TO edges), and the
graph the passes build from them (parse, structure, resolve: no database), for the tests that state
the exact nodes and edges each program must give."""

from __future__ import annotations

from pathlib import Path

from codekg.graph import Graph
from codekg.passes.parse import parse_files
from codekg.passes.resolve import resolve_references
from codekg.passes.scan import scan_repository
from codekg.passes.structure import build_structure
from codekg.settings import load_settings

PYTHON = {
    "app/__init__.py": "",
    "app/models.py": (
        "import enum\n"                                   # 1
        "from dataclasses import dataclass\n"             # 2
        "from typing import NewType, TypeAlias, TypeVar\n"  # 3
        "\n"
        "MAX_ITEMS = 100\n"                               # 5
        "UserId = NewType(\"UserId\", int)\n"             # 6
        "T = TypeVar(\"T\")\n"                            # 7
        "Price: TypeAlias = float\n"                      # 8
        "type Pair = tuple[int, \"Item\"]\n"              # 9
        "\n\n"
        "class Status(enum.Enum):\n"                      # 12
        "    NEW = \"new\"\n"                             # 13
        "    DONE = \"done\"\n"                           # 14
        "\n\n"
        "class Level(enum.IntEnum):\n"                    # 17
        "    LOW = 1\n"                                   # 18
        "\n\n"
        "@dataclass\n"                                    # 21
        "class Item:\n"                                   # 22
        "    owner: UserId\n"                             # 23
        "    price: Price = 0.0\n"                        # 24
        "    status: Status = Status.NEW\n"               # 25
        "\n"
        "    def close(self) -> \"Item\":\n"              # 27
        "        self.status = Status.DONE\n"             # 28
        "        return self\n"                           # 29
        "\n\n"
        "class Rush(Item):\n"                             # 32
        "    def close(self) -> Item:\n"                  # 33
        "        return self\n"                           # 34
    ),
    "app/service.py": (
        "import functools\n"                              # 1
        "from app import models\n"                        # 2
        "from app.models import Item, Level, Status\n"    # 3
        "\n"
        "registry = {}\n"                                 # 5
        "\n\n"
        "def register(func):\n"                           # 8
        "    return func\n"                               # 9
        "\n\n"
        "@register\n"                                     # 12
        "@functools.lru_cache(maxsize=8)\n"               # 13
        "def describe(item: Item, level: Level = Level.LOW) -> str:\n"  # 14
        "    if isinstance(item.status, (Status, Level)):\n"            # 15
        "        return str(models.MAX_ITEMS)\n"          # 16
        "    return \"\"\n"                               # 17
        "\n\n"
        "def reset():\n"                                  # 20
        "    global registry\n"                           # 21
        "    registry = {}\n"                             # 22
    ),
}

JAVASCRIPT = {
    "src/shapes.js": (
        "export const UNIT = 1;\n"                        # 1
        "\n"
        "export class Shape {\n"                          # 3
        "  static count = 0;\n"                           # 4
        "  scale = 1;\n"                                  # 5
        "\n"
        "  grow() {\n"                                    # 7
        "    this.scale += UNIT;\n"                       # 8
        "    Shape.count++;\n"                            # 9
        "    return this.scale;\n"                        # 10
        "  }\n"
        "}\n"
        "\n"
        "export class Square extends Shape {}\n"          # 14
        "export class Cube extends Square {\n"            # 15
        "  check(other) {\n"                              # 16
        "    return other instanceof Square;\n"           # 17
        "  }\n"
        "}\n"
    ),
    "src/main.js": (
        "import { Cube, UNIT } from './shapes.js';\n"     # 1
        "import * as shapes from './shapes.js';\n"        # 2
        "\n"
        "export function build() {\n"                     # 4
        "  return new Cube().grow() + UNIT + shapes.UNIT;\n"  # 5
        "}\n"
    ),
}

TYPESCRIPT = {
    "src/types.ts": (
        "export enum Color { Red, Green = 2 }\n"          # 1
        "export type Id = string | number;\n"             # 2
        "export interface Named { name: Id; color: Color }\n"  # 3
        "export type Pair<T> = [T, Named];\n"             # 4
        "\n"
        "function logged(target: object, key: string): void {}\n"  # 6
        "\n"
        "export class Palette implements Named {\n"       # 8
        "  name: Id = 'p';\n"                             # 9
        "  color: Color = Color.Red;\n"                   # 10
        "\n"
        "  @logged\n"                                     # 12
        "  pick(other: Named): Color {\n"                 # 13
        "    this.color = Color.Green;\n"                 # 14
        "    return this.color;\n"                        # 15
        "  }\n"
        "}\n"
    ),
    "src/use.ts": (
        "import type { Named } from './types';\n"         # 1
        "import { Color, Palette } from './types';\n"     # 2
        "\n"
        "export function paint(thing: Named): Palette {\n"  # 4
        "  const palette = new Palette();\n"              # 5
        "  return palette.color === Color.Red ? palette : palette;\n"  # 6
        "}\n"
    ),
}

PROGRAMS = {"python": PYTHON, "javascript": JAVASCRIPT, "typescript": TYPESCRIPT}


def write(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def program_graph(root: Path, files: dict[str, str]) -> Graph:
    """The nodes and edges the passes build from ``files`` written under ``root``."""
    write(root, files)
    settings = load_settings(root, use_git_ls_files=False)
    scan = scan_repository(root, settings)
    structure = build_structure(scan.root, parse_files(scan.root, scan.files).parses, settings)
    resolutions = resolve_references(structure.symbols, 3).values()
    return Graph.combined(structure.graph, *(s.graph for s in structure.files.values()),
                          *(r.graph for r in resolutions))


def short(node_id: str) -> str:
    """`Method:app/models.py:app.models.Item.close` -> `app.models.Item.close` (externals keep their name)."""
    return node_id.split(":", 2)[-1] if not node_id.startswith("External:") else node_id


def edges(graph: Graph, rel_type: str, *properties: str) -> set[tuple]:
    """Each ``rel_type`` edge as (source, target, *its properties), ids shortened."""
    return {(short(row["from"]), short(row["to"]), *(row[p] for p in properties))
            for (rel, _, _), rows in graph.edges.items() if rel == rel_type for row in rows}


def nodes(graph: Graph, label: str, *properties: str) -> set[tuple]:
    return {(short(row["id"]), *(tuple(v) if isinstance(v := row[p], list) else v for p in properties))
            for row in graph.nodes.get(label, [])}
