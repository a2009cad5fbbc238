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


def test_graph_delta_removes_updates_and_adds_exactly_what_differs():
    from codekg.graph import graph_delta

    old, new = Graph(), Graph()
    for graph in (old, new):
        graph.add_node("Module", id="Module:a.py:a", name="a", qualified_name="a")
        graph.add_node("Function", id="Function:a.py:a.keep", name="keep", qualified_name="a.keep")
    old.add_node("Function", id="Function:a.py:a.f", name="f", qualified_name="a.f", start_line=1)
    new.add_node("Function", id="Function:a.py:a.f", name="f", qualified_name="a.f", start_line=3)  # moved
    old.add_node("Function", id="Function:a.py:a.gone", name="gone", qualified_name="a.gone")
    new.add_node("Function", id="Function:a.py:a.new", name="new", qualified_name="a.new")
    f, keep, gone, fresh = (("Function", f"Function:a.py:a.{n}") for n in ("f", "keep", "gone", "new"))
    old.add_edge("CALLS", f, keep, confidence=1.0, reason="same-file", line=2, call_count=1)
    new.add_edge("CALLS", f, keep, confidence=1.0, reason="same-file", line=4, call_count=1)  # same pair, new line
    old.add_edge("CALLS", keep, gone, confidence=0.5, reason="unique-global-name", line=1, call_count=1)
    new.add_edge("CALLS", keep, fresh, confidence=0.5, reason="unique-global-name", line=1, call_count=1)
    delta = graph_delta(old, new)
    assert delta.removed_nodes == {"Function": ["Function:a.py:a.gone"]}
    assert [row["id"] for row in delta.updated_nodes.nodes["Function"]] == ["Function:a.py:a.f"]
    assert [row["id"] for row in delta.added.nodes["Function"]] == ["Function:a.py:a.new"]
    assert delta.removed_edges == {("CALLS", "Function", "Function"): [
        ("Function:a.py:a.f", "Function:a.py:a.keep"), ("Function:a.py:a.keep", "Function:a.py:a.gone")]}
    assert sorted((r["from"], r["to"], r["line"]) for r in delta.added.edges[("CALLS", "Function", "Function")]) == [
        ("Function:a.py:a.f", "Function:a.py:a.keep", 4), ("Function:a.py:a.keep", "Function:a.py:a.new", 1)]
    assert delta.counts() == {"nodes_added": 1, "nodes_removed": 1, "nodes_updated": 1, "edges_added": 2, "edges_removed": 2}
    # what changed in the moved node and in the edge removed and added again: a store sets just that
    assert delta.changed_properties == {"Function": {"Function:a.py:a.f": ("start_line",)},
                                        ("CALLS", "Function", "Function"): {("Function:a.py:a.f", "Function:a.py:a.keep"): ("line",)}}
    assert not graph_delta(new, new)


def test_spilled_tables_equal_the_held_ones_and_leave_the_heap_and_no_file(tmp_path):
    import pyarrow as pa

    from codekg.graph import GraphTables

    graph = Graph()
    for number in range(2_000):
        graph.add_node("Function", id=f"Function:m{number}.py:m{number}.f", name="f", qualified_name=f"m{number}.f")
        graph.add_node("Module", id=f"Module:m{number}.py:m{number}", name=f"m{number}", qualified_name=f"m{number}")
        graph.add_edge("DEFINES", ("Module", f"Module:m{number}.py:m{number}"), ("Function", f"Function:m{number}.py:m{number}.f"))
    parts = [graph.to_tables(), graph.to_tables()]
    held = GraphTables.concatenated(parts)  # chunked: two chunks per table
    before = pa.total_allocated_bytes()
    spilled = GraphTables.spilled(held, tmp_path)
    assert pa.total_allocated_bytes() == before  # read back without a copy: the bytes are the mapped file's
    assert list(spilled.nodes) == ["Function", "Module"] and list(spilled.edges) == [("DEFINES", "Module", "Function")]
    for key, table in [*held.nodes.items(), *held.edges.items()]:
        copy = spilled.nodes[key] if isinstance(key, str) else spilled.edges[key]
        assert copy.equals(table) and copy.num_rows == 4_000 and copy.schema == table.schema
    assert list(tmp_path.iterdir()) == []  # nameless: nothing to clean up after a crash
    del held, parts
    assert pa.total_allocated_bytes() < before  # the heap's copies are gone, the spilled ones still read
    assert spilled.nodes["Function"].column("id")[3_999].as_py() == "Function:m1999.py:m1999.f"
    assert GraphTables.spilled(GraphTables(), tmp_path) == GraphTables()


def _resident_bytes_of_spills(directory) -> int:
    """This process's resident bytes in its mappings of the files spilled in ``directory`` (nameless:
    a deleted file, or Linux's O_TMPFILE, named after the folder alone)."""
    resident, inside = 0, False
    with open("/proc/self/smaps", encoding="utf-8") as smaps:
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and len(fields) >= 5:  # a mapping's header line
                inside = len(fields) >= 6 and fields[5].startswith(f"{directory}/")
            elif inside and fields[0] == "Rss:":
                resident += int(fields[1]) * 1024
    return resident


def test_a_spilled_table_let_go_leaves_resident_memory_and_still_reads(tmp_path):
    from codekg.graph import GraphTables

    graph = Graph()
    for number in range(20_000):
        graph.add_node("Function", id=f"Function:m{number}.py:m{number}.f", name="f", qualified_name=f"m{number}.f",
                       docstring="why " * 20)
        graph.add_node("Module", id=f"Module:m{number}.py:m{number}", name=f"m{number}", qualified_name=f"m{number}")
    parts = [graph.to_tables().spilled(tmp_path), graph.to_tables().spilled(tmp_path)]
    tables = GraphTables.concatenated(parts)
    assert [len(tables.spans[label]) for label in ("Function", "Module")] == [2, 2]  # one span in each part's file
    held = GraphTables.concatenated([graph.to_tables(), graph.to_tables()]).nodes["Function"]

    assert tables.nodes["Function"].equals(held)  # every column read: its pages come in
    resident = _resident_bytes_of_spills(tmp_path)
    assert resident >= tables.nodes["Function"].nbytes * 0.9
    tables.let_go("Function")
    assert _resident_bytes_of_spills(tmp_path) < resident - tables.nodes["Function"].nbytes * 0.9
    assert tables.nodes["Function"].equals(held)  # read again, from the file
    tables.let_go(("CALLS", "Function", "Function"))  # a key with no rows, or rows in the heap: nothing to do
    GraphTables(graph.to_tables().nodes).let_go("Function")
