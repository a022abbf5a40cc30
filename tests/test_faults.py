"""Fault tests on a stack of the test's own: a redis-server (broker and cache), real Celery worker
and beat processes, and the loopback LLM, each broken while messages flow, never the machine's
services. The workers share the session's PostgreSQL test database, so these tests run in the
PostgreSQL pass of `.ci/run` (CONTRACT §8.2: nothing lost, nothing answered twice)."""

from __future__ import annotations

import logging
import time

import pytest

from messaging.enums import ReplyState
from messaging.models import Message
from orchestrator.services.turns import FALLBACK_TEXT
from tests.fakes.llm_server import FakeLLMServer
from tests.helpers import capturing, client_for
from tests.processes import CeleryProcess, ProjectCeleryApp, free_port, shared_database_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

WORKER_READY = "ready."


@pytest.fixture(scope="module")
def redis_server(module_redis_server):
    return module_redis_server


@pytest.fixture(scope="module")
def llm_port() -> int:
    return free_port()


@pytest.fixture
def llm(llm_port):
    """The loopback LLM on a fixed port, so a test can stop it and bring it back where the workers
    expect it."""
    holder = {"server": FakeLLMServer(port=llm_port).start()}

    def restart() -> FakeLLMServer:
        holder["server"] = FakeLLMServer(port=llm_port).start()
        return holder["server"]

    holder["restart"] = restart
    yield holder
    holder["server"].stop()


@pytest.fixture(scope="module")
def stack_env(django_db_setup, django_db_blocker, redis_server, llm_port) -> dict[str, str]:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the workers share the test database (the DATABASE_URL=postgres://… pass)")
    with django_db_blocker.unblock():
        database_url = shared_database_url()
    return {
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_server.url(0),
        "REDIS_URL": redis_server.url(1),
        "LITELLM_BASEURL": f"http://127.0.0.1:{llm_port}",
        "LITELLM_API_KEY": "sk-fake-llm-placeholder",
        "LITELLM_MODEL": "gpt-3.5-turbo-1106",
        "DJANGO_SECRET_KEY": "fault-test-secret-key-0123456789abcdef0123456789",
        "JWT_SIGNING_KEY": "",
    }


@pytest.fixture
def start(stack_env, tmp_path):
    """Starts a worker or beat for this test; all of them are stopped after it."""
    processes: list[CeleryProcess] = []

    def start_process(kind: str, name: str = "", queues: str = "ai,default") -> CeleryProcess:
        if kind == "worker":
            worker = CeleryProcess.worker(name, env=stack_env, log_dir=tmp_path, queues=queues)
            process = worker.start(ready=WORKER_READY)
        else:
            process = CeleryProcess.beat(env=stack_env, log_dir=tmp_path).start(ready="beat: Starting")
        processes.append(process)
        return process

    yield start_process
    for process in processes:
        process.stop()


@pytest.fixture
def app_sends_to(redis_server, settings):
    """The test process enqueues to the stack's broker, with the project's Redis transport options."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS if settings.CELERY_BROKER_URL.startswith("redis") else {}
    with ProjectCeleryApp(redis_server.url(0), transport_options=options) as app:
        yield app


def _wait_for(predicate, *, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def _replies(message_id: int) -> list[Message]:
    return list(Message.objects.filter(in_reply_to_id=message_id, sender_id=-1))


def test_a_worker_killed_mid_turn_is_replaced_and_the_message_answered_once_within_a_minute(
    user, llm, start, app_sends_to
):
    server = llm["server"]
    server.reply("lost with the worker", delay=120)
    server.reply("the answer")
    doomed = start("worker", "doomed")
    start("beat")
    client = client_for(user)

    message_id = client.post("/messages", {"recipient_id": -1, "content": "hello"}, format="json").json()["id"]
    assert _wait_for(lambda: len(server.requests) == 1, timeout=20), doomed.output()[-3000:]
    start("worker", "survivor")  # the replacement a supervisor starts
    killed_at = time.monotonic()
    doomed.kill()

    replies = _wait_for(lambda: _replies(message_id), timeout=60, interval=0.5)
    recovered_in = time.monotonic() - killed_at

    assert [reply.content for reply in replies] == ["the answer"], f"after {recovered_in:.0f}s"
    assert recovered_in < 60
    time.sleep(1)
    assert len(_replies(message_id)) == 1
    assert Message.objects.get(pk=message_id).reply_state == ReplyState.DONE


def test_with_the_llm_down_the_user_sees_the_failure_within_5s_and_the_next_message_is_answered(
    user, llm, start, app_sends_to
):
    start("worker", "ai")
    client = client_for(user)
    llm["server"].stop()  # connections refused from now on

    sent_at = time.monotonic()
    client.post("/messages", {"recipient_id": -1, "content": "are you there?"}, format="json")
    history = _wait_for(
        lambda: [t for t in client.get("/messages/history").json()["history"] if t["failed"]], timeout=10
    )
    failed_after = time.monotonic() - sent_at

    assert history == [{"role": "assistant", "content": FALLBACK_TEXT, "failed": True}]
    assert failed_after < 5

    server = llm["restart"]()
    server.reply("I am back")
    second = client.post("/messages", {"recipient_id": -1, "content": "and now?"}, format="json").json()["id"]
    replies = _wait_for(lambda: _replies(second), timeout=20)
    assert [reply.content for reply in replies] == ["I am back"]
    assert client.get("/messages/history").json()["history"][-1] == {
        "role": "assistant",
        "content": "I am back",
        "failed": False,
    }


def test_messages_to_the_bot_sent_while_the_broker_is_down_are_answered_once_it_is_back(
    user, llm, redis_server, start, app_sends_to, caplog
):
    llm["server"].set_default_reply("answered after the outage")
    start("worker", "ai")
    start("beat")
    client = client_for(user)
    redis_server.stop()

    with capturing(caplog, "messages", level=logging.WARNING):
        posted_at = time.monotonic()
        response = client.post("/messages", {"recipient_id": -1, "content": "anyone?"}, format="json")
        post_took = time.monotonic() - posted_at
    assert response.status_code == 201  # stored; the turn could not be queued
    assert post_took < 2  # a refused broker does not hold the request
    queued = [r for r in caplog.records if "Could not queue" in r.getMessage()]
    assert [(r.levelname, r.exc_info) for r in queued] == [("WARNING", None)]
    assert str(response.json()["id"]) in queued[0].getMessage()
    message = Message.objects.get(pk=response.json()["id"])
    assert message.reply_state == ReplyState.PENDING

    redis_server.start()
    replies = _wait_for(lambda: _replies(message.pk), timeout=90, interval=0.5)
    assert [reply.content for reply in replies] == ["answered after the outage"]
    time.sleep(1)
    assert len(_replies(message.pk)) == 1


@pytest.fixture
def twilio_stack(stack_env, fake_twilio, settings):
    """The workers and this process send to the loopback Twilio."""
    twilio = {
        "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
        "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
        "TWILIO_DEFAULT_FROM": "+15550001111",
        "TWILIO_API_BASE_URL": fake_twilio.url,
        "TWILIO_HTTP_TIMEOUT_S": "10",
        "PUBLIC_BASE_URL": "https://messaging.example.com",
    }
    stack_env.update(twilio)
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = fake_twilio.account_sid, fake_twilio.auth_token
    settings.TWILIO_DEFAULT_FROM, settings.TWILIO_API_BASE_URL = "+15550001111", fake_twilio.url
    yield fake_twilio
    for name in twilio:
        stack_env.pop(name)


def test_a_sends_worker_killed_mid_send_is_recovered_within_a_minute_with_one_send(twilio_stack, start, app_sends_to):
    from twilio_channel.models import OutboundSend
    from twilio_channel.services.outbound import outbound_queue

    to = "+48500600700"
    # Twilio takes the message at once, but the answer never comes back to the doomed worker.
    twilio_stack.timeout(seconds=120, process=True, operation="create")
    doomed = start("worker", "doomed-sends", queues="default,sends")
    start("beat")
    message = outbound_queue(to=to, body="Your code is 1234")
    assert _wait_for(lambda: twilio_stack.calls("create"), timeout=20), doomed.output()[-3000:]
    start("worker", "survivor", queues="default,sends")
    killed_at = time.monotonic()
    doomed.kill()

    sent = _wait_for(
        lambda: Message.objects.filter(pk=message.pk, external_id__isnull=False).first(), timeout=60, interval=0.5
    )
    recovered_in = time.monotonic() - killed_at

    assert sent is not None, f"not recovered after {recovered_in:.0f}s"
    assert recovered_in < 60
    assert [m["sid"] for m in twilio_stack.created(to=to)] == [sent.twilio_sid]  # reconciled, not sent again
    assert OutboundSend.objects.get(message=message).state == "sent"
