import json

import pytest

from telegram_channel.tests.bot_api import FakeBotAPI
from twilio_channel.tests.conftest import fake_twilio, twilio_server, twilio_settings  # noqa: F401  (SMS must stay silent)

BOT_TOKEN = "123456:test-telegram-bot-token-secret"
WEBHOOK_SECRET = "test-webhook-secret-0123456789"


@pytest.fixture(scope="session")
def bot_api_server():
    server = FakeBotAPI(token=BOT_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def bot_api(bot_api_server, settings):
    """The loopback Bot API, with the project's real client pointed at it."""
    bot_api_server.reset()
    settings.TELEGRAM_BOT_TOKEN = BOT_TOKEN
    settings.TELEGRAM_API_BASE_URL = bot_api_server.url
    settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.TELEGRAM_BOT_USERNAME = ""
    settings.TELEGRAM_HTTP_TIMEOUT_S = 0.5
    settings.TELEGRAM_POLL_TIMEOUT_S = 0
    yield bot_api_server
    bot_api_server.reset()


CHAT_ID = 4242


def message_update(update_id: int, text: str | None = "Hello", *, chat_id: int = CHAT_ID, **message: object) -> dict:
    """A private-chat `message` update as Telegram sends it."""
    body: dict = {
        "message_id": update_id + 1000,
        "from": {"id": chat_id, "is_bot": False, "first_name": "Ann", "last_name": "Lee", "language_code": "en"},
        "chat": {"id": chat_id, "type": "private", "first_name": "Ann"},
        "date": 1760000000,
        **message,
    }
    if text is not None:
        body["text"] = text
    return {"update_id": update_id, "message": body}


@pytest.fixture
def telegram_post(client, bot_api, django_capture_on_commit_callbacks):
    """POST an update to the webhook as Telegram does: with the secret header unless told otherwise,
    and the tasks queued on commit run (eagerly) unless `broker_down`."""

    def post(update: object, *, secret: str | None = WEBHOOK_SECRET, raw: bytes | None = None, broker_down=False):
        headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret is not None else {}
        body = raw if raw is not None else json.dumps(update)
        with django_capture_on_commit_callbacks(execute=not broker_down):
            return client.post("/telegram/webhook", body, content_type="application/json", **headers)

    return post


@pytest.fixture
def echo(settings):
    """No AI: the chat engine's echo answers everyone (a stranger too)."""
    settings.CHAT_MODE = "echo"
    settings.UNKNOWN_CONTACT_REPLY = "chat"


@pytest.fixture
def ai_on(db, fake_llm):
    """The AI answers every message (the LLM stand-in)."""
    from orchestrator.models import AIConfig

    AIConfig.objects.update_or_create(pk=1, defaults={"enabled": True})
    return fake_llm


def texts_sent(bot_api, chat_id: int = CHAT_ID) -> list[str]:
    return [params["text"] for params in bot_api.sent if str(params["chat_id"]) == str(chat_id)]
