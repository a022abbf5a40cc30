"""Keyword search in the database's own full-text engine; the query is the question's content words
as prefixes (knowledge.words), any of them matching, ranked by the engine.

* PostgreSQL: the stored `Chunk.search` tsvector (heading weighted A, text D; a trigger of
  migration 0002 fills it) with a GIN index. Passages holding more of the question's terms rank
  first, ts_rank orders those holding as many. The count comes from one GIN lookup per term (the
  index alone answers which passages hold a term: no stored vector is read), so ts_rank, which
  must read each vector, runs over the POOL best counts only, not over every passage holding any
  term (thousands in a large corpus). At the cut, passages holding as many terms are taken by id.
  PostgreSQL 15 ships no Polish stemmer and an English one would mangle Polish, so the 'simple'
  configuration (lower case, no stemming, no stop words) serves both languages; the prefix
  terms (`połącz:*`) stand in for stemming.
* SQLite: an FTS5 table over the same columns (`unicode61 remove_diacritics 2`), kept in sync by
  triggers (migration 0002), ranked by bm25.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

CONFIG = "simple"
HEADING_WEIGHT = 4.0  # SQLite: a word of the section's heading counts this many times one of its text
POOL = 100  # PostgreSQL: the passages whose stored vector ts_rank reads, at most (the demo ranks as with 500)
POSTGRES_RANKED = """
WITH held AS (
    SELECT hit.id, count(*) AS terms
    FROM unnest(%(terms)s::text[]) AS term(query)
    CROSS JOIN LATERAL (
        SELECT id FROM knowledge_chunk WHERE search @@ to_tsquery(%(config)s::regconfig, term.query)
    ) AS hit
    GROUP BY hit.id
    ORDER BY terms DESC, hit.id
    LIMIT %(pool)s
)
SELECT chunk.id FROM held JOIN knowledge_chunk AS chunk ON chunk.id = held.id
ORDER BY held.terms DESC,
    ts_rank(chunk.search, to_tsquery(%(config)s::regconfig, array_to_string(%(terms)s::text[], ' | '))) DESC,
    chunk.id
LIMIT %(limit)s
"""


def keyword_ranked(terms: list[str], limit: int) -> list[int]:
    """Chunk ids, best first."""
    if not terms:
        return []
    if connection.vendor == "postgresql":
        params: dict[str, Any] = {
            "terms": [f"{term}:*" for term in terms],
            "config": CONFIG,
            "pool": max(POOL, limit),
            "limit": limit,
        }
        with connection.cursor() as cursor:
            cursor.execute(POSTGRES_RANKED, params)
            return [row[0] for row in cursor.fetchall()]
    if connection.vendor == "sqlite":
        match = " OR ".join('"{}"*'.format(term.replace('"', '""')) for term in terms)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid FROM knowledge_chunk_fts WHERE knowledge_chunk_fts MATCH %s "
                "ORDER BY bm25(knowledge_chunk_fts, %s, 1.0), rowid LIMIT %s",
                [match, HEADING_WEIGHT, limit],
            )
            return [row[0] for row in cursor.fetchall()]
    return []
