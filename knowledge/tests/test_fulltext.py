"""The database's own full-text engine does the keyword search: PostgreSQL through the GIN index on
the 'simple' tsvector, SQLite through the FTS5 table its triggers keep in sync."""

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection, transaction

from knowledge.keyword import keyword_ranked
from knowledge.models import Chunk
from knowledge.services import document_create, document_replace

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
def test_postgres_keyword_search_uses_the_gin_index():
    document_create(title="Router", text="Hold the reset button.")
    query = Chunk.objects.filter(search=SearchQuery("reset:*", search_type="raw", config="simple"))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "knowledge_chunk_search_idx" in plan


def test_the_index_follows_replaced_and_deleted_passages():
    document = document_create(title="Router", text="Hold the reset button.")
    assert keyword_ranked(["reset"], 10) == list(document.chunks.values_list("id", flat=True))
    document_replace(document=document, title="Router", text="Unplug it for a minute.", source="", language="")
    assert keyword_ranked(["reset"], 10) == []
    assert keyword_ranked(["unplug"], 10) == list(document.chunks.values_list("id", flat=True))
    Chunk.objects.all().update(text="Completely different words.")
    assert keyword_ranked(["unplug"], 10) == [] and len(keyword_ranked(["differ"], 10)) == 1
