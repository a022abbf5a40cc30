"""The inbound reconcile (CONTRACT §8.2): a message whose webhook never reached us is found in
Twilio's list and goes through the webhook's own pipeline, stored and answered once, however often
the reconcile runs and whatever webhook comes late."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings

from messaging.enums import ReplyState
from messaging.models import Message
from twilio_channel.tasks import reconcile_inbound

pytestmark = pytest.mark.django_db

OUR_NUMBER = "+15550001111"
STRANGER = "+48987654321"
OTHER = "+48500600700"


def _ago(seconds: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=seconds)


@pytest.fixture
def reconcile(fake_twilio, settings, django_capture_on_commit_callbacks):
    """One run as beat starts it, with the work it queues (the reply, its send) run too."""
    settings.CHAT_MODE = "echo"  # what answers a stranger's webhook with no reply mode on

    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return reconcile_inbound.delay().get()

    return run


def replies(fake_twilio, to: str) -> list[str]:
    return [message["body"] for message in fake_twilio.created(to=to)]


def test_a_message_whose_webhook_never_came_is_stored_and_answered_once(reconcile, fake_twilio):
    lost = fake_twilio.add_inbound(from_=STRANGER, to=OUR_NUMBER, body="Hello?", date_created=_ago(40))

    assert reconcile() == 1
    assert reconcile() == 0  # the next minute: stored, nothing to do

    message = Message.objects.get(external_id=lost["sid"])
    assert (message.direction, message.content, message.from_number) == ("inbound", "Hello?", STRANGER)
    assert message.reply_state == ReplyState.DONE
    assert replies(fake_twilio, STRANGER) == ["Echo: Hello?"]
    assert Message.objects.filter(in_reply_to=message).count() == 1


def test_a_late_webhook_of_a_reconciled_message_is_acknowledged_and_not_answered_again(
    reconcile, fake_twilio, twilio_post, django_capture_on_commit_callbacks
):
    lost = fake_twilio.add_inbound(from_=STRANGER, to=OUR_NUMBER, body="Late", date_created=_ago(40))
    reconcile()
    form = {"From": STRANGER, "To": OUR_NUMBER, "Body": "Late", "MessageSid": lost["sid"]}

    with django_capture_on_commit_callbacks(execute=True):
        assert twilio_post("/twilio/inbound", form).status_code == 200

    assert Message.objects.filter(external_id=lost["sid"]).count() == 1
    assert replies(fake_twilio, STRANGER) == ["Echo: Late"]


def test_a_message_its_webhook_stored_is_left_alone(reconcile, fake_twilio, twilio_post):
    form = {"From": STRANGER, "To": OUR_NUMBER, "Body": "Via webhook", "MessageSid": "SM" + "e" * 32}
    assert twilio_post("/twilio/inbound", form).status_code == 200  # its reply is the webhook's (not run here)
    fake_twilio.add_inbound(
        from_=STRANGER, to=OUR_NUMBER, body="Via webhook", sid=form["MessageSid"], date_created=_ago(40)
    )

    assert reconcile() == 0
    assert fake_twilio.created() == []


def test_only_inbound_messages_of_the_window_that_have_settled_are_taken(reconcile, fake_twilio, settings):
    window = settings.TWILIO_INBOUND_RECONCILE_WINDOW_S
    fake_twilio.add_message(to=OTHER, from_=OUR_NUMBER, body="Ours, outbound", date_created=_ago(40))
    fake_twilio.add_inbound(from_=OTHER, to=OUR_NUMBER, body="Too old", date_created=_ago(window + 60))
    fake_twilio.add_inbound(from_=OTHER, to=OUR_NUMBER, body="Webhook on its way", date_created=_ago(2))
    taken = fake_twilio.add_inbound(from_=STRANGER, to=OUR_NUMBER, body="Lost", date_created=_ago(60))

    assert reconcile() == 1

    assert list(Message.objects.filter(direction="inbound").values_list("external_id", flat=True)) == [taken["sid"]]
    [listing] = fake_twilio.calls("list")
    assert listing.query["DateSent>"] <= _ago(window).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert int(listing.query["PageSize"]) == settings.TWILIO_INBOUND_RECONCILE_LIMIT


def test_several_lost_messages_are_stored_oldest_first(reconcile, fake_twilio):
    for n, seconds in enumerate((30, 90, 60)):
        fake_twilio.add_inbound(from_=STRANGER, to=OUR_NUMBER, body=f"m{n}", date_created=_ago(seconds))

    assert reconcile() == 3

    assert list(Message.objects.filter(direction="inbound").order_by("pk").values_list("content", flat=True)) == [
        "m1",
        "m2",
        "m0",
    ]


def test_a_twilio_failure_or_no_credentials_is_no_error(reconcile, fake_twilio, settings):
    fake_twilio.add_inbound(from_=STRANGER, to=OUR_NUMBER, body="Hello?", date_created=_ago(40))
    fake_twilio.fail(503, operation="list")
    assert reconcile() == 0
    settings.TWILIO_ACCOUNT_SID = ""
    assert reconcile() == 0
    assert not Message.objects.exists()


def test_beat_runs_it_every_minute():
    entry = django_settings.CELERY_BEAT_SCHEDULE["twilio-reconcile-inbound"]
    assert (entry["task"], entry["schedule"]) == ("twilio_channel.reconcile_inbound", 60.0)
    assert reconcile_inbound.name == entry["task"]
