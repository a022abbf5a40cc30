"""Keyword search in the database's own full-text engine; the query is the question's content words
as prefixes (knowledge.words), any of them matching, ranked by the engine.

* PostgreSQL: the stored `Chunk.search` tsvector (heading weighted A, text D; a trigger of
  migration 0002 fills it) with a GIN index, ranked by ts_rank on that column: nothing is parsed at
  search time. PostgreSQL 15 ships no Polish stemmer and an English one would mangle Polish, so the
  'simple' configuration (lower case, no stemming, no stop words) serves both languages; the prefix
  terms (`połącz:*`) stand in for stemming.
* SQLite: an FTS5 table over the same columns (`unicode61 remove_diacritics 2`), kept in sync by
  triggers (migration 0002), ranked by bm25.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F

from knowledge.models import Chunk

CONFIG = "simple"
HEADING_WEIGHT = 4.0  # SQLite: a word of the section's heading counts this many times one of its text


def keyword_ranked(terms: list[str], limit: int) -> list[int]:
    """Chunk ids, best first."""
    if not terms:
        return []
    if connection.vendor == "postgresql":
        query = SearchQuery(" | ".join(f"{term}:*" for term in terms), search_type="raw", config=CONFIG)
        rows = (
            Chunk.objects.filter(search=query)
            .annotate(rank=SearchRank(F("search"), query))
            .order_by("-rank", "id")
            .values_list("id", flat=True)[:limit]
        )
        return list(rows)
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
