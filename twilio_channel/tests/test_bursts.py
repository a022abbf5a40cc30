"""One reply per burst over SMS (issue 27, point 1): people type "hi" / "my router" / "is broken
again"; the messages within the quiet window get one AI turn that sees them all and one SMS back,
also when the worker of the turn dies mid-burst; a window of 0 answers every message."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.enums import ConversationMode, ReplyState
from messaging.models import Conversation, Message
from orchestrator.handoff import HANDOFF_ACK
from orchestrator.tasks import sweep_stale_ai_messages

pytestmark = pytest.mark.django_db

OUR_NUMBER = "+15550001111"
CONTACT = "+15557770000"
FIVE = ["hi", "my router", "is broken", "again", "since Monday"]


@pytest.fixture
def deliver(twilio_post, django_capture_on_commit_callbacks):
    sids = iter(range(1, 10_000))

    def post(body: str, *, from_: str = CONTACT):
        form = {"From": from_, "To": OUR_NUMBER, "Body": body, "MessageSid": f"SM{next(sids):032x}"}
        with django_capture_on_commit_callbacks(execute=True):
            response = twilio_post("/twilio/inbound", {**form, "SmsStatus": "received"})
        assert response.status_code == 200

    return post


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run queued work as a worker would, the SMS sends it queues included."""

    def call(work) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            work()

    return call


def user_turns(request: dict) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "user"]


def inbound_states() -> list[str]:
    return list(Message.objects.filter(direction="inbound").order_by("id").values_list("reply_state", flat=True))


def test_five_sms_within_a_second_get_one_reply_that_saw_all_five(
    deliver, run, fake_twilio, fake_llm, ai_enabled, queued_turns, settings
):
    settings.AI_BURST_WINDOW_S = 2
    fake_llm.set_default_reply("Let us fix that router.")
    for text in FIVE:
        deliver(text)

    assert [countdown for _, countdown in queued_turns.queue] == [2.0] * 5
    run(queued_turns.run_all)

    assert [sms["body"] for sms in fake_twilio.created(to=CONTACT)] == ["Let us fix that router."]
    assert len(fake_llm.requests) == 1
    assert user_turns(fake_llm.requests[0]) == FIVE
    assert inbound_states() == [ReplyState.DONE] * 5


def test_a_channel_window_setting_overrides_the_default(deliver, fake_llm, ai_enabled, queued_turns, settings):
    settings.AI_BURST_WINDOW_S = 2
    settings.AI_BURST_WINDOWS = {"sms": 0.5}
    deliver("hi")
    deliver("hi", from_=f"whatsapp:{CONTACT}")
    assert [countdown for _, countdown in queued_turns.queue] == [0.5, 2.0]


def test_a_worker_killed_mid_burst_still_ends_with_one_reply(
    deliver, run, fake_twilio, fake_llm, ai_enabled, queued_turns, settings
):
    settings.AI_BURST_WINDOW_S = 2
    fake_llm.set_default_reply("One answer.")
    for text in FIVE[:3]:
        deliver(text)
    # A worker claimed the burst and its conversation's lease, then died: nothing renews the lease.
    past = timezone.now() - timedelta(seconds=settings.AI_LEASE_S + 5)
    Message.objects.filter(direction="inbound").update(reply_state=ReplyState.PROCESSING, updated_at=past)
    Conversation.objects.filter(key=f"phone:{CONTACT}").update(
        ai_lease_token="dead-worker", ai_lease_until=timezone.now() - timedelta(seconds=1)
    )

    run(lambda: sweep_stale_ai_messages.delay())
    run(queued_turns.run_all)  # what the sweeper queued, and the burst's own (late) tasks

    assert [sms["body"] for sms in fake_twilio.created(to=CONTACT)] == ["One answer."]
    assert len(fake_llm.requests) == 1
    assert user_turns(fake_llm.requests[0]) == FIVE[:3]
    assert inbound_states() == [ReplyState.DONE] * 3


def test_a_window_of_zero_answers_every_message(
    deliver, run, fake_twilio, fake_llm, ai_enabled, queued_turns, settings
):
    settings.AI_BURST_WINDOW_S = 0
    fake_llm.set_default_reply("ok")
    for text in FIVE[:3]:
        deliver(text)
    run(queued_turns.run_all)

    assert len(fake_twilio.created(to=CONTACT)) == 3
    assert [user_turns(request)[-1] for request in fake_llm.requests] == FIVE[:3]


# A mode switch word or an opt-out word inside a burst works as on a message of its own.


def mode() -> str:
    return Conversation.objects.get(key=f"phone:{CONTACT}").mode


def test_human_then_a_question_in_one_burst_hands_over_without_an_ai_answer(
    deliver, run, fake_twilio, fake_llm, ai_enabled, queued_turns, settings
):
    settings.AI_BURST_WINDOW_S = 2
    fake_llm.set_default_reply("An AI answer.")
    deliver("human")
    deliver("my router is broken")
    run(queued_turns.run_all)

    assert [sms["body"] for sms in fake_twilio.created(to=CONTACT)] == [HANDOFF_ACK]
    assert fake_llm.requests == []
    assert mode() == ConversationMode.HUMAN
    assert inbound_states() == [ReplyState.DONE, ReplyState.SKIPPED]  # staff answer the question


def test_a_question_then_human_in_one_burst_hands_over(
    deliver, run, fake_twilio, fake_llm, ai_enabled, queued_turns, settings
):
    settings.AI_BURST_WINDOW_S = 2
    deliver("my router is broken")
    deliver("human")
    run(queued_turns.run_all)

    assert [sms["body"] for sms in fake_twilio.created(to=CONTACT)] == [HANDOFF_ACK]
    assert mode() == ConversationMode.HUMAN
    assert inbound_states() == [ReplyState.DONE] * 2


def test_bot_then_a_question_in_human_mode_gets_the_ai_answer(
    deliver, run, fake_twilio, fake_llm, ai_enabled, queued_turns, settings
):
    settings.AI_BURST_WINDOW_S = 2
    fake_llm.set_default_reply("It is fixed.")
    deliver("human")
    run(queued_turns.run_all)
    deliver("bot")
    deliver("is it fixed?")
    run(queued_turns.run_all)

    assert [sms["body"] for sms in fake_twilio.created(to=CONTACT)] == [HANDOFF_ACK, "It is fixed."]
    assert mode() == ConversationMode.AI
    assert user_turns(fake_llm.requests[-1])[-1] == "is it fixed?"
    assert inbound_states() == [ReplyState.DONE] * 3


def test_nothing_is_sent_after_a_stop_in_the_burst(
    deliver, run, fake_twilio, fake_llm, ai_enabled, queued_turns, settings
):
    settings.AI_BURST_WINDOW_S = 2
    fake_llm.set_default_reply("An AI answer.")
    deliver("my router is broken")
    deliver("STOP")
    run(queued_turns.run_all)

    assert fake_twilio.created(to=CONTACT) == []
    assert not Message.objects.filter(direction="outbound").exists()
    assert inbound_states()[0] == ReplyState.SKIPPED
