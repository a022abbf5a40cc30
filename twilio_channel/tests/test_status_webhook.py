"""T2 `/twilio/status`: signed callbacks move an outbound message forward, never back (CONTRACT
§3.1 T2, §8.3, §9.3 point 8), and every callback is kept."""

import pytest

from twilio_channel.models import MessageStatusEvent
from twilio_channel.tests.conftest import signature
from twilio_channel.tests.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db


def callback(twilio_post, message, status, path=None, **extra):
    form = {"MessageSid": message.twilio_sid, "MessageStatus": status, **extra}
    return twilio_post(path or f"/twilio/status?mid={message.pk}", form)


def test_a_callback_moves_the_status_forward_and_is_logged(twilio_post):
    message = OutboundMessageFactory(status="queued")
    response = callback(twilio_post, message, "sent")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    message.refresh_from_db()
    assert message.status == "sent"
    assert list(MessageStatusEvent.objects.values_list("twilio_sid", "status", "message_id")) == [
        (message.twilio_sid, "sent", message.pk)
    ]


@pytest.mark.parametrize(
    ("sequence", "final"),
    [
        (["sent", "delivered", "sent"], "delivered"),  # a late `sent` never lowers `delivered`
        (["delivered", "queued", "sending"], "delivered"),
        (["sent", "failed", "delivered"], "failed"),  # terminal stays terminal
        (["undelivered", "read"], "undelivered"),
        (["sent", "read", "delivered"], "read"),
    ],
)
def test_the_status_never_moves_backwards_or_out_of_a_terminal_state(twilio_post, sequence, final):
    message = OutboundMessageFactory(status="queued")
    for status in sequence:
        assert callback(twilio_post, message, status).status_code == 200
    message.refresh_from_db()
    assert message.status == final
    assert MessageStatusEvent.objects.filter(twilio_sid=message.twilio_sid).count() == len(set(sequence))


def test_a_repeated_callback_is_kept_once(twilio_post):
    message = OutboundMessageFactory()
    callback(twilio_post, message, "sent")
    callback(twilio_post, message, "sent")
    assert MessageStatusEvent.objects.count() == 1


def test_the_error_is_stored_with_a_failure(twilio_post):
    message = OutboundMessageFactory(status="sent")
    callback(twilio_post, message, "undelivered", ErrorCode="30003")
    message.refresh_from_db()
    assert (message.status, message.error) == ("undelivered", "Error code: 30003")
    other = OutboundMessageFactory(status="sent")
    callback(twilio_post, other, "failed", ErrorCode="30008", ErrorMessage="Unknown error")
    other.refresh_from_db()
    assert other.error == "Unknown error"


def test_a_callback_that_beats_the_stored_sid_lands_through_the_message_id(twilio_post):
    message = OutboundMessageFactory(status="sending", twilio_sid=None)
    form = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "sent"}
    assert twilio_post(f"/twilio/status?mid={message.pk}", form).status_code == 200
    message.refresh_from_db()
    assert (message.twilio_sid, message.status) == ("SM" + "a" * 32, "sent")


def test_an_unknown_sid_answers_200_and_is_logged(twilio_post, caplog):
    form = {"MessageSid": "SM" + "f" * 32, "SmsStatus": "delivered"}
    with caplog.at_level("WARNING", logger="twilio_webhook"):
        response = twilio_post("/twilio/status", form)
    assert response.status_code == 200
    assert MessageStatusEvent.objects.get().message_id is None


@pytest.mark.parametrize(
    ("form", "message"),
    [({"MessageStatus": "sent"}, "Missing MessageSid"), ({"MessageSid": "SM" + "1" * 32}, "Missing status")],
)
def test_a_callback_without_sid_or_status_is_a_400(twilio_post, form, message):
    response = twilio_post("/twilio/status", form)
    assert response.status_code == 400
    assert response.json() == {"status": "error", "message": message}


@pytest.mark.parametrize(
    "tamper",
    [
        {"signed": False},  # missing
        {"sign_as": {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"}},  # tampered body
        {"base": "https://elsewhere.example.com"},  # wrong URL
        {"token": "not-the-token"},  # wrong token
    ],
)
def test_a_bad_signature_is_refused_and_changes_nothing(twilio_post, tamper):
    message = OutboundMessageFactory(status="queued")
    form = {"MessageSid": message.twilio_sid, "MessageStatus": "failed"}
    response = twilio_post(f"/twilio/status?mid={message.pk}", form, **tamper)
    assert response.status_code == 403
    assert response.json() == {"status": "forbidden", "message": "Invalid signature"}
    message.refresh_from_db()
    assert message.status == "queued"
    assert not MessageStatusEvent.objects.exists()


def test_the_signature_covers_the_query_string(client, twilio_settings):
    message = OutboundMessageFactory(status="queued")
    form = {"MessageSid": message.twilio_sid, "MessageStatus": "sent"}
    signed_for_another_row = signature(f"/twilio/status?mid={message.pk + 1}", form)
    response = client.post(f"/twilio/status?mid={message.pk}", form, HTTP_X_TWILIO_SIGNATURE=signed_for_another_row)
    assert response.status_code == 403


def test_without_a_token_every_signature_fails(twilio_post, settings):
    settings.TWILIO_AUTH_TOKEN = ""
    message = OutboundMessageFactory()
    assert callback(twilio_post, message, "sent").status_code == 403


def test_validation_can_be_switched_off(twilio_post, settings):
    settings.TWILIO_VALIDATE_SIGNATURE = False
    message = OutboundMessageFactory(status="queued")
    response = twilio_post(
        f"/twilio/status?mid={message.pk}", {"MessageSid": message.twilio_sid, "MessageStatus": "sent"}, signed=False
    )
    assert response.status_code == 200
