"""The async AI reply through a real Celery worker (STYLE §2.2 point 8): the memory broker locally,
the CI Redis when CELERY_BROKER_URL points at one. One worker serves the whole module (starting and
stopping one costs seconds)."""

import time

import pytest
from django.db import OperationalError

from messaging.models import Message
from tests.helpers import client_for
from tests.processes import in_process_worker


@pytest.fixture(scope="module")
def celery_worker_app():
    """The project's Celery app, not eager, consumed by an in-process worker thread."""
    with in_process_worker(["ai", "default"]) as app:
        yield app


def _wait_for_reply(message_id: int, timeout: float = 20) -> Message:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            reply = Message.objects.filter(in_reply_to_id=message_id).first()
        except OperationalError:  # SQLite's shared in-memory test DB: a concurrent writer holds the lock
            reply = None
        if reply is not None:
            return reply
        time.sleep(0.05)
    raise AssertionError(f"no AI reply to message {message_id} within {timeout}s")


@pytest.mark.django_db(transaction=True)
def test_the_reply_comes_from_a_real_celery_worker(user, fake_llm, celery_worker_app):
    fake_llm.reply("from the worker")
    client = client_for(user)

    response = client.post("/messages", {"recipient_id": -1, "content": "hi worker"}, format="json")

    assert response.status_code == 201
    reply = _wait_for_reply(response.json()["id"])
    assert reply.content == "from the worker"
    assert fake_llm.requests[-1]["messages"][-1] == {"role": "user", "content": "hi worker"}


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_answers_two_quick_messages_in_order(user, fake_llm, celery_worker_app):
    """The second message waits for the lease and sees the first exchange (§8.2, §9.4 point 2)."""
    fake_llm.reply("first answer", delay=0.3)
    fake_llm.reply("second answer")
    client = client_for(user)

    first = client.post("/messages", {"recipient_id": -1, "content": "one"}, format="json").json()
    time.sleep(0.1)  # the first turn is running and holds the lease
    second = client.post("/messages", {"recipient_id": -1, "content": "two"}, format="json").json()

    assert _wait_for_reply(first["id"]).content == "first answer"
    assert _wait_for_reply(second["id"], timeout=30).content == "second answer"
    assert {"role": "assistant", "content": "first answer"} in fake_llm.requests[-1]["messages"]
