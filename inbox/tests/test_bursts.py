"""One answer per burst from the inbox itself (issue 27, point 1): with the auto-reply (or the chat
engine) answering, the messages of a burst get one reply; a window of 0 answers every message."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inbox.inbound import InboundMessage
from inbox.models import AutoReplyConfig
from inbox.services import receive as receive_module
from inbox.services.receive import receive
from inbox.tasks import answer_inbound, sweep_unanswered_inbound
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


@pytest.mark.django_db(transaction=True)
def test_an_older_answer_still_being_worked_out_when_the_newer_one_runs_gives_one_reply(
    recorded, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The interleaving forced with a thread: the older message's task claims it and is slow to
    work its answer out; the newer message arrives and its task runs meanwhile. One reply (the
    newer task's, run again a window later) still covers both."""
    from inbox.services import answer

    settings.AI_BURST_WINDOW_S = 2
    settings.UNKNOWN_CONTACT_REPLY = "chat"
    settings.CHAT_MODE = "echo"
    working, newer_done = threading.Event(), threading.Event()
    real_text = answer._answer_text

    def slow_text(message, *, burst):
        if message.content == "my router":
            working.set()
            newer_done.wait(5)
        return real_text(message, burst=burst)

    monkeypatch.setattr(answer, "_answer_text", slow_text)

    queued: list[int] = []  # the answer tasks queued, held as a broker holds them for their countdown
    monkeypatch.setattr(
        receive_module, "enqueue_on_commit", lambda task, message_id, **options: queued.append(message_id)
    )
    monkeypatch.setattr(answer, "enqueue_on_commit", lambda task, message_id, **options: queued.append(message_id))

    def deliver(external_id: str, text: str) -> None:
        receive(InboundMessage(channel="test", external_id=external_id, address="chat-9", text=text))

    def run_older(message_id: int) -> None:
        try:
            answer_inbound.delay(message_id)
        finally:
            connection.close()

    deliver("r1", "my router")
    worker = threading.Thread(target=run_older, args=(queued.pop(0),))
    worker.start()
    assert working.wait(5)
    deliver("r2", "is broken again")
    answer_inbound.delay(queued.pop(0))  # the newer message's task, while the older one works
    newer_done.set()
    worker.join(5)
    while queued:  # what was queued again for later, as the broker delivers it
        answer_inbound.delay(queued.pop(0))

    assert [message.content for message in recorded.sent] == ["Echo: my router\nis broken again"]
    assert inbound_states() == [ReplyState.DONE] * 2


def test_an_earlier_message_claimed_by_an_older_task_after_the_newer_one_looked_steps_the_newer_one_back(
    recorded, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The newer message's task reads what waits around it (one SELECT), and an older message's
    task claims the earlier message just after: the newer task's claim of it fails, so it answers
    nothing now and runs again a window later; the older task's answer goes stale and gives its
    message back. One reply covers both."""
    from inbox.services import answer
    from messaging.services.ai_replies import reply_state_move

    settings.AI_BURST_WINDOW_S = 2
    settings.UNKNOWN_CONTACT_REPLY = "chat"
    settings.CHAT_MODE = "echo"
    queued: list[int] = []
    monkeypatch.setattr(
        receive_module, "enqueue_on_commit", lambda task, message_id, **options: queued.append(message_id)
    )
    monkeypatch.setattr(answer, "enqueue_on_commit", lambda task, message_id, **options: queued.append(message_id))
    receive(InboundMessage(channel="test", external_id="c1", address="chat-7", text="my router"))
    receive(InboundMessage(channel="test", external_id="c2", address="chat-7", text="is broken again"))
    older, newer = queued
    queued.clear()
    real_waiting, raced = answer.burst_waiting, []

    def waiting_then_an_older_claim(message, *, since):
        found = real_waiting(message, since=since)
        if not raced:  # the older task claims its message now
            raced.append(reply_state_move(message_id=older, source=ReplyState.PENDING, target=ReplyState.PROCESSING))
        return found

    monkeypatch.setattr(answer, "burst_waiting", waiting_then_an_older_claim)

    with django_capture_on_commit_callbacks(execute=True):
        answer_inbound.delay(newer)
    assert raced == [True]
    assert (recorded.sent, queued, inbound_states()) == ([], [newer], [ReplyState.PROCESSING, ReplyState.PENDING])

    # The older task's answer is stale (the newer message waits): it gives its message back.
    assert reply_state_move(message_id=older, source=ReplyState.PROCESSING, target=ReplyState.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        answer_inbound.delay(queued.pop())  # a window later

    assert [message.content for message in recorded.sent] == ["Echo: my router\nis broken again"]
    assert inbound_states() == [ReplyState.DONE] * 2
