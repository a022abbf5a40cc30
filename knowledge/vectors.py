"""Exact vector search over every stored embedding, held in memory by each worker process.

The matrix is loaded on the first search and again whenever `KnowledgeVersion.version` (raised in
the transaction of every change to the passages) differs from the one it was loaded at: one small
query per search keeps every process of every host current with the database as the only source of
truth. A search is one matrix-vector product and a partial sort: at 50k passages of 256 floats a few
milliseconds (docs/PERFORMANCE.md). The ceiling is memory (rows x dimensions x 4 bytes per process)
and the linear scan; past a few hundred thousand passages the next step is pgvector's index.

The one module that imports numpy, lazily: ~16 MB resident per process, which a web process needs
only for a document stored or a search made with an embedding model (docs/PERFORMANCE.md)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from knowledge.models import Chunk, KnowledgeVersion

if TYPE_CHECKING:
    import numpy as np

LOAD_BATCH = 2000


@dataclass(frozen=True)
class _Matrix:
    version: int
    model: str
    ids: np.ndarray
    rows: np.ndarray  # (n, dimensions) float32, unit rows
    position: dict[int, int]


_lock = threading.Lock()
_loaded: _Matrix | None = None


def _numpy():
    import numpy  # lazily: see the module's docstring (knowledge/__init__.py sets its BLAS threads first)

    return numpy


def to_bytes(vector) -> bytes:
    """A vector as stored: unit length, little-endian float32."""
    np = _numpy()
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return (array / norm if norm else array).astype("<f4").tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    return _numpy().frombuffer(bytes(data), dtype="<f4")


def knowledge_version() -> int:
    return KnowledgeVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def _load(version: int, model: str) -> _Matrix:
    """Every vector of `model`, written straight into one preallocated matrix (no list of rows and
    no stacked copy: the load peaks at the matrix's own size). Rows of another size than the first
    (a model that changed its size under one name) are left out."""
    np = _numpy()
    rows = Chunk.objects.filter(embedding_model=model, embedding__isnull=False)
    count = rows.count()
    ids = np.zeros(count, dtype=np.int64)
    matrix = np.zeros((0, 0), dtype=np.float32)
    filled = 0
    for chunk_id, data in rows.values_list("id", "embedding").iterator(chunk_size=LOAD_BATCH):
        vector = np.frombuffer(bytes(data or b""), dtype="<f4")
        if filled == 0 and not matrix.size:
            matrix = np.zeros((count, vector.shape[0]), dtype=np.float32)
        if filled >= count or vector.shape[0] != matrix.shape[1]:
            continue  # added since the count, or of another size
        matrix[filled] = vector
        ids[filled] = chunk_id
        filled += 1
    matrix, ids = matrix[:filled], ids[:filled]
    return _Matrix(version, model, ids, matrix, {int(chunk_id): i for i, chunk_id in enumerate(ids)})


def matrix_for(model: str) -> _Matrix:
    global _loaded
    version = knowledge_version()
    current = _loaded
    if current is not None and current.version == version and current.model == model:
        return current
    with _lock:
        current = _loaded
        if current is None or current.version != version or current.model != model:
            current = _loaded = _load(version, model)
    return current


def nearest(*, model: str, query: np.ndarray, limit: int) -> tuple[list[tuple[int, float]], Callable[[int], float]]:
    """The `limit` most similar passages as (chunk id, cosine), and any passage's cosine by id."""
    np = _numpy()
    matrix = matrix_for(model)
    if not len(matrix.ids) or matrix.rows.shape[1] != query.shape[0]:
        return [], lambda chunk_id: 0.0
    scores = matrix.rows @ query.astype(np.float32)
    count = min(limit, len(scores))
    top = np.argpartition(-scores, count - 1)[:count]
    top = top[np.argsort(-scores[top])]
    ranked = [(int(matrix.ids[i]), float(scores[i])) for i in top]

    def similarity(chunk_id: int) -> float:
        index = matrix.position.get(chunk_id)
        return float(scores[index]) if index is not None else 0.0

    return ranked, similarity


def memory_bytes() -> int:
    """What the loaded matrix holds (the benchmark reports it)."""
    current = _loaded
    return 0 if current is None else int(current.rows.nbytes + current.ids.nbytes)
