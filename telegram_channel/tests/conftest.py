import pytest

from telegram_channel.tests.bot_api import FakeBotAPI

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
