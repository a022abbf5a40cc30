"""What a stranger's SMS gets when neither the AI nor the auto-reply is on (issue 28 point 8): on a
real Twilio account nothing by default (an echo to anyone who writes costs money), the chat engine
when Twilio is a local stand-in (the demo), or what UNKNOWN_CONTACT_REPLY says."""

import pytest

from accounts.tests.factories import UserFactory
from messaging.enums import ReplyState
from messaging.models import Message
from twilio_channel.tests.test_inbound import ANN, STRANGER, _sid, deliver, inbound_form, replies_to  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def real_account(twilio_post, twilio_settings, django_capture_on_commit_callbacks):
    """Twilio is a real account (no local stand-in): a webhook, then the reply work it queued. A reply
    would only be queued, never sent: its send waits for a commit the test never makes."""
    twilio_settings.TWILIO_API_BASE_URL = ""

    def post(body: str, **fields):
        with django_capture_on_commit_callbacks() as queued:
            response = twilio_post("/twilio/inbound", inbound_form(body, **fields))
        for callback in queued:
            callback()
        return response

    return post


def test_on_a_real_account_a_stranger_gets_no_automatic_reply_by_default(real_account, settings):
    settings.CHAT_MODE = "echo"

    assert real_account("hello", from_=STRANGER).status_code == 200

    assert replies_to(STRANGER) == []
    assert Message.objects.get(external_id=_sid(1)).reply_state == ReplyState.SKIPPED


def test_on_a_real_account_a_known_user_is_still_answered(real_account, settings):
    UserFactory(phone_number=ANN, phone_verified=True)
    settings.TWILIO_KNOWN_USER_AI = False  # the chat engine answers users: the setting is for strangers only
    settings.CHAT_MODE = "echo"

    real_account("hello")

    assert replies_to(ANN) == ["Echo: hello"]


def test_on_a_real_account_the_operator_may_set_a_short_text(real_account, settings):
    settings.UNKNOWN_CONTACT_REPLY = "text"
    settings.UNKNOWN_CONTACT_REPLY_TEXT = "This number is not monitored."

    real_account("hello", from_=STRANGER)

    assert replies_to(STRANGER) == ["This number is not monitored."]


def test_on_a_real_account_the_operator_may_keep_the_chat_engine(real_account, settings):
    settings.UNKNOWN_CONTACT_REPLY = "chat"
    settings.CHAT_MODE = "echo"

    real_account("hello", from_=STRANGER)

    assert replies_to(STRANGER) == ["Echo: hello"]


def test_with_the_local_twilio_stand_in_a_stranger_is_echoed_by_default(deliver, fake_twilio, settings):  # noqa: F811
    settings.CHAT_MODE = "echo"

    deliver("hello", from_=STRANGER)

    assert [m["body"] for m in fake_twilio.created(to=STRANGER)] == ["Echo: hello"]


def test_with_the_stand_in_the_operator_may_still_switch_replies_off(deliver, fake_twilio, settings):  # noqa: F811
    settings.UNKNOWN_CONTACT_REPLY = "none"

    deliver("hello", from_=STRANGER)

    assert fake_twilio.created(to=STRANGER) == []


@pytest.mark.parametrize(
    ("value", "text", "warned"),
    [
        ("", "", False),
        ("none", "", False),
        ("chat", "", False),
        ("text", "Not monitored.", False),
        ("echo", "", True),
        ("text", "", True),
    ],
)
def test_a_setting_that_answers_no_one_is_a_warning_of_the_system_checks(settings, value, text, warned):
    from django.core.checks import run_checks

    settings.UNKNOWN_CONTACT_REPLY, settings.UNKNOWN_CONTACT_REPLY_TEXT = value, text

    assert bool([m for m in run_checks() if m.id == "twilio_channel.W002"]) is warned
