"""The structure pass's nodes of the full code schema, exactly, on small real programs (Python,
JavaScript, TypeScript: tests/code_schema_programs.py): Type, Enum (members as Variables), Import and
Decorator nodes, DECORATES and BELONGS_TO edges, and what each Decorator CALLS."""

from __future__ import annotations

import pytest

from code_schema_programs import JAVASCRIPT, PYTHON, TYPESCRIPT, edges, nodes, program_graph, short


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    return {name: program_graph(tmp_path_factory.mktemp(name), files)
            for name, files in (("python", PYTHON), ("javascript", JAVASCRIPT), ("typescript", TYPESCRIPT))}


def test_types_and_enums(graphs):
    python, typescript = graphs["python"], graphs["typescript"]
    # NewType, TypeVar, an annotated TypeAlias and a `type` statement name types; `MAX_ITEMS` is a value
    assert nodes(python, "Type", "start_line") == {
        ("app.models.UserId", 6), ("app.models.T", 7), ("app.models.Price", 8), ("app.models.Pair", 9)}
    # a class whose base is a standard enum class is an Enum; its class-level names are its members
    assert nodes(python, "Enum", "start_line", "end_line") == {("app.models.Status", 12, 14), ("app.models.Level", 17, 18)}
    assert {(source, target) for source, target in edges(python, "DEFINES") if target.startswith(
        ("app.models.Status.", "app.models.Level."))} == {
        ("app.models.Status", "app.models.Status.NEW"), ("app.models.Status", "app.models.Status.DONE"),
        ("app.models.Level", "app.models.Level.LOW")}
    assert nodes(typescript, "Type", "signature") == {
        ("src.types.Id", "type Id = string | number;"), ("src.types.Pair", "type Pair<T> = [T, Named];")}
    assert nodes(typescript, "Enum", "start_line") == {("src.types.Color", 1)}
    assert nodes(typescript, "Variable") >= {("src.types.Color.Red",), ("src.types.Color.Green",)}
    assert ("src.types.Color", "src.types.Color.Red") in edges(typescript, "DEFINES")
    assert nodes(graphs["javascript"], "Type") == nodes(graphs["javascript"], "Enum") == set()


def test_imports_one_node_per_module_of_each_statement(graphs):
    assert nodes(graphs["python"], "Import", "module", "names", "aliases", "kind", "start_line") == {
        ("app.models:1:enum", "enum", (), ("enum",), "module", 1),
        ("app.models:2:dataclasses", "dataclasses", ("dataclass",), ("dataclass",), "symbol", 2),
        ("app.models:3:typing", "typing", ("NewType", "TypeAlias", "TypeVar"), ("NewType", "TypeAlias", "TypeVar"),
         "symbol", 3),
        ("app.service:1:functools", "functools", (), ("functools",), "module", 1),
        ("app.service:2:app", "app", ("models",), ("models",), "symbol", 2),
        ("app.service:3:app.models", "app.models", ("Item", "Level", "Status"), ("Item", "Level", "Status"), "symbol", 3),
    }
    assert {(source, target) for source, target in edges(graphs["python"], "DEFINES") if ":" in target} == {
        ("app.models", "app.models:1:enum"), ("app.models", "app.models:2:dataclasses"),
        ("app.models", "app.models:3:typing"), ("app.service", "app.service:1:functools"),
        ("app.service", "app.service:2:app"), ("app.service", "app.service:3:app.models")}
    assert nodes(graphs["javascript"], "Import", "module", "names", "aliases", "kind") == {
        ("src.main:1:./shapes.js", "./shapes.js", ("Cube", "UNIT"), ("Cube", "UNIT"), "symbol"),
        ("src.main:2:./shapes.js", "./shapes.js", (), ("shapes",), "namespace"),
    }
    assert nodes(graphs["typescript"], "Import", "names") == {
        ("src.use:1:./types", ("Named",)), ("src.use:2:./types", ("Color", "Palette"))}


def test_decorators_decorate_and_call(graphs):
    python, typescript = graphs["python"], graphs["typescript"]
    assert nodes(python, "Decorator", "name", "expression", "arguments", "start_line") == {
        ("app.models.Item@0", "dataclass", "dataclass", "", 21),
        ("app.service.describe@0", "register", "register", "", 12),
        ("app.service.describe@1", "functools.lru_cache", "functools.lru_cache(maxsize=8)", "maxsize=8", 13),
    }
    assert edges(python, "DECORATES", "position") == {
        ("app.models.Item@0", "app.models.Item", 0), ("app.service.describe@0", "app.service.describe", 0),
        ("app.service.describe@1", "app.service.describe", 1)}
    decorator_calls = {edge for edge in edges(python, "CALLS", "reason") if "@" in edge[0]}
    assert decorator_calls == {
        ("app.models.Item@0", "External:dataclasses.dataclass", "import-external"),
        ("app.service.describe@0", "app.service.register", "same-file"),
        ("app.service.describe@1", "External:functools.lru_cache", "import-external"),
    }
    assert nodes(typescript, "Decorator", "expression", "start_line") == {("src.types.Palette.pick@0", "logged", 12)}
    assert {edge for edge in edges(typescript, "CALLS", "reason") if "@" in edge[0]} == {
        ("src.types.Palette.pick@0", "src.types.logged", "same-file")}


def test_every_symbol_belongs_to_its_file(graphs):
    for graph in graphs.values():
        belongs = {(source, target) for source, target in edges(graph, "BELONGS_TO")}
        symbols = {(row["id"], row["file_path"]) for label in ("Class", "Interface", "Function", "Method", "Variable",
                                                               "Type", "Enum", "Import", "Decorator")
                   for row in graph.nodes.get(label, [])}
        assert len(belongs) == len(symbols) > 0
        assert belongs == {(short(node_id), path) for node_id, path in symbols}
