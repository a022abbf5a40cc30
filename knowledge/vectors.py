"""Exact vector search over every stored embedding, held in memory by each worker process.

The matrix is loaded on the first search and again whenever `KnowledgeVersion.version` (raised in
the transaction of every change to the passages) differs from the one it was loaded at: one small
query per search keeps every process of every host current with the database as the only source of
truth. A search is one matrix-vector product and a partial sort: at 50k passages of 256 floats a few
milliseconds (docs/PERFORMANCE.md). The ceiling is memory (rows x dimensions x 4 bytes per process)
and the linear scan; past a few hundred thousand passages the next step is pgvector's index."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from knowledge.models import Chunk, KnowledgeVersion

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


def knowledge_version() -> int:
    return KnowledgeVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def _load(version: int, model: str) -> _Matrix:
    ids: list[int] = []
    vectors: list[np.ndarray] = []
    rows = Chunk.objects.filter(embedding_model=model, embedding__isnull=False).values_list("id", "embedding")
    for chunk_id, data in rows.iterator(chunk_size=LOAD_BATCH):
        ids.append(chunk_id)
        vectors.append(np.frombuffer(bytes(data or b""), dtype="<f4"))
    dimensions = {vector.shape[0] for vector in vectors}
    if len(dimensions) > 1:  # a model changed its size under one name: use the most recent size
        latest = vectors[-1].shape[0]
        keep = [i for i, vector in enumerate(vectors) if vector.shape[0] == latest]
        ids, vectors = [ids[i] for i in keep], [vectors[i] for i in keep]
    matrix = np.vstack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)
    id_array = np.asarray(ids, dtype=np.int64)
    return _Matrix(version, model, id_array, matrix, {chunk_id: i for i, chunk_id in enumerate(ids)})


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
