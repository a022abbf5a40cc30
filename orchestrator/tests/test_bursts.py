"""One reply per burst on the web (issue 27, point 1): the messages a user sends to the assistant
within the quiet window get one AI turn that sees them all; a message that arrives while a turn
generates makes that turn's reply stale (not stored), and the next turn answers both."""

import threading
import time

import pytest
from celery.exceptions import Retry
from django.db import connection

from messaging.enums import ReplyState
from messaging.models import Message
from orchestrator.tasks import process_ai_message
from orchestrator.tests.helpers import bot_replies

pytestmark = pytest.mark.django_db

FIVE = ["hi", "my router", "is broken", "again", "since Monday"]


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """A user's message to the assistant over the API; its turn is queued as on commit."""

    def send(client, text: str) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/messages", {"recipient_id": -1, "content": text}, format="json")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    return send


def user_turns(request: dict) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "user"]


def test_five_messages_within_the_window_get_one_reply_that_saw_all_five(
    auth_client, user, fake_llm, queued_turns, settings, post
):
    settings.AI_BURST_WINDOW_WEB_S = 2
    fake_llm.set_default_reply("Let me help with the router.")
    ids = [post(auth_client, text) for text in FIVE]

    assert [countdown for _, countdown in queued_turns.queue] == [2.0] * 5  # each waits out the window
    queued_turns.run_all()

    replies = bot_replies(user)
    assert [reply.content for reply in replies] == ["Let me help with the router."]
    assert replies[0].in_reply_to_id == ids[-1]
    assert len(fake_llm.requests) == 1
    assert user_turns(fake_llm.requests[0]) == FIVE
    states = Message.objects.filter(pk__in=ids).values_list("reply_state", flat=True)
    assert list(states) == [ReplyState.DONE] * 5
    history = auth_client.get("/messages/history").json()
    assert [turn["role"] for turn in history["history"]] == ["user"] * 5 + ["assistant"]


def test_a_window_of_zero_answers_each_message(auth_client, user, fake_llm, queued_turns, settings, post):
    settings.AI_BURST_WINDOW_WEB_S = 0
    fake_llm.set_default_reply("ok")
    for text in FIVE[:3]:
        post(auth_client, text)

    assert [countdown for _, countdown in queued_turns.queue] == [None] * 3
    queued_turns.run_all()

    assert len(bot_replies(user)) == 3
    assert len(fake_llm.requests) == 3
    assert user_turns(fake_llm.requests[0]) == ["hi"]


@pytest.mark.django_db(transaction=True)
def test_a_message_during_a_slow_turn_makes_its_reply_stale_and_one_reply_covers_both(
    auth_client, user, fake_llm, queued_turns, settings, post
):
    settings.AI_BURST_WINDOW_WEB_S = 2
    fake_llm.reply("an answer to the first only", delay=1.0)
    fake_llm.reply("an answer to both")
    first = post(auth_client, "my router is broken")

    def worker() -> None:
        queued_turns.run_next()  # the first message's turn, slow at the LLM
        connection.close()

    turn = threading.Thread(target=worker)
    turn.start()
    deadline = time.monotonic() + 5
    while not fake_llm.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(fake_llm.requests) == 1  # the first turn is generating
    second = post(auth_client, "it blinks red")
    turn.join()

    assert bot_replies(user) == []  # stale: never stored nor shown
    assert Message.objects.get(pk=first).reply_state == ReplyState.PENDING  # waits for the next turn
    queued_turns.run_all()

    replies = bot_replies(user)
    assert [reply.content for reply in replies] == ["an answer to both"]
    assert replies[0].in_reply_to_id == second
    assert user_turns(fake_llm.requests[-1]) == ["my router is broken", "it blinks red"]
    states = Message.objects.filter(pk__in=[first, second]).values_list("reply_state", flat=True)
    assert list(states) == [ReplyState.DONE] * 2


@pytest.mark.django_db(transaction=True)
def test_an_older_turn_claiming_its_message_during_the_newer_turns_claim_still_ends_with_one_reply(
    auth_client, user, fake_llm, queued_turns, settings, post, monkeypatch
):
    """The interleaving forced step by step: the older message's task finds no newer message, the
    newer one arrives and its task claims it and takes the lease; the older task then claims its
    message just as the newer turn gathers its burst (so the burst misses it), finds the lease
    busy and gives its message back. One reply still covers both."""
    from orchestrator.services import claims, turns

    settings.AI_BURST_WINDOW_WEB_S = 2
    fake_llm.set_default_reply("one answer")
    first = post(auth_client, "my router is broken")
    stalled, checked, gathered = threading.Event(), threading.Event(), threading.Event()
    real_newer, real_gather, real_lease = turns.burst_newer_waiting, claims.burst_earlier_pending, turns.lease_acquire
    older = threading.current_thread()  # replaced by the older task's thread below

    def newer_waiting(message):
        found = real_newer(message)
        if threading.current_thread() is older and not checked.is_set():
            stalled.set()
            checked.wait(5)  # the older task stalls after its check: the newer message arrives now
        return found

    def gather(message):
        if threading.current_thread() is older or gathered.is_set():
            return real_gather(message)
        checked.set()  # the older task goes on and claims its message
        deadline = time.monotonic() + 5
        while Message.objects.get(pk=first).reply_state != ReplyState.PROCESSING and time.monotonic() < deadline:
            time.sleep(0.01)
        found = real_gather(message)
        gathered.set()
        worker.join(5)  # the older task met the busy lease and gave its message back
        return found

    def lease(*, conversation_id):
        if threading.current_thread() is older:
            gathered.wait(5)
        return real_lease(conversation_id=conversation_id)

    monkeypatch.setattr(turns, "burst_newer_waiting", newer_waiting)
    monkeypatch.setattr(claims, "burst_earlier_pending", gather)
    monkeypatch.setattr(turns, "lease_acquire", lease)

    retried: list[int] = []

    def run(message_id: int) -> None:
        """A task as a worker runs it; a retry is noted, delivered again below as the broker would."""
        try:
            process_ai_message.delay(message_id)
        except Retry:
            retried.append(message_id)

    def run_older() -> None:
        try:
            run(first)
        finally:
            connection.close()

    queued_turns.queue.clear()
    worker = threading.Thread(target=run_older)
    older = worker
    worker.start()
    assert stalled.wait(5)
    second = post(auth_client, "it blinks red")
    run(second)
    worker.join(5)
    while retried:
        run(retried.pop(0))

    replies = bot_replies(user)
    assert [reply.content for reply in replies] == ["one answer"]
    assert replies[0].in_reply_to_id == second
    states = Message.objects.filter(pk__in=[first, second]).values_list("reply_state", flat=True)
    assert list(states) == [ReplyState.DONE] * 2
