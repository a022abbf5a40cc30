"""A database blip never loses an inbound message (CONTRACT §8.2): the pool hands out only live
connections, the webhook stores once more on a new connection when its own died under it, and a
webhook that still cannot store answers 503 (Twilio's connection overrides retry it; the inbound
reconcile finds it otherwise), never a 500. On PostgreSQL, whose backends are terminated for real."""

from __future__ import annotations

import logging
import threading

import psycopg
import pytest
from django.db import connection

from messaging.models import Message
from tests.helpers import capturing
from tests.processes import shared_database_url
from twilio_channel.views import EMPTY_TWIML

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

STRANGER = "+48987654321"
FORM = {"From": STRANGER, "To": "+15550001111", "Body": "Still there?", "MessageSid": "SM" + "d" * 32}


TERMINATE_WAIT_MS = 10_000  # PostgreSQL 14+: pg_terminate_backend(pid, timeout) waits for the exit


def terminate_other_backends() -> int:
    """What `pg_terminate_backend` sweeps during a failover or an operator's cleanup do: every other
    connection to this database dies, this process's pooled and in-use ones included. Each call
    waits until its backend has exited (TERMINATE_WAIT_MS): a backend only told to stop can still
    answer for a moment."""
    with psycopg.connect(shared_database_url(), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid, %s) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()",
            [TERMINATE_WAIT_MS],
        ).fetchall()
    return len(rows)


@pytest.fixture
def deliver(twilio_post, fake_twilio, settings):
    settings.CHAT_MODE = "off"  # no reply: only the store matters here
    return lambda: twilio_post("/twilio/inbound", FORM)


def test_a_connection_killed_under_the_webhook_is_replaced_and_the_message_stored(deliver, caplog):
    Message.objects.exists()  # this thread holds a live connection, as a web thread between statements
    assert terminate_other_backends() >= 1

    with capturing(caplog, "twilio_webhook", level=logging.WARNING):
        response = deliver()

    assert (response.status_code, response.content.decode()) == (200, EMPTY_TWIML)
    assert Message.objects.filter(external_id=FORM["MessageSid"]).count() == 1
    assert "once more on a new connection" in caplog.text


def test_the_pool_hands_out_no_dead_connection(deliver, caplog):
    connection.close()  # back to the pool, idle, as between two requests
    assert terminate_other_backends() >= 1

    with capturing(caplog, "twilio_webhook", level=logging.WARNING):
        response = deliver()

    assert response.status_code == 200
    assert Message.objects.filter(external_id=FORM["MessageSid"]).count() == 1
    assert "once more" not in caplog.text  # the pool's check replaced it before the webhook saw it


@pytest.fixture
def short_pool_timeout():
    """A pool that gives up waiting for a connection after a second, not its usual 30."""
    pool_options = connection.settings_dict["OPTIONS"]["pool"]
    saved_timeout = pool_options["timeout"]
    connection.close()
    connection.close_pool()
    pool_options["timeout"] = 1
    try:
        yield
    finally:
        pool_options["timeout"] = saved_timeout
        connection.close()
        connection.close_pool()


def leave_idle_connections_in_the_pool(count: int) -> set[int]:
    """`count` threads each hold a pooled connection at the same moment, then hand it back: the pool
    keeps them all, idle, as a busy web process's pool does between bursts. Their backends' pids."""
    all_holding = threading.Barrier(count)
    pids: set[int] = set()

    def hold_one():
        Message.objects.exists()
        pids.add(connection.connection.info.backend_pid)
        all_holding.wait(timeout=10)
        connection.close()

    threads = [threading.Thread(target=hold_one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    connection.close()
    assert len(pids) == count and connection.pool.get_stats()["pool_available"] >= count
    return pids


def live_backends(pids: set[int]) -> set[int]:
    with psycopg.connect(shared_database_url(), autocommit=True) as admin:
        rows = admin.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)]).fetchall()
    return {pid for (pid,) in rows}


def test_a_failover_that_ends_every_idle_connection_costs_one_new_connection(deliver, short_pool_timeout, caplog):
    """Every idle connection dies at once; the next webhook is served at once, not after psycopg_pool's
    per-dead-connection backoff (1 s, 2 s, 4 s... past the pool's timeout: a 503)."""
    pooled = leave_idle_connections_in_the_pool(6)
    terminate_other_backends()
    assert not live_backends(pooled)

    with capturing(caplog, "twilio_webhook", level=logging.WARNING):
        response = deliver()

    assert response.status_code == 200
    assert Message.objects.filter(external_id=FORM["MessageSid"]).count() == 1
    assert "once more" not in caplog.text


@pytest.fixture
def database_refusing_connections():
    """The database stops taking connections (a failover in progress) and the one this thread
    holds dies: the store fails, and so does its second try. The pool gives up waiting for a new
    connection after a second here, not its usual 30."""
    name = connection.settings_dict["NAME"]
    pool_options = connection.settings_dict["OPTIONS"]["pool"]
    saved_timeout = pool_options["timeout"]
    connection.close()
    connection.close_pool()
    pool_options["timeout"] = 1
    Message.objects.exists()  # a live connection from a pool with that timeout
    maintenance = shared_database_url().rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid, %s) FROM pg_stat_activity WHERE datname = %s", [TERMINATE_WAIT_MS, name]
        )
    try:
        yield
    finally:
        with psycopg.connect(maintenance, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        pool_options["timeout"] = saved_timeout
        connection.close()
        connection.close_pool()


def test_a_webhook_that_cannot_store_answers_503_with_retry_after(deliver, database_refusing_connections, caplog):

    with capturing(caplog, "twilio_webhook", level=logging.WARNING):
        response = deliver()

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert (response["Content-Type"], response.content.decode()) == ("text/xml", EMPTY_TWIML)
    assert "answered 503" in caplog.text
    assert STRANGER not in caplog.text
