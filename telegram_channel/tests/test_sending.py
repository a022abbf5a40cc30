"""Sends over the Bot API: each error class and how long texts are split."""

import pytest

from messaging.models import Message
from telegram_channel.tests.conftest import CHAT_ID, texts_sent

pytestmark = pytest.mark.django_db
CHAT = str(CHAT_ID)


@pytest.fixture
def send(bot_api, django_capture_on_commit_callbacks):
    from inbox.services.replies import channel_send

    def send(text: str = "Hello") -> Message:
        with django_capture_on_commit_callbacks(execute=True):
            message = channel_send(channel="telegram", address=CHAT, text=text)
        message.refresh_from_db()
        return message

    return send


def test_a_send_records_telegrams_message_id(send, bot_api):
    message = send("Hello")
    assert (message.status, message.external_id) == ("sent", f"{CHAT}:101")
    assert bot_api.sent == [{"chat_id": CHAT, "text": "Hello"}]


def test_a_429_waits_retry_after_then_sends(send, bot_api):
    bot_api.fail("sendMessage", 429, "Too Many Requests: retry after 2", retry_after=2)
    message = send()
    assert message.status == "sent"
    assert len(bot_api.sent) == 2


@pytest.mark.parametrize(
    "fault",
    [{"status": 502, "description": "Bad Gateway"}, {"status": 500, "description": "Internal"}, {"delay": 1.0}],
)
def test_a_5xx_or_a_timeout_is_retried(send, bot_api, fault):
    bot_api.fail("sendMessage", **fault)
    message = send()
    assert message.status == "sent" and len(bot_api.sent) == 2


def test_a_lasting_5xx_fails_after_the_retries(send, bot_api, settings):
    for _ in range(20):
        bot_api.fail("sendMessage", 502, "Bad Gateway")
    message = send()
    assert message.status == "failed"
    assert 2 <= len(bot_api.sent) <= 10  # bounded


def test_chat_not_found_fails_at_once(send, bot_api):
    bot_api.fail("sendMessage", 400, "Bad Request: chat not found")
    message = send()
    assert message.status == "failed" and message.error
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
