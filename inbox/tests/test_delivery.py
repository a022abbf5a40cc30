"""The inbox's delivery for a channel without its own (the test channel): parts in order, each
error class, the contact's opt-out refusing later sends before any request, the sweeper."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.enums import OptOutSource
from inbox.errors import OptedOutError, PermanentChannelError, TransientChannelError
from inbox.models import Contact
from inbox.services.replies import channel_send
from inbox.tasks import send_message, sweep_stale_sends
from messaging.enums import Direction
from messaging.models import Message

pytestmark = pytest.mark.django_db

LONG = "First sentence is here. " * 5  # 120 characters: five parts of a sentence each on the test channel


def run_send_task(message_id: int) -> None:
    """The send task with its retries, as a worker runs it (eagerly: Celery runs each retry it
    schedules at once; a retry is not an error here)."""
    conf = send_message.app.conf
    propagates, conf.task_eager_propagates = conf.task_eager_propagates, False
    try:
        send_message.apply(args=[message_id])
    finally:
        conf.task_eager_propagates = propagates


def stored(text: str) -> Message:
    """A message stored and not yet sent (its task is run by the test)."""
    return channel_send(channel="test", address="chat-1", text=text)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def post(text: str, *, address: str = "chat-1") -> Message:
        with django_capture_on_commit_callbacks(execute=True):
            message = channel_send(channel="test", address=address, text=text)
        message.refresh_from_db()
        return message

    return post


def outbound() -> list[tuple[str, str]]:
    return list(Message.objects.filter(direction=Direction.OUTBOUND).order_by("pk").values_list("status", "content"))


def test_a_long_text_goes_out_as_numbered_parts_in_order(send, recorded):
    send(LONG)

    assert [message.content for message in recorded.sent] == [f"({n}/5) First sentence is here." for n in range(1, 6)]
    assert [status for status, _ in outbound()] == ["sent"] * 5


def test_a_transient_error_waits_the_channels_retry_after_then_sends(send, recorded, settings, monkeypatch):
    waits = []
    real_retry = send_message.retry

    def retry(*args, countdown=None, **kwargs):
        waits.append(countdown)
        return real_retry(*args, countdown=countdown, **kwargs)

    monkeypatch.setattr(send_message, "retry", retry)
    settings.INBOX_SEND_RETRY_AFTER_MAX_S = 30
    recorded.errors[:] = [
        TransientChannelError("Too Many Requests", status=429, retry_after=3),
        TransientChannelError("Too Many Requests", status=429, retry_after=999),
    ]

    message = stored("Hello")
    run_send_task(message.pk)
    message.refresh_from_db()

    assert waits == [3, 30]  # the channel's wait, capped below the visibility timeout
    assert message.status == "sent"
    assert [m.content for m in recorded.sent] == ["Hello"]


def test_transient_errors_past_the_retries_fail_the_message(send, recorded, settings):
    recorded.errors[:] = [TransientChannelError("Bad Gateway", status=502)] * (settings.INBOX_SEND_MAX_RETRIES + 1)

    message = stored("Hello")
    run_send_task(message.pk)
    message.refresh_from_db()

    assert message.status == "failed"
    assert message.error == "HTTP 502"
    assert recorded.sent == []


def test_a_permanent_error_fails_at_once_with_the_parts_after_it(send, recorded):
    recorded.errors[:] = [PermanentChannelError("Bad Request: chat not found", status=400)]

    send(LONG)

    assert [status for status, _ in outbound()] == ["failed"] * 5
    assert recorded.sent == []


def test_an_opted_out_recipient_opts_the_contact_out_and_later_sends_are_refused_locally(send, recorded):
    recorded.errors[:] = [OptedOutError("Forbidden: bot was blocked by the user", status=403)]

    assert send("Hello").status == "failed"

    contact = Contact.objects.get(channel="test", address="chat-1")
    assert contact.opted_out and contact.opt_out_source == OptOutSource.CHANNEL
    later = send("Are you there?")
    assert (later.status, later.error) == ("failed", "Recipient has opted out.")
    assert recorded.sent == []


def test_the_sweeper_sends_what_the_broker_or_a_dead_worker_left(
    recorded, django_capture_on_commit_callbacks, settings
):
    channel_send(channel="test", address="chat-1", text="Stored while the broker was down")  # no on_commit: no task
    dead = channel_send(channel="test", address="chat-2", text="Its worker died")
    long_ago = timezone.now() - timedelta(hours=1)
    Message.objects.filter(pk=dead.pk).update(status="sending")
    Message.objects.update(updated_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_stale_sends.delay().get() == 2

    assert sorted(message.content for message in recorded.sent) == [
        "Its worker died",
        "Stored while the broker was down",
    ]
    assert sweep_stale_sends.delay().get() == 0


def test_a_send_being_sent_is_not_sent_again(send, recorded):
    message = send("Hello")
    send_message.delay(message.pk)  # a redelivered task
    assert len(recorded.sent) == 1


def test_the_sweeper_leaves_a_row_waiting_for_its_retry_alone(recorded, django_capture_on_commit_callbacks, settings):
    settings.INBOX_SEND_RETRY_AFTER_MAX_S = 60
    waiting = channel_send(channel="test", address="chat-1", text="Rate limited: retry in a minute")
    Message.objects.filter(pk=waiting.pk).update(updated_at=timezone.now() - timedelta(seconds=90))

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_stale_sends.delay().get() == 0  # its retry is still due

    Message.objects.filter(pk=waiting.pk).update(updated_at=timezone.now() - timedelta(seconds=121))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_stale_sends.delay().get() == 1
    assert [message.content for message in recorded.sent] == ["Rate limited: retry in a minute"]
