"""The vectors of an index as one float32 matrix, and exact cosine search over it with numpy.

Takes: an open SearchStore and a model id. The matrix (one L2-normalised row per embedded symbol)
is read once per process and kept while the index's generation and vectors are unchanged, so a
server answers each query with one matrix-vector product: about 0.1 s for 1M × 384
(docs/benchmarks.md). Returns: (symbol rowid, cosine) pairs, best first.
"""

from __future__ import annotations

from dataclasses import dataclass
from threading import Lock
from typing import TYPE_CHECKING

from codekg.search.store import SearchStore

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True, slots=True)
class VectorMatrix:
    rowids: "np.ndarray"  # int64, one per row of ``matrix``
    matrix: "np.ndarray"  # float32 (n, dimension), rows L2-normalised

    def __len__(self) -> int:
        return len(self.rowids)


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
    rows = store.connection.execute(
        "SELECT s.rowid, v.vector FROM symbols s JOIN vectors v ON v.model = ? AND v.text_hash = s.text_hash "
        "ORDER BY s.rowid", (model_id,)).fetchall()
    if rows:
        matrix = np.frombuffer(b"".join(blob for _, blob in rows), dtype=np.float32).reshape(len(rows), -1)
    else:
        matrix = np.zeros((0, 0), dtype=np.float32)
    loaded = VectorMatrix(np.fromiter((rowid for rowid, _ in rows), dtype=np.int64, count=len(rows)), matrix)
    with _LOCK:
        _MATRICES[key] = (version, loaded)
    return loaded


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
