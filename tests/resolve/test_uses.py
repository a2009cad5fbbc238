"""USES and ACCESSES on small real programs (Python, JavaScript, TypeScript: tests/code_schema_programs.py):
the types each symbol names and the variables its code reads and writes, exactly."""

from __future__ import annotations

import pytest

from code_schema_programs import JAVASCRIPT, PYTHON, TYPESCRIPT, edges, program_graph


@pytest.fixture(scope="module")
def python_graph(tmp_path_factory):
    return program_graph(tmp_path_factory.mktemp("py"), PYTHON)


@pytest.fixture(scope="module")
def javascript_graph(tmp_path_factory):
    return program_graph(tmp_path_factory.mktemp("js"), JAVASCRIPT)


@pytest.fixture(scope="module")
def typescript_graph(tmp_path_factory):
    return program_graph(tmp_path_factory.mktemp("ts"), TYPESCRIPT)


def test_python_uses(python_graph):
    # annotations (class fields, parameters, returns, string forward references), isinstance tuples and
    # a `type X = …` statement's value; a library type (int, str, float) is not a node of its own
    assert edges(python_graph, "USES", "line", "count", "reason") == {
        ("app.models.Pair", "app.models.Item", 9, 1, "same-file"),
        ("app.models.Item", "app.models.UserId", 23, 1, "same-file"),
        ("app.models.Item", "app.models.Price", 24, 1, "same-file"),
        ("app.models.Item", "app.models.Status", 25, 1, "same-file"),
        ("app.models.Item.close", "app.models.Item", 27, 1, "same-file"),
        ("app.models.Rush.close", "app.models.Item", 33, 1, "same-file"),
        ("app.service.describe", "app.models.Item", 14, 1, "import"),
        ("app.service.describe", "app.models.Level", 14, 2, "import"),
        ("app.service.describe", "app.models.Status", 15, 1, "import"),
    }


def test_python_accesses(python_graph):
    # enum members and class-level fields through the class or `self`, a module constant through its
    # module, a module variable a `global` statement lets a function assign; `item.status` (a
    # parameter's attribute) and `registry` read in a subscript are not followed
    assert edges(python_graph, "ACCESSES", "mode", "line", "count", "reason") == {
        ("app.models.Item", "app.models.Status.NEW", "read", 25, 1, "same-file"),
        ("app.models.Item.close", "app.models.Item.status", "write", 28, 1, "self-member"),
        ("app.models.Item.close", "app.models.Status.DONE", "read", 28, 1, "same-file"),
        ("app.service.describe", "app.models.Level.LOW", "read", 14, 1, "import"),
        ("app.service.describe", "app.models.MAX_ITEMS", "read", 16, 1, "import"),
        ("app.service.reset", "app.service.registry", "write", 22, 1, "same-file"),
    }


def test_javascript_uses_and_accesses(javascript_graph):
    assert edges(javascript_graph, "USES", "line", "reason") == {
        ("src.shapes.Cube.check", "src.shapes.Square", 17, "same-file"),  # instanceof
    }
    # `this.scale += UNIT` reads and writes the field; `Shape.count++` the static one; a namespace
    # import's member and a named import reach the same module constant
    assert edges(javascript_graph, "ACCESSES", "mode", "line", "count", "reason") == {
        ("src.shapes.Shape.grow", "src.shapes.Shape.scale", "read-write", 8, 3, "self-member"),
        ("src.shapes.Shape.grow", "src.shapes.UNIT", "read", 8, 1, "same-file"),
        ("src.shapes.Shape.grow", "src.shapes.Shape.count", "read-write", 9, 2, "same-file"),
        ("src.main.build", "src.shapes.UNIT", "read", 5, 2, "import"),
    }


def test_typescript_uses_and_accesses(typescript_graph):
    # interface members and type aliases use what their bodies name (a type parameter names nothing);
    # a type imported with `import type` is used all the same
    assert edges(typescript_graph, "USES", "line", "count", "reason") == {
        ("src.types.Named", "src.types.Id", 3, 1, "same-file"),
        ("src.types.Named", "src.types.Color", 3, 1, "same-file"),
        ("src.types.Pair", "src.types.Named", 4, 1, "same-file"),
        ("src.types.Palette", "src.types.Id", 9, 1, "same-file"),
        ("src.types.Palette", "src.types.Color", 10, 1, "same-file"),
        ("src.types.Palette.pick", "src.types.Named", 13, 1, "same-file"),
        ("src.types.Palette.pick", "src.types.Color", 13, 1, "same-file"),
        ("src.use.paint", "src.types.Named", 4, 1, "import"),
        ("src.use.paint", "src.types.Palette", 4, 1, "import"),
    }
    assert edges(typescript_graph, "ACCESSES", "mode", "line", "count", "reason") == {
        ("src.types.Palette", "src.types.Color.Red", "read", 10, 1, "same-file"),
        ("src.types.Palette.pick", "src.types.Palette.color", "read-write", 14, 2, "self-member"),
        ("src.types.Palette.pick", "src.types.Color.Green", "read", 14, 1, "same-file"),
        ("src.use.paint", "src.types.Color.Red", "read", 6, 1, "import"),
    }
