"""search/store.py: what a neighbour that is not an indexed symbol is called, read from its id."""

from __future__ import annotations

from codekg.search.store import SearchStore, id_file_path


def test_an_external_is_named_by_its_whole_id_tail_colons_and_all(tmp_path):
    """`External:node:buffer.Buffer.from` is the External `node:buffer.Buffer.from` (no file), as the
    graph and `codekg context` call it; before, search listed `buffer.Buffer.from` in a file `node`."""
    store = SearchStore(tmp_path / "search.sqlite")
    try:
        assert store.names_of(["External:node:buffer.Buffer.from", "External:<builtin>.print",
                               "Function:src/a.py:a.run"]) == {
            "External:node:buffer.Buffer.from": ("node:buffer.Buffer.from", ""),
            "External:<builtin>.print": ("<builtin>.print", ""),
            "Function:src/a.py:a.run": ("a.run", "src/a.py"),  # not indexed here: read from its id
        }
    finally:
        store.close()
    assert id_file_path("External:node:fs.readFile") == "" and id_file_path("Method:src/a.py:a.C.m") == "src/a.py"
