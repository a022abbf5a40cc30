"""Floods (issue 22, point 4): a contact gets at most AUTO_REPLY_LIMIT_PER_CONTACT automatic replies
per AUTO_REPLY_LIMIT_WINDOW_S, on every channel; what they send beyond it is stored unanswered and
their conversation goes to the staff's handoff inbox."""

from datetime import timedelta

import pytest
from django.test import Client

from inbox.tasks import sweep_unanswered_inbound
from messaging.enums import ConversationMode, ReplyState
from messaging.models import Conversation, Message, ModeChange

pytestmark = pytest.mark.django_db

OUR_NUMBER = "+15550001111"
FLOODER = "+15557770000"


def inbound_form(body: str, *, from_: str, sid: int) -> dict:
    return {"From": from_, "To": OUR_NUMBER, "Body": body, "MessageSid": f"SM{sid:032x}", "SmsStatus": "received"}


@pytest.fixture
def deliver(twilio_post, fake_twilio, django_capture_on_commit_callbacks):
    """Twilio delivers `count` messages one after the other; the queued replies run as workers would."""
    sids = iter(range(1, 10_000))

    def post(count: int, *, from_: str = FLOODER, body: str = "spam"):
        for _ in range(count):
            with django_capture_on_commit_callbacks(execute=True):
                response = twilio_post("/twilio/inbound", inbound_form(body, from_=from_, sid=next(sids)))
            assert response.status_code == 200

    return post


@pytest.fixture
def limit(settings):
    settings.AUTO_REPLY_LIMIT_PER_CONTACT = 3
    settings.AUTO_REPLY_LIMIT_WINDOW_S = 600
    settings.LOOP_REPEAT_LIMIT = 0  # the count alone (the same text again is inbox/tests/test_loop_breaker.py)
    settings.CHAT_MODE = "echo"
    return settings


def staff_browser(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def test_a_flooding_contact_gets_the_limits_replies_then_goes_to_the_handoff_inbox(
    deliver, limit, fake_twilio, admin_client_api, superuser
):
    deliver(7)

    assert len(fake_twilio.created(to=FLOODER)) == 3
    inbound = list(Message.objects.filter(direction="inbound").order_by("id").values_list("reply_state", flat=True))
    assert inbound == [ReplyState.DONE] * 3 + [ReplyState.SKIPPED] * 4  # all stored, the rest unanswered
    thread = admin_client_api.get(f"/api/conversations/{FLOODER}").json()
    assert thread["mode"] == ConversationMode.HUMAN
    assert list(ModeChange.objects.values_list("reason", "channel")) == [("loop", "sms")]
    assert [item["reply_state"] for item in thread["items"] if item["direction"] == "inbound"] == inbound
    browser = staff_browser(superuser)
    inbox = browser.get("/?tab=handoff", HTTP_ACCEPT="text/html")
    assert inbox.status_code == 200
    assert f"/chat/{FLOODER}" in inbox.content.decode()
    log = browser.get("/admin/twilio_channel/twiliomessage/?reply_state__exact=skipped")
    assert log.status_code == 200
    assert log.context["cl"].result_count == 4


def test_other_contacts_are_still_answered(deliver, limit, fake_twilio):
    deliver(5)
    deliver(2, from_="+15557770001")
    assert len(fake_twilio.created(to="+15557770001")) == 2
    assert Conversation.objects.get(participant_number="+15557770001").mode == ConversationMode.AI


def test_the_limit_counts_whatsapp_and_ai_replies_too(deliver, limit, fake_twilio, fake_llm, ai_enabled):
    fake_llm.set_default_reply("Hello!")
    deliver(5, from_=f"whatsapp:{FLOODER}")

    assert len(fake_llm.requests) == 3  # one LLM call per answered message, none for the rest
    assert len(fake_twilio.created(to=f"whatsapp:{FLOODER}")) == 3
    assert Conversation.objects.get(key=f"whatsapp:{FLOODER}").mode == ConversationMode.HUMAN


def test_replies_resume_once_the_window_passed_and_staff_handed_back(deliver, limit, fake_twilio, admin_client_api):
    deliver(4)
    assert len(fake_twilio.created(to=FLOODER)) == 3
    # The window passes: the answered messages are older than it.
    old = Message.objects.filter(direction="inbound").first().created_at - timedelta(seconds=601)
    Message.objects.filter(direction="inbound").update(created_at=old)
    response = admin_client_api.post(f"/api/conversations/{FLOODER}/mode", {"mode": "ai"}, format="json")
    assert response.status_code == 200

    deliver(1)

    assert len(fake_twilio.created(to=FLOODER)) == 4


def test_the_inbound_sweeper_requeues_a_batch_oldest_first(
    twilio_post, fake_twilio, settings, django_capture_on_commit_callbacks
):
    settings.CHAT_MODE = "echo"
    settings.SWEEP_BATCH_SIZE = 2
    for n in range(1, 6):  # the broker was down: stored, no task ever ran
        twilio_post("/twilio/inbound", inbound_form(f"message {n}", from_=FLOODER, sid=n))
    for n, message in enumerate(Message.objects.order_by("id")):
        at = message.created_at - timedelta(minutes=60 - n)
        Message.objects.filter(pk=message.pk).update(created_at=at, updated_at=at)

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_unanswered_inbound.delay().get() == 2

    assert [reply["body"] for reply in fake_twilio.created(to=FLOODER)] == ["Echo: message 1", "Echo: message 2"]
