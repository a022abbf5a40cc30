"""T2 `/twilio/status` as production runs it: in autocommit, outside any transaction (the other
tests run inside one). A repeated, late or unknown callback is answered 200 and kept once, and
never moves the status backwards."""

import pytest

from twilio_channel.models import MessageStatusEvent
from twilio_channel.tests.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_repeated_and_late_callbacks_in_autocommit(twilio_post):
    message = OutboundMessageFactory(status="queued")
    for status in ["sent", "delivered", "sent", "delivered", "queued"]:
        response = twilio_post(
            f"/twilio/status?mid={message.pk}", {"MessageSid": message.twilio_sid, "MessageStatus": status}
        )
        assert (response.status_code, response.json()) == (200, {"status": "ok"})
    message.refresh_from_db()
    assert message.status == "delivered"
    events = MessageStatusEvent.objects.order_by("id").values_list("status", "message_id")
    assert list(events) == [("sent", message.pk), ("delivered", message.pk), ("queued", message.pk)]


def test_a_callback_whose_mid_names_another_message_lands_on_the_sid(twilio_post):
    message = OutboundMessageFactory(status="sent")
    other = OutboundMessageFactory(status="queued")
    form = {"MessageSid": message.twilio_sid, "MessageStatus": "delivered"}
    assert twilio_post(f"/twilio/status?mid={other.pk}", form).status_code == 200
    message.refresh_from_db()
    other.refresh_from_db()
    assert (message.status, other.status, other.twilio_sid) == ("delivered", "queued", other.twilio_sid)
    assert MessageStatusEvent.objects.get().message_id == message.pk


def test_an_unknown_sid_is_kept_without_a_message(twilio_post):
    form = {"MessageSid": "SM" + "e" * 32, "MessageStatus": "sent"}
    assert twilio_post("/twilio/status?mid=999999", form).status_code == 200
    assert twilio_post("/twilio/status?mid=999999", form).status_code == 200
    assert list(MessageStatusEvent.objects.values_list("status", "message_id")) == [("sent", None)]
