"""Embeddings through the orchestrator's LLM seam: `settings.KNOWLEDGE_EMBEDDER` names the function
(orchestrator.llm.embed), as EMAIL_BACKEND names a mail backend, so this app never imports the layer
above it. Vectors are stored as unit-length float32 bytes; a failed or unconfigured embedding is not
an error here: the passages are stored without one and keyword search still finds them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

from knowledge.vectors import from_bytes, to_bytes

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger("knowledge")

BATCH = 64


def current_model() -> str:
    """The embedding model search and storage use now; "" means keyword-only."""
    return import_string(settings.KNOWLEDGE_EMBEDDING_MODEL)()


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
