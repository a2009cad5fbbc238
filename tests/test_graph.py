"""Graph rows are checked against the schema when they are added, and typed when they become Arrow."""

import pytest

from codekg.graph import Graph


def test_rows_get_schema_defaults_and_arrow_types():
    graph = Graph()
    graph.add_node("Function", id="Function:a.py:a.f", name="f", qualified_name="a.f")
    graph.add_node("Module", id="Module:a.py:a", name="a", qualified_name="a")
    graph.add_edge("DEFINES", ("Module", "Module:a.py:a"), ("Function", "Function:a.py:a.f"))
    tables = graph.to_tables()
    [row] = tables.nodes["Function"].to_pylist()
    assert row["decorators"] == [] and row["is_async"] is False and row["start_line"] == 0 and row["docstring"] == ""
    assert tables.edges[("DEFINES", "Module", "Function")].to_pylist() == [{"from": "Module:a.py:a", "to": "Function:a.py:a.f"}]
    assert graph.node_counts() == {"Function": 1, "Module": 1} and graph.edge_counts() == {"DEFINES": 1}


def test_unknown_properties_and_pairs_are_refused():
    graph = Graph()
    with pytest.raises(ValueError, match="no properties"):
        graph.add_node("File", id="x", colour="red")
    with pytest.raises(ValueError, match="does not connect"):
        graph.add_edge("HAS_METHOD", ("Module", "m"), ("Function", "f"))
    with pytest.raises(ValueError, match="no properties"):
        graph.add_edge("CALLS", ("Function", "a"), ("Function", "b"), weight=2)
