"""The Bot API client over HTTP against the loopback stand-in: results, errors, and the token kept
out of every log line and error text."""

import logging

import pytest

from telegram_channel.client import TelegramError, TelegramNotConfigured, telegram_client
from telegram_channel.tests.bot_api import BOT_USERNAME
from telegram_channel.tests.conftest import BOT_TOKEN


def test_a_call_returns_telegrams_result(bot_api):
    assert telegram_client().call("getMe")["username"] == BOT_USERNAME
    sent = telegram_client().send_message(chat_id="42", text="Hi")
    assert sent["text"] == "Hi" and bot_api.sent == [{"chat_id": "42", "text": "Hi"}]


def test_without_a_token_telegram_is_not_configured(settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    with pytest.raises(TelegramNotConfigured):
        telegram_client()


@pytest.mark.parametrize(
    ("fault", "status", "retry_after", "reached"),
    [
        ({"status": 429, "description": "Too Many Requests: retry after 7", "retry_after": 7}, 429, 7, True),
        ({"status": 403, "description": "Forbidden: bot was blocked by the user"}, 403, None, True),
        ({"status": 400, "description": "Bad Request: chat not found"}, 400, None, True),
        ({"status": 502, "description": "Bad Gateway"}, 502, None, True),
        ({"delay": 1.0}, None, None, True),  # over the 0.5 s timeout: no answer
    ],
)
def test_errors_keep_status_description_and_retry_after(bot_api, fault, status, retry_after, reached):
    bot_api.fail("sendMessage", **fault)
    with pytest.raises(TelegramError) as caught:
        telegram_client().send_message(chat_id="42", text="Hi")
    assert (caught.value.status, caught.value.retry_after, caught.value.reached) == (status, retry_after, reached)
    if fault.get("description"):
        assert caught.value.description == fault["description"]


def test_an_unreachable_api_never_got_the_request(settings, bot_api):
    settings.TELEGRAM_API_BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(TelegramError) as caught:
        telegram_client().send_message(chat_id="42", text="Hi")
    assert caught.value.status is None and caught.value.reached is False


def test_the_token_never_reaches_a_log_line_or_an_error(bot_api, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # whatever level an SDK imported earlier left it at
    bot_api.fail("sendMessage", delay=1.0)
    bot_api.fail("sendMessage", 401, f"Unauthorized /bot{BOT_TOKEN}/sendMessage")
    texts = []
    for _ in range(2):
        with pytest.raises(TelegramError) as caught:
            telegram_client().send_message(chat_id="42", text="Hi")
        texts += [str(caught.value), repr(caught.value), repr(caught.value.__cause__), repr(caught.value.__context__)]
    telegram_client().call("getMe")
    logged = [record.getMessage() for record in caplog.records]
    assert any("/bot*****/getMe" in line for line in logged)  # httpx's request line, masked
    assert not [text for text in texts + logged if BOT_TOKEN in text or "test-telegram-bot-token" in text]
