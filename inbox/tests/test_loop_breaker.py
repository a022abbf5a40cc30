"""The loop breaker (issue 27, point 2): too many messages from one contact in a window, or the same
text again and again (another auto-responder answering ours), stops automatic replies, hands the
conversation to staff with the reason "loop", and staff hand it back."""

import pytest

from messaging.enums import ConversationMode, ReplyState
from messaging.models import Conversation, Message, ModeChange

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html"}


@pytest.fixture
def limits(settings):
    settings.AUTO_REPLY_LIMIT_PER_CONTACT = 4
    settings.AUTO_REPLY_LIMIT_WINDOW_S = 600
    settings.LOOP_REPEAT_LIMIT = 3
    return settings


def states(address: str = "chat-1") -> list[str]:
    rows = Message.objects.filter(direction="inbound", participant_number=address).order_by("id")
    return list(rows.values_list("reply_state", flat=True))


def test_the_same_text_three_times_in_a_row_stops_the_replies(limits, deliver, recorded, staff_client):
    deliver("I am out of the office", address="bot-1")
    deliver("Hello", address="bot-1")  # a different text in between: the count starts again
    deliver("I am out of the office.", address="bot-1")
    deliver("i am out of the office.", address="bot-1")
    assert len(recorded.sent) == 4
    deliver("I am  out of the office.", address="bot-1")  # third in a row (case and spaces aside)
    deliver("I am out of the office.", address="bot-1")

    assert len(recorded.sent) == 4
    assert states("bot-1") == [ReplyState.DONE] * 4 + [ReplyState.SKIPPED] * 2
    assert Conversation.objects.get(key="test:bot-1").mode == ConversationMode.HUMAN
    assert list(ModeChange.objects.values_list("mode", "reason")) == [("human", "loop")]
    html = staff_client.get("/?tab=handoff", **HTML).content.decode()
    assert 'href="/chat/test:bot-1"' in html
    assert 'data-reason="loop"' in html and "Loop or flood of messages" in html


def test_more_than_n_messages_in_the_window_stop_the_replies(limits, deliver, recorded):
    for number in range(6):
        deliver(f"message {number}", address="chat-2")

    assert len(recorded.sent) == 4
    assert states("chat-2") == [ReplyState.DONE] * 4 + [ReplyState.SKIPPED] * 2
    assert Conversation.objects.get(key="test:chat-2").mode == ConversationMode.HUMAN
    assert ModeChange.objects.get().reason == "loop"


def test_staff_hand_the_conversation_back_and_replies_start_again(limits, deliver, recorded, staff_client):
    for _ in range(3):
        deliver("ping", address="bot-1")
    assert Conversation.objects.get(key="test:bot-1").mode == ConversationMode.HUMAN
    recorded.reset()

    response = staff_client.post("/chat/test:bot-1/mode", {"mode": "ai"})
    assert response.status_code == 302
    deliver("ping", address="bot-1")  # the count starts again at the switch back

    assert [message.content for message in recorded.sent] == ["Echo: ping"]
    assert Conversation.objects.get(key="test:bot-1").mode == ConversationMode.AI
    changes = list(ModeChange.objects.order_by("id").values_list("mode", "reason"))
    assert changes == [("human", "loop"), ("ai", "staff")]


def test_a_repeat_limit_of_zero_turns_the_repeat_check_off(limits, deliver, recorded):
    limits.LOOP_REPEAT_LIMIT = 0
    for _ in range(4):
        deliver("same", address="chat-3")
    assert len(recorded.sent) == 4
    assert Conversation.objects.get(key="test:chat-3").mode == ConversationMode.AI
