"""What the inbound webhook costs before Twilio gets its answer (issue 8 point 8, docs/PERFORMANCE.md
"Webhook acknowledgement"), and the behaviour that lean path must keep: a redelivery changes
nothing, concurrent first messages from a new number share one contact, a switch flipped anywhere
applies to the next message."""

from datetime import timedelta
from functools import partial

import pytest
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from inbox.models import AutoReplyConfig, Contact
from inbox.services.contacts import contact_inbound_touch
from inbox.services.modes import reply_mode
from messaging.models import Message
from orchestrator.models import AIConfig
from tests.helpers import at_once
from twilio_channel.tests.conftest import signature
from twilio_channel.tests.test_inbound import STRANGER, _sid, inbound_form, replies_to

pytestmark = pytest.mark.django_db

# BEGIN, the contact's UPDATE ... RETURNING, both reply-mode switches, the count of the contact's
# recent automatic replies (the flood limit, issue 22), the conversation's UPDATE ... RETURNING
# (found and its last_message_at moved), the INSERT, COMMIT (SAVEPOINT/RELEASE inside a test's
# transaction)
WEBHOOK_STATEMENTS = 7


def test_a_message_from_a_known_number_is_acknowledged_in_seven_statements(
    twilio_post, fake_twilio, settings, django_assert_num_queries
):
    settings.CHAT_MODE = "echo"
    twilio_post("/twilio/inbound", inbound_form("First", from_=STRANGER, sid=1))  # the contact and thread exist

    with django_assert_num_queries(WEBHOOK_STATEMENTS):
        response = twilio_post("/twilio/inbound", inbound_form("Second", from_=STRANGER, sid=2, ProfileName="Zed"))

    assert response.status_code == 200
    message = Message.objects.get(external_id=_sid(2))
    assert (message.content, message.reply_state) == ("Second", "pending")
    assert message.conversation.last_message_at == message.created_at
    assert Contact.objects.get(address=STRANGER).profile_name == "Zed"


def test_a_redelivery_changes_nothing_the_first_delivery_did_not(
    twilio_post, fake_twilio, settings, django_capture_on_commit_callbacks
):
    settings.CHAT_MODE = "echo"

    def deliver(body: str, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return twilio_post("/twilio/inbound", inbound_form(body, **fields))

    deliver("STOP", from_=STRANGER, sid=1, ProfileName="Zed")
    deliver("START", from_=STRANGER, sid=2)
    contact = Contact.objects.get(address=STRANGER)
    assert not contact.opted_out

    response = deliver("STOP", from_=STRANGER, sid=1, ProfileName="Somebody else")  # Twilio retries the first

    assert response.status_code == 200
    contact_now = Contact.objects.get(address=STRANGER)
    assert not contact_now.opted_out  # the old STOP does not undo the later START
    assert (contact_now.profile_name, contact_now.last_inbound_at) == ("Zed", contact.last_inbound_at)
    assert Message.objects.filter(external_id=_sid(1)).count() == 1
    assert replies_to(STRANGER) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_messages_from_a_new_number_share_one_contact(twilio_settings, fake_twilio, settings):
    settings.CHAT_MODE = "echo"
    forms = [inbound_form(f"Hello {n}", from_=STRANGER, sid=n) for n in range(1, 5)]

    def deliver_once(form: dict) -> int:
        header = signature("/twilio/inbound", form)
        return Client().post("/twilio/inbound", form, HTTP_X_TWILIO_SIGNATURE=header).status_code

    statuses = at_once([partial(deliver_once, form) for form in forms])

    assert statuses == [200] * len(forms)
    assert Contact.objects.filter(address=STRANGER).count() == 1
    assert Message.objects.filter(direction="inbound", participant_number=STRANGER).count() == len(forms)
    assert sorted(replies_to(STRANGER)) == [f"Echo: Hello {n}" for n in range(1, 5)]


def test_the_reply_mode_is_one_statement_and_never_stale(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert reply_mode() == "off"
    # Switched as another process would: no signal reaches this one, and the next read sees it.
    AutoReplyConfig.objects.update_or_create(pk=1, defaults={"enabled": True, "message": "Away"})
    assert reply_mode() == "auto_reply"
    AIConfig.objects.update_or_create(pk=1, defaults={"enabled": True, "target_number": "+48123456789"})
    assert reply_mode() == "ai"
    AIConfig.objects.filter(pk=1).update(enabled=False)
    AutoReplyConfig.objects.filter(pk=1).update(enabled=False)
    assert reply_mode() == "off"


def test_touching_a_contact_moves_its_last_inbound_time_only_forward():
    ann = UserFactory(phone_number="+48111222333", phone_verified=True)
    now = timezone.now()
    contact = contact_inbound_touch(number="+48111222333", channel="sms", at=now, profile_name="Ann")
    assert (contact.user_id, contact.last_inbound_at, contact.profile_name) == (ann.pk, now, "Ann")

    older = contact_inbound_touch(number="+48111222333", channel="sms", at=now - timedelta(days=2))
    assert (older.pk, older.last_inbound_at, older.profile_name) == (contact.pk, now, "Ann")
    later = contact_inbound_touch(number="+48111222333", channel="sms", at=now + timedelta(minutes=1), profile_name="A")
    assert (later.last_inbound_at, later.profile_name) == (now + timedelta(minutes=1), "A")
    stored = Contact.objects.get(pk=contact.pk)
    assert (stored.last_inbound_at, stored.profile_name, stored.opted_out) == (later.last_inbound_at, "A", False)
