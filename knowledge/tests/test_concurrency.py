"""Two staff members add the first two documents of an empty knowledge base at the same moment: both
documents land and the version counter counts both changes (else a process that loaded its vectors
between the two commits would keep missing the second document's passages)."""

import threading
from contextlib import nullcontext
from functools import partial

import pytest
from django.db import connection

from knowledge.models import Document, KnowledgeVersion
from tests.helpers import at_once, client_for

VERSION_TABLE = KnowledgeVersion._meta.db_table


@pytest.mark.django_db(transaction=True)
def test_two_first_documents_at_once_both_land_and_each_raises_the_version(superuser):
    assert not KnowledgeVersion.objects.exists()
    clients = [client_for(superuser), client_for(superuser)]
    # PostgreSQL: both requests meet again just before their first statement on the version row,
    # each in its own open transaction, so neither has created the row yet (the race, every time).
    # SQLite takes its write lock at BEGIN (IMMEDIATE), so there they race from the request's start
    # (`at_once`) and queue.
    at_version = connection.vendor == "postgresql"
    barrier = threading.Barrier(len(clients), timeout=20)
    local = threading.local()

    def meet_before_the_version(execute, sql, params, many, context):
        if VERSION_TABLE in sql and not getattr(local, "met", False):
            local.met = True
            barrier.wait()
        return execute(sql, params, many, context)

    def add(client, number: int) -> int:
        with connection.execute_wrapper(meet_before_the_version) if at_version else nullcontext():
            response = client.post(
                "/api/knowledge/documents",
                {"title": f"Doc {number}", "text": f"Text number {number}."},
                format="json",
            )
        return response.status_code

    statuses = at_once([partial(add, client, number) for number, client in enumerate(clients)])

    assert statuses == [201, 201]
    assert sorted(Document.objects.values_list("title", flat=True)) == ["Doc 0", "Doc 1"]
    assert list(KnowledgeVersion.objects.values_list("version", flat=True)) == [2]
