"""INHERITS, the closure of EXTENDS: every ancestor of a class along its MRO (Python, C3) or `extends`
chain (JS/TS), with its distance, and the external bases any of them names."""

from __future__ import annotations

from code_schema_programs import JAVASCRIPT, PYTHON, edges, program_graph

DIAMOND = {
    "zoo/base.py": "import abc\n\nclass Animal(abc.ABC):\n    pass\n\nclass Walker(Animal):\n    pass\n",
    "zoo/kinds.py": (
        "from zoo.base import Animal, Walker\n\n"
        "class Swimmer(Animal):\n    pass\n\n"
        "class Duck(Walker, Swimmer):\n    pass\n\n"   # MRO: Duck, Walker, Swimmer, Animal, (ABC)
        "class Loop(Loop):\n    pass\n"                # names itself: no ancestor
    ),
}


def test_python_inherits_follows_the_c3_mro_across_files(tmp_path):
    graph = program_graph(tmp_path, DIAMOND)
    assert edges(graph, "INHERITS", "distance", "reason", "confidence") == {
        ("zoo.base.Animal", "External:abc.ABC", 1, "mro", 1.0),
        ("zoo.base.Walker", "zoo.base.Animal", 1, "mro", 1.0),
        ("zoo.base.Walker", "External:abc.ABC", 2, "mro", 1.0),
        ("zoo.kinds.Swimmer", "zoo.base.Animal", 1, "mro", 1.0),
        ("zoo.kinds.Swimmer", "External:abc.ABC", 2, "mro", 1.0),
        ("zoo.kinds.Duck", "zoo.base.Walker", 1, "mro", 1.0),
        ("zoo.kinds.Duck", "zoo.kinds.Swimmer", 2, "mro", 1.0),
        ("zoo.kinds.Duck", "zoo.base.Animal", 3, "mro", 1.0),
        ("zoo.kinds.Duck", "External:abc.ABC", 4, "mro", 1.0),
    }
    # EXTENDS keeps the direct bases only
    assert {(a, b) for a, b in edges(graph, "EXTENDS")} == {
        ("zoo.base.Animal", "External:abc.ABC"), ("zoo.base.Walker", "zoo.base.Animal"),
        ("zoo.kinds.Swimmer", "zoo.base.Animal"), ("zoo.kinds.Duck", "zoo.base.Walker"),
        ("zoo.kinds.Duck", "zoo.kinds.Swimmer")}


def test_enums_and_javascript_chains(tmp_path):
    python = program_graph(tmp_path / "py", PYTHON)
    assert edges(python, "INHERITS", "distance") == {
        ("app.models.Status", "External:enum.Enum", 1), ("app.models.Level", "External:enum.IntEnum", 1),
        ("app.models.Rush", "app.models.Item", 1)}
    javascript = program_graph(tmp_path / "js", JAVASCRIPT)
    assert edges(javascript, "INHERITS", "distance") == {
        ("src.shapes.Square", "src.shapes.Shape", 1), ("src.shapes.Cube", "src.shapes.Square", 1),
        ("src.shapes.Cube", "src.shapes.Shape", 2)}
