"""One answer per burst from the inbox itself (issue 27, point 1): with the auto-reply (or the chat
engine) answering, the messages of a burst get one reply; a window of 0 answers every message."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.inbound import InboundMessage
from inbox.models import AutoReplyConfig
from inbox.services.receive import receive
from inbox.tasks import sweep_unanswered_inbound
from messaging.enums import ConversationMode, ReplyState
from messaging.models import Message
from orchestrator.handoff import HANDOFF_ACK

pytestmark = pytest.mark.django_db

BURST = ["hi", "my router", "is broken again"]


@pytest.fixture
def burst(django_capture_on_commit_callbacks, settings):
    """Messages of the test channel received together; their queued answers run once all are
    stored (as their countdown of the window lets them), the sends they queue included."""
    settings.UNKNOWN_CONTACT_REPLY = "chat"
    settings.CHAT_MODE = "echo"
    ids = iter(range(1, 10_000))

    def receive_all(texts: list[str], *, address: str = "chat-1") -> None:
        with django_capture_on_commit_callbacks() as queued:
            for text in texts:
                receive(InboundMessage(channel="test", external_id=f"u{next(ids)}", address=address, text=text))
        with django_capture_on_commit_callbacks(execute=True):
            for task in queued:
                task()

    return receive_all


def inbound_states() -> list[str]:
    return list(Message.objects.filter(direction="inbound").order_by("id").values_list("reply_state", flat=True))


def test_an_auto_reply_answers_a_burst_once(burst, recorded, settings):
    settings.AI_BURST_WINDOW_S = 2
    AutoReplyConfig.objects.create(pk=1, enabled=True, message="We are closed today.")

    burst(BURST)

    assert [message.content for message in recorded.sent] == ["We are closed today."]
    assert inbound_states() == [ReplyState.DONE] * 3


def test_the_chat_engine_hears_the_whole_burst(burst, recorded, settings):
    settings.AI_BURST_WINDOWS = {"test": 1}

    burst(["one", "two"])

    assert [message.content for message in recorded.sent] == ["Echo: one\ntwo"]


def test_a_window_of_zero_answers_every_message(burst, recorded, settings):
    settings.AI_BURST_WINDOW_S = 0
    AutoReplyConfig.objects.create(pk=1, enabled=True, message="We are closed today.")

    burst(BURST)

    assert [message.content for message in recorded.sent] == ["We are closed today."] * 3


def test_a_burst_left_processing_by_a_dead_worker_gets_one_answer(
    burst, recorded, settings, django_capture_on_commit_callbacks
):
    settings.AI_BURST_WINDOW_S = 2
    AutoReplyConfig.objects.create(pk=1, enabled=True, message="We are closed today.")
    with django_capture_on_commit_callbacks():  # stored; the worker that took the burst died
        for number, text in enumerate(BURST):
            receive(InboundMessage(channel="test", external_id=f"d{number}", address="chat-2", text=text))
    past = timezone.now() - timedelta(minutes=5)
    Message.objects.filter(direction="inbound").update(reply_state=ReplyState.PROCESSING, updated_at=past)

    with django_capture_on_commit_callbacks(execute=True):
        sweep_unanswered_inbound.delay()

    assert [message.content for message in recorded.sent] == ["We are closed today."]
    assert inbound_states() == [ReplyState.DONE] * 3


# A mode switch word or an opt-out word inside a burst works as on a message of its own.


def sent_text(recorded) -> str:
    """The one reply sent, its parts joined (the test channel splits a long text)."""
    return " ".join(re.sub(r"^\(\d+/\d+\) ", "", message.content) for message in recorded.sent)


def conversation_mode() -> str:
    return Message.objects.filter(direction="inbound").select_related("conversation").first().conversation.mode


def test_human_then_a_question_in_one_burst_hands_over_and_the_question_gets_no_ai_answer(burst, recorded, settings):
    settings.AI_BURST_WINDOW_S = 2

    burst(["human", "my router is broken"])

    assert sent_text(recorded) == HANDOFF_ACK
    assert conversation_mode() == ConversationMode.HUMAN
    assert inbound_states() == [ReplyState.DONE, ReplyState.SKIPPED]  # staff answer the question


def test_a_question_then_human_in_one_burst_hands_over(burst, recorded, settings):
    settings.AI_BURST_WINDOW_S = 2

    burst(["my router is broken", "human"])

    assert sent_text(recorded) == HANDOFF_ACK
    assert conversation_mode() == ConversationMode.HUMAN
    assert inbound_states() == [ReplyState.DONE] * 2


def test_bot_then_a_question_in_human_mode_gets_the_question_answered(burst, recorded, settings):
    settings.AI_BURST_WINDOW_S = 2
    burst(["human"])
    recorded.reset()

    burst(["bot", "is it fixed?"])

    assert [message.content for message in recorded.sent] == ["Echo: is it fixed?"]
    assert conversation_mode() == ConversationMode.AI
    assert inbound_states() == [ReplyState.DONE] * 3


def test_nothing_is_sent_after_a_stop_in_the_burst(burst, recorded, settings):
    settings.AI_BURST_WINDOW_S = 2

    burst(["my router is broken", "/stop"])

    assert recorded.sent == []
    assert not Message.objects.filter(direction="outbound").exists()
    assert inbound_states()[0] == ReplyState.SKIPPED
