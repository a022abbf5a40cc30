"""Issue 23 point 4: a reply longer than its channel takes goes out as numbered parts, each its own
outbound row, in order (part n+1 only once Twilio accepted part n), capped at TWILIO_MAX_PARTS with
"…"; and a huge inbound message is cut before it reaches the LLM. Sends go through the real twilio
SDK to the loopback Twilio, which refuses a body over 1,600 characters (4,096 on WhatsApp) with
21617 as Twilio does."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from inbox.splitting import ELLIPSIS, units
from inbox.splitting import text_split as body_split
from messaging.models import Message
from tests.helpers import capturing
from twilio_channel.models import OutboundSend, SendState
from twilio_channel.services.outbound import outbound_queue
from twilio_channel.services.sending import EARLIER_PART_FAILED, outbound_sweep
from twilio_channel.tasks import send_message

pytestmark = pytest.mark.django_db

OUR_NUMBER = "+15550001111"
ANN = "+48123456789"
PARAGRAPH = "The heater in room 12 is broken again. Someone should look at it soon! " * 8


def _sid(n: int) -> str:
    return f"SM{n:032x}"


def long_text(characters: int) -> str:
    text = ""
    while len(text) < characters:
        text += PARAGRAPH.strip() + "\n\n"
    return text[:characters]


def rejoined(parts: list[str]) -> str:
    return " ".join(part.split(") ", 1)[1] for part in parts)


# --- the split itself ---------------------------------------------------------------------------


def test_a_text_that_fits_is_one_part_unchanged():
    assert body_split("Hello.", limit=1600, max_parts=10) == ["Hello."]
    assert body_split("x" * 1600, limit=1600, max_parts=10) == ["x" * 1600]


@pytest.mark.parametrize("limit", [1600, 4096])
def test_long_text_is_split_on_paragraphs_and_sentences_into_numbered_parts_within_the_limit(limit):
    text = long_text(3 * limit)
    parts = body_split(text, limit=limit, max_parts=10)
    assert len(parts) >= 3
    assert all(units(part) <= limit for part in parts)
    assert [part.split(" ", 1)[0] for part in parts] == [f"({n}/{len(parts)})" for n in range(1, len(parts) + 1)]
    for part in parts[:-1]:
        assert part.endswith((".", "!"))  # a sentence (or paragraph) boundary, never mid-word
    assert rejoined(parts).split() == text.split()  # nothing lost, nothing repeated


def test_a_word_longer_than_a_part_is_cut_hard_and_emoji_count_twice():
    parts = body_split("x" * 4000, limit=1600, max_parts=10)
    assert all(1590 <= units(part) <= 1600 for part in parts[:-1])
    assert "".join(part.split(") ", 1)[1] for part in parts) == "x" * 4000
    emoji = body_split("😀" * 1000, limit=1600, max_parts=10)
    assert all(units(part) <= 1600 for part in emoji)
    assert "".join(part.split(") ", 1)[1] for part in emoji) == "😀" * 1000


def test_past_the_part_cap_the_text_is_cut_with_an_ellipsis():
    parts = body_split(long_text(50_000), limit=1600, max_parts=3)
    assert len(parts) == 3
    assert parts[-1].startswith("(3/3) ") and parts[-1].endswith(ELLIPSIS)
    assert all(units(part) <= 1600 for part in parts)


# --- replies: parts as rows, sent in order -------------------------------------------------------


@pytest.fixture
def deliver(twilio_post, fake_twilio, django_capture_on_commit_callbacks):
    def post(body: str, *, from_: str = ANN, to: str = OUR_NUMBER, sid: int = 1):
        form = {"From": from_, "To": to, "Body": body, "MessageSid": _sid(sid), "SmsStatus": "received"}
        with django_capture_on_commit_callbacks(execute=True):
            return twilio_post("/twilio/inbound", form)

    return post


def test_a_50000_character_ai_reply_goes_out_as_capped_numbered_parts_in_order(
    deliver, fake_llm, fake_twilio, ai_enabled, settings
):
    settings.TWILIO_MAX_PARTS = 10
    fake_llm.reply(long_text(50_000))
    deliver("Tell me everything.")
    replies = list(Message.objects.filter(direction="outbound").order_by("id"))
    assert len(replies) == 10
    sent = fake_twilio.created(to=ANN)
    assert [m["body"] for m in sent] == [r.content for r in replies]  # every part accepted, in order
    assert all(len(m["body"]) <= 1600 for m in sent)
    assert replies[0].content.startswith("(1/10) ") and replies[-1].content.endswith(ELLIPSIS)
    assert {r.status for r in replies} == {"queued"}
    assert {r.in_reply_to_id for r in replies} == {Message.objects.get(external_id=_sid(1)).pk}
    assert all(r.twilio_sid for r in replies)
    assert replies[0].completion_tokens is not None and replies[1].completion_tokens is None  # counted once
    assert {r.agent for r in replies} == {replies[0].agent}


def test_a_long_whatsapp_reply_uses_whatsapps_limit(deliver, fake_llm, fake_twilio, ai_enabled):
    fake_llm.reply(long_text(6000))
    deliver("Tell me everything.", from_=f"whatsapp:{ANN}", to=f"whatsapp:{OUR_NUMBER}")
    bodies = [m["body"] for m in fake_twilio.created(to=f"whatsapp:{ANN}")]
    assert len(bodies) == 2
    assert max(len(body) for body in bodies) > 1600
    assert all(len(body) <= 4096 for body in bodies)


def queue_long(django_capture_on_commit_callbacks, characters: int = 4000) -> list[Message]:
    with django_capture_on_commit_callbacks(execute=True):
        first = outbound_queue(to=ANN, body=long_text(characters), from_=OUR_NUMBER)
    return list(Message.objects.filter(direction="outbound", id__gte=first.pk).order_by("id"))


def test_a_later_part_waits_while_the_one_before_is_retried(fake_twilio, django_capture_on_commit_callbacks):
    fake_twilio.fail(503, operation="create")  # part 1's first attempt: a transient error
    parts = queue_long(django_capture_on_commit_callbacks)
    assert len(parts) >= 3
    states = dict(OutboundSend.objects.values_list("message_id", "state"))
    assert [states[part.pk] for part in parts] == [SendState.PENDING] + [SendState.HELD] * (len(parts) - 1)
    assert fake_twilio.created() == []
    with django_capture_on_commit_callbacks(execute=True):
        send_message.apply(args=[parts[0].pk])  # the task's retry
    assert [m["body"] for m in fake_twilio.created(to=ANN)] == [part.content for part in parts]
    assert set(OutboundSend.objects.values_list("state", flat=True)) == {SendState.SENT}


def test_a_part_twilio_took_before_an_error_is_not_sent_twice_and_the_next_follows(
    fake_twilio, django_capture_on_commit_callbacks
):
    fake_twilio.accept_then_fail(500, operation="create")  # part 1 went out, but we got a 500
    parts = queue_long(django_capture_on_commit_callbacks)
    assert [m["body"] for m in fake_twilio.created(to=ANN)] == [parts[0].content]
    assert OutboundSend.objects.get(message=parts[1]).state == SendState.HELD
    with django_capture_on_commit_callbacks(execute=True):
        send_message.apply(args=[parts[0].pk])  # the retry reconciles part 1 instead of resending it
    assert [m["body"] for m in fake_twilio.created(to=ANN)] == [part.content for part in parts]


def test_when_a_part_fails_the_later_parts_are_not_sent_and_fail_too(fake_twilio, django_capture_on_commit_callbacks):
    fake_twilio.fail(400, code=21211, operation="create")  # permanent
    parts = queue_long(django_capture_on_commit_callbacks)
    assert fake_twilio.created() == []
    for part in parts:
        part.refresh_from_db()
    assert [part.status for part in parts] == ["failed"] * len(parts)
    assert [part.error for part in parts[1:]] == [EARLIER_PART_FAILED] * (len(parts) - 1)
    assert set(OutboundSend.objects.values_list("state", flat=True)) == {SendState.FAILED}


def test_the_sweeper_never_sends_a_held_part(fake_twilio, django_capture_on_commit_callbacks):
    fake_twilio.fail(503, operation="create", times=10)  # part 1 keeps failing: its retries run out
    with django_capture_on_commit_callbacks(execute=False):
        first = outbound_queue(to=ANN, body=long_text(4000), from_=OUR_NUMBER)
    OutboundSend.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    assert outbound_sweep() == [first.pk]  # only the first part: the others wait for it


def test_a_long_staff_send_answers_with_the_first_part_and_sends_the_rest_in_order(
    fake_twilio, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(UserFactory(is_superuser=True))
    text = long_text(5000)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/send-message", json.dumps({"to": ANN, "body": text}), content_type="application/json"
        )
    assert response.status_code == 200, response.content
    sent = fake_twilio.created(to=ANN)
    assert response.json()["sid"] == sent[0]["sid"]
    assert len(sent) == 4
    assert rejoined([m["body"] for m in sent]).split() == text.split()


# --- inbound text sent to the LLM is capped -------------------------------------------------------


def test_a_huge_inbound_message_is_stored_whole_but_cut_for_the_llm(deliver, fake_llm, ai_enabled, settings, caplog):
    settings.AI_INPUT_MAX_CHARS = 2000
    fake_llm.reply("That is a lot.")
    with capturing(caplog, "orchestrator"):
        deliver("y" * 30_000)
    assert len(Message.objects.get(external_id=_sid(1)).content) == 30_000
    user_turns = [m["content"] for m in fake_llm.requests[0]["messages"] if m["role"] == "user"]
    assert user_turns and max(len(turn) for turn in user_turns) == 2000
    assert "a user message of 30000 characters cut to 2000" in caplog.text
