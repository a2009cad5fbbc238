"""Keeping `<db>/search.sqlite` in step with the live graph.

The scheme: one search file per index directory, stamped with the graph generation (and build file)
whose symbols it holds; the stamp and the rows change in one SQLite transaction. An index run
updates it right after the graph: a full build replaces every row, an incremental run applies the
run's GraphDelta (only the changed files' symbols and edges). A stamp that is not the one the run
started from (an earlier run crashed or was interrupted between the graph and this file), a missing
or unreadable file, is rebuilt from the graph itself, by a read query per label. A reader checks the
stamp against the generation live in the graph and rebuilds on a mismatch too: that is the one the
live build's state (`<build>.state`) records, except while the build's pending marker says a delta
was being committed and its state may not say so yet (`IndexDirectory.mark_pending`; a run killed
then leaves it): then the reader asks the graph. A search is never answered from a file stamped
with another generation: while an index run holds the directory, the reader waits for it to bring
the file in step. A failure here is logged and reported, never lets the graph update fail.

Embeddings (opt-in) are filled in after the rows: every indexed symbol whose text has no cached
vector for the model is embedded, in committed batches.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codekg.errors import CodekgError, IndexLockedError, IndexNotFoundError
from codekg.graph import EdgeKey, GraphDelta
from codekg.index_state import state_path
from codekg.passes.load import GENERATION_KEY
from codekg.search.store import EXPANSION_EDGES, FORMAT, INDEXED_LABELS, SEARCH_FILE, SearchStore
from codekg.search.symbol_text import SourceLines, vector_text_kind
from codekg.settings import Settings
from codekg.stores import IndexDirectory, open_index
from codekg.stores.reads import Expansion, Step

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

# How long a search waits for a running index run to bring a search file in step before giving up.
IN_STEP_WAIT_SECONDS = 10.0

VECTOR_TEXT_KEY = "vector_text"  # meta: what the stored text hashes were computed from
WRITE_BATCH_ROWS = 10_000  # rows of the graph's tables turned into Python objects at a time

_NODE_COLUMNS = ("id", "name", "qualified_name", "file_path", "start_line", "end_line", "signature", "docstring")


def search_path(db_dir: Path) -> Path:
    return db_dir / SEARCH_FILE


# --- called by an index run (which holds the writer lock) ----------------------------------------

def update_after_full(db_dir: Path, settings: Settings, build: str, generation: str,
                      nodes: Iterable[tuple[str, "pa.Table"]], edges: Iterable[tuple[EdgeKey, "pa.Table"]],
                      root: Path | None = None) -> dict[str, Any]:
    """After a new build is published: replace every row with the build's symbols and edges (node
    and edge tables as they come: a label's rows may come in several tables, and the tables may
    come as the load gets them, read in that order). ``root``: the repository, whose files the
    symbols' vectors read (search/symbol_text.py)."""
    def write(store: SearchStore, source: SourceLines | None) -> None:
        store.replace_all(
            ((label, batch.to_pylist()) for label, table in nodes if label in INDEXED_LABELS
             for batch in table.select(list(_NODE_COLUMNS)).to_batches(max_chunksize=WRITE_BATCH_ROWS)),
            ((rel_type, list(zip(batch.column("from").to_pylist(), batch.column("to").to_pylist())))
             for (rel_type, _, _), table in edges if rel_type in EXPANSION_EDGES
             for batch in table.to_batches(max_chunksize=WRITE_BATCH_ROWS)), source)
        store.set_meta(VECTOR_TEXT_KEY, vector_text_kind(source))
        store.stamp(generation, build)

    return _guarded(db_dir, settings, lambda store, source: _write(store, lambda store: write(store, source)), root)


def in_search_order(nodes: dict[str, "pa.Table"]) -> list[tuple[str, "pa.Table"]]:
    """The node tables of the labels the search file keeps, in INDEXED_LABELS order (their rowids
    follow it)."""
    return [(label, nodes[label]) for label in INDEXED_LABELS if label in nodes]


def update_after_delta(db_dir: Path, settings: Settings, build: str, previous_generation: str,
                       generation: str, delta: GraphDelta, root: Path | None = None,
                       changed_paths: Iterable[str] = ()) -> dict[str, Any]:
    """After a delta was committed to the graph and the build's state records ``generation``: settle
    the build's pending marker, then apply the same delta, if this file mirrors the generation the
    delta was computed from; else rebuild it from the graph. ``changed_paths``: the files whose bytes
    changed, whose symbols' vectors read their bodies again (an edit that moves no line changes no row)."""
    IndexDirectory(db_dir).clear_pending(build)
    def write(store: SearchStore, source: SourceLines | None) -> None:
        removed = [node_id for label, ids in delta.removed_nodes.items() if label in INDEXED_LABELS for node_id in ids]
        store.remove_symbols(removed)
        for (rel_type, _, _), pairs in delta.removed_edges.items():
            store.remove_edges(rel_type, pairs)
        for graph in (delta.updated_nodes, delta.added):
            for label, rows in graph.nodes.items():
                store.put_symbols(label, rows, source)
        if source is not None:
            store.refresh_text_hashes(source, changed_paths)
        for (rel_type, _, _), rows in delta.added.edges.items():
            store.put_edges(rel_type, ((row["from"], row["to"]) for row in rows))
        store.stamp(generation, build)

    def apply(store: SearchStore, source: SourceLines | None) -> str:
        if store.generation != previous_generation or store.meta("build") != build:
            return _rebuild_from_graph(db_dir, settings, store, source)
        return _write(store, lambda store: write(store, source))

    return _guarded(db_dir, settings, apply, root)


def update_unchanged(db_dir: Path, settings: Settings, build: str, generation: str, root: Path | None = None) -> dict[str, Any]:
    """A run that changed nothing: rebuild only if this file does not mirror the live generation, and
    fill in vectors when embeddings were just switched on."""
    def check(store: SearchStore, source: SourceLines | None) -> str:
        if store.generation == generation and store.meta("build") == build:
            return "current"
        return _rebuild_from_graph(db_dir, settings, store, source)

    return _guarded(db_dir, settings, check, root)


def _write(store: SearchStore, write: Callable[[SearchStore], None]) -> str:
    with store.transaction():
        write(store)
    return "updated"


def _guarded(db_dir: Path, settings: Settings, update: Callable[[SearchStore, SourceLines | None], str],
             root: Path | None) -> dict[str, Any]:
    """Run ``update`` on the search file, then the embeddings; any error is a warning in the report.
    ``update`` is given the files of ``root`` when the index has (or is to have) vectors, which read
    the start of each body; else None."""
    started = time.perf_counter()
    report: dict[str, Any] = {}
    try:
        store = _open_for_writing(db_dir)
        try:
            source = SourceLines(root) if root is not None and _embeddings_wanted(store, settings) else None
            report["index"] = update(store, source)
            report["symbols"] = store.connection.execute("SELECT count(*) FROM symbols").fetchone()[0]
            report.update(_update_embeddings(store, settings, source))
        finally:
            store.close()
    except (CodekgError, sqlite3.Error, OSError) as error:
        log.warning("the search index was not updated (%s); it is rebuilt from the graph on the next run or search", error)
        report["error"] = str(error)
    report["seconds"] = round(time.perf_counter() - started, 4)
    return report


def _open_for_writing(db_dir: Path) -> SearchStore:
    path = search_path(db_dir)
    try:
        return SearchStore(path)
    except sqlite3.DatabaseError as error:  # damaged or foreign: start afresh, it is derived data
        log.warning("rebuilding the search index %s: %s", path, error)
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        return SearchStore(path)


def _embeddings_wanted(store: SearchStore, settings: Settings) -> bool:
    """Embeddings as asked; unset: as the index has them."""
    return settings.embeddings if settings.embeddings is not None else bool(store.meta("embedding_model"))


def _update_embeddings(store: SearchStore, settings: Settings, source: SourceLines | None = None) -> dict[str, Any]:
    """Switch embeddings on or off as asked (unset: as the index has them), then embed what is missing:
    the text hashes computed again first when they were made from other text than ``source`` gives
    (embeddings just switched on, an index of an earlier version)."""
    recorded = store.meta("embedding_model")
    wanted = _embeddings_wanted(store, settings)
    if not wanted:
        if recorded:
            with store.transaction():
                store.connection.execute("DELETE FROM vectors")
                store.set_meta("embedding_model", "")
                store.set_meta("embedding_model_id", "")
        return {}
    from codekg.search.embeddings import embed_missing, load_embedder  # with urllib: not for an index without vectors

    spec = settings.embedding_model if settings.embeddings or not recorded else recorded
    api_key = settings.embedding_api_key.get_secret_value() if settings.embedding_api_key else None
    embedder = load_embedder(spec, api_key)
    started = time.perf_counter()
    if store.meta(VECTOR_TEXT_KEY) != vector_text_kind(source):
        with store.transaction():
            store.refresh_text_hashes(source)
            store.set_meta(VECTOR_TEXT_KEY, vector_text_kind(source))
    embedded = embed_missing(store, embedder, settings.embedding_batch_size, source=source)
    seconds = time.perf_counter() - started
    with store.transaction():
        store.set_meta("embedding_model", spec)
        store.set_meta("embedding_model_id", embedder.model_id)
        if recorded and recorded != spec:  # vectors of the previous model are no longer read
            store.connection.execute("DELETE FROM vectors WHERE model != ?", (embedder.model_id,))
    return {"embedding_model": embedder.model_id, "embedded": embedded, "embedding_seconds": round(seconds, 4)}


# --- rebuilding from the graph ------------------------------------------------------------------

def _rebuild_from_graph(db_dir: Path, settings: Settings, store: SearchStore, source: SourceLines | None = None) -> str:
    """Replace every row with what the live graph holds (read queries), stamped with its generation.
    With vectors in the index, their texts read the files of the root the graph records, unless
    ``source`` gives them (an index run's)."""
    graph = open_index(db_dir, settings)
    try:
        current = IndexDirectory(db_dir).current_graph()
        recorded = graph.reads.metadata([GENERATION_KEY, "repo_root"])
        generation = recorded.get(GENERATION_KEY, "")
        if source is None and store.meta("embedding_model") and recorded.get("repo_root"):
            source = SourceLines(Path(recorded["repo_root"]))
        nodes = {label: [dict(zip(_NODE_COLUMNS, row)) for row in graph.reads.nodes(label, columns=_NODE_COLUMNS)]
                 for label in INDEXED_LABELS}
        edges = {rel_type: [(n.near, n.node[0]) for n in graph.reads.neighbours([Expansion(None, [Step(rel_type, (rel_type,))])], ("id",))]
                 for rel_type in EXPANSION_EDGES}
    finally:
        graph.close()
    with store.transaction():
        store.replace_all(nodes.items(), ((rel_type, [(a, b) for a, b in pairs]) for rel_type, pairs in edges.items()), source)
        store.set_meta(VECTOR_TEXT_KEY, vector_text_kind(source))
        store.stamp(generation, current.name if current is not None else "")
    return "rebuilt"


# --- called by a search ---------------------------------------------------------------------------

def recorded_generation(db_dir: Path, build: str) -> str:
    """The generation the live build's state records: what an index run stamps this file with."""
    try:
        connection = sqlite3.connect(f"file:{state_path(db_dir, build)}?mode=ro", uri=True)
        try:
            row = connection.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return ""
    if row is None:
        return ""
    return row[0].decode() if isinstance(row[0], bytes) else str(row[0])


def open_for_search(db_dir: Path, settings: Settings) -> tuple[SearchStore, list[str]]:
    """The search file, read-only, mirroring the generation live in the graph; rebuilt first when it
    does not. While an index run holds the directory, wait for it to bring the file in step (up to
    IN_STEP_WAIT_SECONDS, then IndexLockedError): a file of another generation is never searched."""
    directory = IndexDirectory(db_dir)
    path = search_path(db_dir)
    deadline = time.monotonic() + IN_STEP_WAIT_SECONDS
    while True:
        current = directory.current_graph()
        if current is None:
            raise IndexNotFoundError(f"no codekg index in {db_dir}; run `codekg index` first")
        expected = _live_generation(directory, settings, current.name)
        store = _open_read_only(path)
        in_step = (store is not None and store.generation == expected and store.meta("build") == current.name
                   and store.meta("format") == FORMAT)  # an earlier format is upgraded and rebuilt
        if in_step and expected is not None:
            return store, []
        if store is not None:
            store.close()
        try:
            with directory.writer_lock():
                writer = _open_for_writing(db_dir)
                try:
                    _rebuild_from_graph(db_dir, settings, writer)
                finally:
                    writer.close()
                store = _open_read_only(path)
                if store is not None:
                    return store, ["the search index did not match the graph and was rebuilt from it"]
        except IndexLockedError:
            pass
        if time.monotonic() >= deadline:
            raise IndexLockedError(f"a running `codekg index` is bringing the search index of {db_dir} in step with "
                                   "the graph; try again")
        time.sleep(0.1)


def _live_generation(directory: IndexDirectory, settings: Settings, build: str) -> str | None:
    """The generation the live graph holds: the one its state records, unless a delta was being
    committed when the state was last written; then the graph's own (None if it cannot be read now)."""
    if directory.pending_generation(build) is None:
        return recorded_generation(directory.db_dir, build)
    try:
        graph = open_index(directory.db_dir, settings)
    except CodekgError:
        return None
    try:
        return graph.read_metadata().get(GENERATION_KEY) or None
    except CodekgError:
        return None
    finally:
        graph.close()


def _open_read_only(path: Path) -> SearchStore | None:
    if not path.is_file():
        return None
    try:
        store = SearchStore(path, read_only=True)
        store.generation  # noqa: B018 - a damaged or foreign file fails here
        return store
    except sqlite3.Error:
        return None


def embedding_spec(store: SearchStore) -> tuple[str, str]:
    """(model spec, model id) the index's vectors were made with; empty when it has none."""
    return store.meta("embedding_model"), store.meta("embedding_model_id")


__all__ = ["open_for_search", "update_after_delta", "update_after_full", "update_unchanged"]
