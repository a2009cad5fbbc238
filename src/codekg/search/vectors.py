"""The vectors of an index as one float32 matrix, and exact cosine search over it with numpy.

Takes: an open SearchStore and a model id. The matrix (one L2-normalised row per embedded symbol)
is read once per process and kept while the index's generation and vectors are unchanged, so a
server answers each query with one matrix-vector product: about 0.1 s for 1M × 384
(docs/benchmarks.md). Returns: (symbol rowid, cosine) pairs, best first.

A command line process starts with no matrix: the first one after an index run writes it beside the
search file (`search-vectors/`, numpy files stamped with the same version), and the next ones map it
instead of reading every vector out of SQLite (django: 0.45 of a 1.3 s `codekg locate`). A stamp that
differs, a file that is missing or cut short, or a folder that cannot be written: the vectors are
read from SQLite, as before.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from threading import Lock, get_ident
from typing import TYPE_CHECKING

from codekg.search.store import SECONDARY_ROWIDS, SearchStore

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True, slots=True)
class VectorMatrix:
    rowids: "np.ndarray"  # int64, one per row of ``matrix``
    matrix: "np.ndarray"  # float32 (n, dimension), rows L2-normalised

    def __len__(self) -> int:
        return len(self.rowids)

    def shelf(self, secondary: bool) -> "VectorMatrix":
        """The rows of one shelf (search/store.py `SECONDARY_ROWIDS`): a view, since rows are in
        rowid order."""
        import numpy as np

        cut = int(np.searchsorted(self.rowids, SECONDARY_ROWIDS))
        part = slice(cut, None) if secondary else slice(0, cut)
        return VectorMatrix(self.rowids[part], self.matrix[part])


_MATRICES: dict[tuple[str, str], tuple[tuple[str, str, str], VectorMatrix]] = {}
_LOCK = Lock()


def vector_count(store: SearchStore, model_id: str) -> int:
    return store.connection.execute(
        "SELECT count(*) FROM symbols s JOIN vectors v ON v.model = ? AND v.text_hash = s.text_hash", (model_id,)
    ).fetchone()[0]


def load_matrix(store: SearchStore, model_id: str) -> VectorMatrix:
    """The index's vectors for ``model_id``, from the process cache while the index is unchanged."""
    import numpy as np

    version = (store.generation, store.meta("vectors_epoch"), store.meta("build"))
    key = (str(store.path), model_id)
    with _LOCK:
        cached = _MATRICES.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
    folder = Path(store.path).parent / MATRIX_FOLDER
    stem = hashlib.sha256(model_id.encode()).hexdigest()[:16]
    stamp = json.dumps([model_id, *version])
    loaded = _mapped(folder, stem, stamp)
    if loaded is None:
        rows = store.connection.execute(
            "SELECT s.rowid, v.vector FROM symbols s JOIN vectors v ON v.model = ? AND v.text_hash = s.text_hash "
            "ORDER BY s.rowid", (model_id,)).fetchall()
        if rows:
            matrix = np.frombuffer(b"".join(blob for _, blob in rows), dtype=np.float32).reshape(len(rows), -1)
        else:
            matrix = np.zeros((0, 0), dtype=np.float32)
        loaded = VectorMatrix(np.fromiter((rowid for rowid, _ in rows), dtype=np.int64, count=len(rows)), matrix)
        _write_mapped(folder, stem, stamp, loaded)
    with _LOCK:
        _MATRICES[key] = (version, loaded)
    return loaded


MATRIX_FOLDER = "search-vectors"


def _mapped(folder: Path, stem: str, stamp: str) -> VectorMatrix | None:
    """The matrix written for ``stamp``, memory-mapped; None when there is none that matches whole:
    the stamp names the version and the arrays' shape, and every array must have it (a file cut
    short or left empty by a crash, a file of another shape)."""
    import numpy as np

    try:
        written = json.loads((folder / f"{stem}.stamp").read_text("utf-8"))
        if written.get("version") != stamp:
            return None
        rowids = np.load(folder / f"{stem}.rowids.npy", mmap_mode="r")
        matrix = np.load(folder / f"{stem}.matrix.npy", mmap_mode="r")
        if (folder / f"{stem}.stamp").read_text("utf-8") != json.dumps(written):  # rewritten meanwhile (the
            return None                                      # writer drops the stamp first, then the arrays)
    except Exception:  # noqa: BLE001 - whatever is wrong with a cache file, SQLite has the vectors
        return None
    if (rowids.dtype != np.int64 or matrix.dtype != np.float32 or rowids.shape != (written.get("rows"),)
            or matrix.shape != (written.get("rows"), written.get("dimension"))):
        return None
    return VectorMatrix(rowids, matrix)


def _write_mapped(folder: Path, stem: str, stamp: str, vectors: VectorMatrix) -> None:
    """Write the matrix for the next process: the arrays first, each flushed to disk and renamed in,
    then the stamp that names them and their shape (a reader that sees the stamp sees its arrays,
    after a crash too). Best effort: a read-only index, a full disk or a race with another process
    leaves the next one reading SQLite."""
    import numpy as np

    try:
        folder.mkdir(exist_ok=True)
        (folder / f"{stem}.stamp").unlink(missing_ok=True)
        for name, array in (("rowids", vectors.rowids), ("matrix", vectors.matrix)):
            temporary = folder / f"{stem}.{name}.{os.getpid()}.{get_ident()}.tmp"
            with open(temporary, "wb") as handle:
                np.save(handle, np.ascontiguousarray(array))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, folder / f"{stem}.{name}.npy")
        rows, dimension = vectors.matrix.shape if vectors.matrix.ndim == 2 else (0, 0)
        temporary = folder / f"{stem}.stamp.{os.getpid()}.{get_ident()}.tmp"
        temporary.write_text(json.dumps({"version": stamp, "rows": len(vectors.rowids), "dimension": dimension}), "utf-8")
        os.replace(temporary, folder / f"{stem}.stamp")
    except OSError:
        return


def cosine_top_k(vectors: VectorMatrix, query: "np.ndarray", k: int) -> list[tuple[int, float]]:
    """The ``k`` rows most similar to ``query`` (normalised here), exact: every row is scored."""
    import numpy as np

    if len(vectors) == 0 or k <= 0:
        return []
    query = np.asarray(query, dtype=np.float32).reshape(-1)
    query = query / max(float(np.linalg.norm(query)), 1e-12)
    scores = vectors.matrix @ query
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((vectors.rowids[top], -scores[top]))]  # best first; ties by rowid
    return [(int(vectors.rowids[i]), float(scores[i])) for i in top]
