"""Embeddings through the orchestrator's LLM seam: `settings.KNOWLEDGE_EMBEDDER` names the function
(orchestrator.llm.embed), as EMAIL_BACKEND names a mail backend, so this app never imports the layer
above it. Vectors are stored as unit-length float32 bytes; a failed or unconfigured embedding is not
an error here: the passages are stored without one and keyword search still finds them."""

from __future__ import annotations

import logging

import numpy as np
from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("knowledge")

BATCH = 64


def current_model() -> str:
    """The embedding model search and storage use now; "" means keyword-only."""
    return import_string(settings.KNOWLEDGE_EMBEDDING_MODEL)()


def to_bytes(vector) -> bytes:
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return (array / norm if norm else array).astype("<f4").tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<f4")


def embed_texts(texts: list[str]) -> tuple[str, list[bytes]]:
    """`(model, one vector per text)`, or `("", [])` when no model is configured or the call failed."""
    if not texts or not current_model():
        return "", []
    embed = import_string(settings.KNOWLEDGE_EMBEDDER)
    model, vectors = "", list[bytes]()
    try:
        for start in range(0, len(texts), BATCH):
            model, batch = embed(texts[start : start + BATCH])
            vectors.extend(to_bytes(vector) for vector in batch)
    except Exception as exc:  # the provider's errors are the seam's (LLMError); keyword search still works
        logger.warning("Embedding %s passages failed: %s; stored for keyword search only", len(texts), exc)
        return "", []
    return model, vectors


def embed_query(text: str) -> tuple[str, np.ndarray | None]:
    model, vectors = embed_texts([text])
    return model, (from_bytes(vectors[0]) if vectors else None)
