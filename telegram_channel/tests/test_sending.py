"""Sends over the Bot API: each error class and how long texts are split."""

import pytest

from messaging.models import Message
from telegram_channel.tests.conftest import CHAT_ID, texts_sent

pytestmark = pytest.mark.django_db
CHAT = str(CHAT_ID)


@pytest.fixture
def send(bot_api, django_capture_on_commit_callbacks):
    """Store a message to the chat and run its send task as a worker does (eagerly: each retry it
    schedules runs at once; a retry is not an error here). The row, refreshed."""
    from inbox.services.replies import channel_send
    from inbox.tasks import send_message

    def send(text: str = "Hello") -> Message:
        message = channel_send(channel="telegram", address=CHAT, text=text)  # its on_commit never runs
        conf = send_message.app.conf
        propagates, conf.task_eager_propagates = conf.task_eager_propagates, False
        try:
            with django_capture_on_commit_callbacks(execute=True):  # the next part's task
                if message.status == "queued":
                    send_message.apply(args=[message.pk])
        finally:
            conf.task_eager_propagates = propagates
        message.refresh_from_db()
        return message

    return send


@pytest.fixture
def waits(monkeypatch):
    """The countdown of each retry the send task schedules."""
    from inbox.tasks import send_message

    waits: list[float] = []
    real_retry = send_message.retry

    def retry(*args, countdown=None, **kwargs):
        waits.append(countdown)
        return real_retry(*args, countdown=countdown, **kwargs)

    monkeypatch.setattr(send_message, "retry", retry)
    return waits


def test_a_send_records_telegrams_message_id(send, bot_api):
    message = send("Hello")
    assert (message.status, message.external_id) == ("sent", f"{CHAT}:101")
    assert bot_api.sent == [{"chat_id": CHAT, "text": "Hello"}]


def test_a_429_waits_retry_after_then_sends(send, bot_api, waits, settings):
    settings.INBOX_SEND_RETRY_AFTER_MAX_S = 30
    bot_api.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    bot_api.fail("sendMessage", 429, "Too Many Requests: retry after 999", retry_after=999)
    message = send()
    assert waits == [7, 30]  # Telegram's wait, capped below the broker's visibility timeout
    assert message.status == "sent"
    assert len(bot_api.sent) == 3


@pytest.mark.parametrize(
    "fault",
    [{"status": 502, "description": "Bad Gateway"}, {"status": 500, "description": "Internal"}, {"delay": 1.0}],
)
def test_a_5xx_or_a_timeout_is_retried(send, bot_api, waits, fault):
    bot_api.fail("sendMessage", **fault)
    message = send()
    assert message.status == "sent" and len(bot_api.sent) == 2
    assert len(waits) == 1 and waits[0] > 0  # the backoff


def test_a_lasting_5xx_fails_after_the_retries(send, bot_api, settings):
    for _ in range(20):
        bot_api.fail("sendMessage", 502, "Bad Gateway")
    message = send()
    assert (message.status, message.error) == ("failed", "HTTP 502")
    assert len(bot_api.sent) == settings.INBOX_SEND_MAX_RETRIES + 1  # bounded


def test_chat_not_found_fails_at_once(send, bot_api):
    bot_api.fail("sendMessage", 400, "Bad Request: chat not found")
    message = send()
    assert (message.status, message.error) == ("failed", "HTTP 400")
    assert len(bot_api.sent) == 1


def test_a_blocked_bot_opts_the_contact_out_and_later_sends_are_refused_locally(send, bot_api):
    from inbox.models import Contact

    bot_api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    assert send().status == "failed"
    assert Contact.objects.get(channel="telegram", address=CHAT).opted_out
    assert send("Still there?").status == "failed"
    assert len(bot_api.sent) == 1  # the second never left


def test_a_long_text_goes_as_ordered_parts_split_at_paragraphs(send, bot_api):
    paragraphs = [f"Paragraph {n}. " + "word " * 300 for n in range(1, 7)]  # ~1,500 characters each
    send("\n\n".join(paragraphs))
    parts = texts_sent(bot_api)
    assert len(parts) == 3 and all(len(part) <= 4096 for part in parts)
    assert [part[:6] for part in parts] == ["(1/3) ", "(2/3) ", "(3/3) "]
    assert all(part.rstrip().endswith("word") for part in parts)  # never cut inside a paragraph
    assert "".join(parts).count("Paragraph") == 6
