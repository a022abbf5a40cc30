"""Two staff members add the first two documents of an empty knowledge base at the same moment: both
documents land and the version counter counts both changes (else a process that loaded its vectors
between the two commits would keep missing the second document's passages)."""

import threading
from contextlib import nullcontext

import pytest
from django.db import connection

from knowledge.models import Document, KnowledgeVersion
from tests.helpers import client_for

VERSION_TABLE = KnowledgeVersion._meta.db_table


@pytest.mark.django_db(transaction=True)
def test_two_first_documents_at_once_both_land_and_each_raises_the_version(superuser):
    assert not KnowledgeVersion.objects.exists()
    clients = [client_for(superuser), client_for(superuser)]
    # PostgreSQL: both requests meet just before their first statement on the version row, each in
    # its own open transaction, so neither has created the row yet (the race, every time). SQLite
    # takes its write lock at BEGIN (IMMEDIATE), so there they meet before the request and queue.
    at_version = connection.vendor == "postgresql"
    barrier = threading.Barrier(len(clients), timeout=20)
    local = threading.local()
    statuses: list[int] = []

    def meet_before_the_version(execute, sql, params, many, context):
        if VERSION_TABLE in sql and not getattr(local, "met", False):
            local.met = True
            barrier.wait()
        return execute(sql, params, many, context)

    def add(client, number: int) -> None:
        try:
            if not at_version:
                barrier.wait()
            with connection.execute_wrapper(meet_before_the_version) if at_version else nullcontext():
                response = client.post(
                    "/api/knowledge/documents",
                    {"title": f"Doc {number}", "text": f"Text number {number}."},
                    format="json",
                )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(client, n)) for n, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)

    assert statuses == [201, 201]
    assert sorted(Document.objects.values_list("title", flat=True)) == ["Doc 0", "Doc 1"]
    assert list(KnowledgeVersion.objects.values_list("version", flat=True)) == [2]
