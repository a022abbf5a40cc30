"""Hybrid search: keyword (knowledge.keyword) and semantic (knowledge.vectors) rankings fused by
reciprocal rank (each list gives 1 / (RRF_K + rank)), so neither score scale has to be calibrated
against the other. With no embedding model, or when the embedding call fails, keyword search alone.

A passage is `relevant` (an answer the assistant may build on) when its cosine similarity reaches
KNOWLEDGE_MIN_SIMILARITY or it holds KNOWLEDGE_MIN_KEYWORD_COVERAGE of the question's words; the
fused score orders, these absolute measures decide whether anything answers at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.conf import settings

from knowledge.embeddings import embed_query
from knowledge.keyword import keyword_ranked
from knowledge.models import Chunk
from knowledge.vectors import nearest
from knowledge.words import coverage, query_words

RRF_K = 60
CANDIDATES = 50
LIMIT_MAX = 20
Mode = Literal["hybrid", "keyword", "semantic"]


@dataclass(frozen=True)
class Passage:
    chunk_id: int
    document_id: int
    title: str
    source: str
    heading: str
    text: str
    score: float
    similarity: float | None
    coverage: float
    relevant: bool


def _fuse(rankings: list[list[int]]) -> list[tuple[int, float]]:
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, chunk_id in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def knowledge_search(*, query: str, limit: int = 5, mode: Mode = "hybrid") -> list[Passage]:
    """The best `limit` passages for `query`, best first."""
    limit = max(1, min(limit, LIMIT_MAX))
    terms = query_words(query)
    rankings: list[list[int]] = []
    if mode in ("hybrid", "keyword"):
        rankings.append(keyword_ranked(terms, CANDIDATES))
    similarity = None
    if mode in ("hybrid", "semantic"):
        model, vector = embed_query(query) if query.strip() else ("", None)
        if vector is not None:
            ranked, similarity = nearest(model=model, query=vector, limit=CANDIDATES)
            rankings.append([chunk_id for chunk_id, _ in ranked])
    fused = _fuse(rankings)[:limit]
    wanted = [chunk_id for chunk_id, _ in fused]
    chunks = Chunk.objects.select_related("document").defer("embedding", "search", "document__text").in_bulk(wanted)
    passages = []
    for chunk_id, score in fused:
        chunk = chunks.get(chunk_id)
        if chunk is None:  # deleted since the index was read
            continue
        cosine = similarity(chunk_id) if similarity is not None else None
        covered = coverage(terms, f"{chunk.heading}\n{chunk.text}\n{chunk.document.title}")
        relevant = covered >= settings.KNOWLEDGE_MIN_KEYWORD_COVERAGE or (
            cosine is not None and cosine >= settings.KNOWLEDGE_MIN_SIMILARITY
        )
        passages.append(
            Passage(
                chunk_id=chunk_id,
                document_id=chunk.document_id,
                title=chunk.document.title,
                source=chunk.document.source,
                heading=chunk.heading,
                text=chunk.text,
                score=round(score, 6),
                similarity=None if cosine is None else round(cosine, 4),
                coverage=round(covered, 3),
                relevant=relevant,
            )
        )
    return passages
