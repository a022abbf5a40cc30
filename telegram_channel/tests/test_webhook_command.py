"""`manage.py telegram_webhook set|delete|info` against the loopback Bot API."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from telegram_channel.tests.conftest import BOT_TOKEN, WEBHOOK_SECRET


def run(*args: str) -> str:
    out = StringIO()
    call_command("telegram_webhook", *args, stdout=out)
    return out.getvalue()


def test_set_registers_the_url_the_secret_and_the_updates_taken(bot_api, settings):
    settings.PUBLIC_BASE_URL = "https://messaging.example.com"
    assert "https://messaging.example.com/telegram/webhook" in run("set")
    assert bot_api.called("setWebhook") == [
        {
            "url": "https://messaging.example.com/telegram/webhook",
            "secret_token": WEBHOOK_SECRET,
            "allowed_updates": ["message", "my_chat_member"],
        }
    ]
    assert json.loads(run("info"))["url"] == "https://messaging.example.com/telegram/webhook"
    run("delete")
    assert json.loads(run("info"))["url"] == ""


@pytest.mark.parametrize(
    ("secret", "base", "url", "error"),
    [
        ("", "https://messaging.example.com", "", "TELEGRAM_WEBHOOK_SECRET"),
        (WEBHOOK_SECRET, "", "", "https:// URL"),
        (WEBHOOK_SECRET, "", "http://plain.example.com/telegram/webhook", "https:// URL"),
    ],
)
def test_set_refuses_what_telegram_could_not_use(bot_api, settings, secret, base, url, error):
    settings.TELEGRAM_WEBHOOK_SECRET, settings.PUBLIC_BASE_URL = secret, base
    with pytest.raises(CommandError, match=error):
        run("set", *(["--url", url] if url else []))
    assert bot_api.called("setWebhook") == []


def test_an_api_error_is_a_command_error_without_the_token(bot_api):
    bot_api.fail("getWebhookInfo", 401, "Unauthorized")
    with pytest.raises(CommandError) as caught:
        run("info")
    assert "Unauthorized" in str(caught.value) and BOT_TOKEN not in str(caught.value)


def test_without_a_token_it_says_so(settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    with pytest.raises(CommandError, match=r"Telegram is not configured\."):
        run("info")
