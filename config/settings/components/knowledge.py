"""The knowledge base: embeddings for semantic search, upload limits, and when a passage counts
as an answer."""

from config.env import env

# Embeddings for semantic search: the chat's key and base URL (LITELLM_*) with this model; empty
# means keyword search only (still useful).
EMBEDDING_MODEL = env.str("EMBEDDING_MODEL", default="")
EMBEDDING_TIMEOUT_S = env.float("EMBEDDING_TIMEOUT_S", default=10.0)
# What the knowledge app calls for embeddings (it sits below the orchestrator, which owns litellm).
KNOWLEDGE_EMBEDDER = "orchestrator.llm.embed"
KNOWLEDGE_EMBEDDING_MODEL = "orchestrator.llm.embedding_model"
KNOWLEDGE_MAX_UPLOAD_BYTES = env.int("KNOWLEDGE_MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)
KNOWLEDGE_MAX_TEXT_CHARS = env.int("KNOWLEDGE_MAX_TEXT_CHARS", default=500_000)
# A passage counts as an answer at this cosine similarity, or when it holds this share of the
# question's words; below both, the assistant says it does not know and the question becomes a gap.
KNOWLEDGE_MIN_SIMILARITY = env.float("KNOWLEDGE_MIN_SIMILARITY", default=0.35)
KNOWLEDGE_MIN_KEYWORD_COVERAGE = env.float("KNOWLEDGE_MIN_KEYWORD_COVERAGE", default=0.5)
