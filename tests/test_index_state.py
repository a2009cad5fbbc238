"""The state beside a build: written in one transaction, read lazily, ignored when it does not fit."""

from __future__ import annotations

from codekg.index_state import FileStat, IndexState, StateUpdate, graph_fingerprint, state_path
from codekg.pipeline import index_repository
from codekg.settings import load_settings


def test_a_full_index_writes_a_state_that_describes_it(index_fixture):
    indexed = index_fixture("pyrepo")
    (graph_file,) = [p.name for p in indexed.db.glob("*.lbdb")]
    # the fingerprint covers the value flow as the run decided it (`auto`: on, for a fixture this small)
    decided = indexed.settings.model_copy(update={"value_flow": indexed.summary.value_flow["on"]})
    assert decided.value_flow is True
    state = IndexState.open(indexed.db, graph_file, graph_fingerprint(decided))
    assert state is not None
    try:
        generation = dict(indexed.rows("MATCH (m:IndexMeta) RETURN m.key, m.value"))["generation"]
        assert state.generation == generation
        assert sorted(state.stats()) == ["scripts/run.py", "src/shop/__init__.py", "src/shop/models.py",
                                         "src/shop/service.py", "src/shop/util.py"]
        summary = state.summaries()["src/shop/util.py"]
        assert summary.outline.module_name == "shop.util" and summary.outline.top_level == (("log", "Function"),)
        assert summary.node_counts == {"File": 1, "Function": 1, "Import": 1, "Module": 1}
        assert summary.derived_edge_counts == {"CALLS": 2, "IMPORTS": 1}
        # `import json` probes for a sibling json.py only outside a package, so it reads whether
        # src/shop/__init__.py exists, then the module name `json`
        # and one key that stands for the file's value-flow edges (passes/resolve.py flow_dependency)
        (flow_key,) = [key for key in summary.dependencies if key[0] == "flow"]
        assert len(flow_key) == 2 and len(flow_key[1]) == 16 and int(flow_key[1], 16) >= 0
        assert summary.dependencies - {flow_key} == {
            ("file", "src/shop/__init__.py"), ("file", "src/shop/util.py"), ("module", "python", "json"),
            # the folders above it probed for a package manifest (none has one)
            ("package", "src/shop"), ("package", "src"), ("package", "")}
        service = state.summaries()["src/shop/service.py"]
        assert ("file", "src/shop/util.py") in service.dependencies  # it calls util.log
        assert state.symbols("src/shop/util.py").module_name == "shop.util"
    finally:
        state.close()


def test_a_state_from_other_settings_or_a_damaged_file_is_not_used(index_fixture):
    indexed = index_fixture("pyrepo")
    (graph_file,) = [p.name for p in indexed.db.glob("*.lbdb")]
    other = load_settings(indexed.repo, ambiguity_limit=7)
    assert IndexState.open(indexed.db, graph_file, graph_fingerprint(other)) is None
    assert index_repository(indexed.repo, indexed.db, other).delta["mode"] == "full"
    (graph_file,) = [p.name for p in indexed.db.glob("*.lbdb")]
    state_path(indexed.db, graph_file).write_bytes(b"\0garbage" * 64)
    assert IndexState.open(indexed.db, graph_file, graph_fingerprint(other)) is None


def test_an_update_is_all_or_nothing(tmp_path):
    state = IndexState.create(tmp_path, "graph-x.lbdb", "fp")
    try:
        state.write(StateUpdate("gen-1", {}, unparsed={"a.py": (FileStat("h", 1, 2), "binary file")}))
        bad = StateUpdate("gen-2", {}, unparsed={"b.py": (FileStat("h", 1, 2), "binary file")})
        bad.rederived = {"c.py": (lambda: None, None)}  # cannot be pickled: the write fails midway
        try:
            state.write(bad)
        except Exception:  # noqa: BLE001 - any failure must leave the previous state
            pass
        assert state.generation == "gen-1" and list(state.unparsed()) == ["a.py"]
    finally:
        state.close()
    reopened = IndexState.open(tmp_path, "graph-x.lbdb", "fp")
    assert reopened is not None and reopened.generation == "gen-1"
    reopened.close()
