"""One reply per burst on the web (issue 27, point 1): the messages a user sends to the assistant
within the quiet window get one AI turn that sees them all; a message that arrives while a turn
generates makes that turn's reply stale (not stored), and the next turn answers both."""

import threading
import time

import pytest
from django.db import connection

from messaging.enums import ReplyState
from messaging.models import Message
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
