"""A task that says which PostgreSQL backend it ran on, for tests that start a real worker with
`--include tests.celery_probe` (test_worker_connections.py). Not a test module: the worker imports it."""

import logging

from celery import shared_task
from django.db import connection

logger = logging.getLogger("celery_probe")


@shared_task(name="tests.probe_backend", ignore_result=True)
def probe_backend(n: int, leave_transaction_open: bool = False) -> None:
    with connection.cursor() as cursor:
        # The transaction id assigned so far: a task must start with none, whatever the last one left.
        cursor.execute(
            "SELECT pg_backend_pid(), (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()),"
            " pg_current_xact_id_if_assigned()"
        )
        pid, started, open_xact = cursor.fetchone()
        logger.warning("probe %s backend=%s started=%s open_xact=%s", n, pid, started.isoformat(), open_xact)
        if leave_transaction_open:
            connection.set_autocommit(False)
            cursor.execute("SELECT pg_current_xact_id()")  # a transaction this task never ends
