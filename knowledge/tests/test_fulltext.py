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


@pytest.mark.postgres
def test_postgres_ranks_passages_holding_more_of_the_words_first(staff_client, settings):
    """ts_rank alone put a passage saying one word often, in its heading too, above one holding
    every word of the question; now the count of words held decides first, ts_rank within it, and
    passages holding only some of the words still fill the list."""
    settings.EMBEDDING_MODEL = ""
    document_create(title="Router manual", text="# Router\n\n" + "The router is a router; router lights. " * 4)
    document_create(title="Reset steps", text="Hold the reset button on the router for ten seconds.")
    document_create(title="Buttons", text="The button on the side dims the lights.")
    document_create(title="Parking", text="Visitors park behind building B.")
    response = staff_client.get("/api/knowledge/search", {"q": "router reset button", "limit": 10})
    assert response.status_code == 200, response.content
    titles = [item["title"] for item in response.json()["items"]]
    assert titles == ["Reset steps", "Router manual", "Buttons"]
