import pytest
from twilio.request_validator import RequestValidator

AUTH_TOKEN = "test-twilio-auth-token-0123456789"
ACCOUNT_SID = "AC" + "0" * 32
PUBLIC_BASE_URL = "https://messaging.example.com"


@pytest.fixture
def twilio_settings(settings):
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_DEFAULT_FROM = "+15550001111"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_VALIDATE_SIGNATURE = True
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    settings.WHATSAPP_FALLBACK_CONTENT_SID = ""
    return settings


def signature(path: str, form: dict, *, token: str = AUTH_TOKEN, base: str = PUBLIC_BASE_URL) -> str:
    """X-Twilio-Signature as Twilio computes it for a POST of `form` to `base + path`."""
    return RequestValidator(token).compute_signature(base + path, form)


@pytest.fixture
def twilio_post(client, twilio_settings):
    """POST a form to a webhook as Twilio does: signed unless `signed=False`."""

    def post(path: str, form: dict, *, signed: bool = True, sign_as: dict | None = None, **signature_args):
        headers = {}
        if signed:
            headers["HTTP_X_TWILIO_SIGNATURE"] = signature(path, sign_as or form, **signature_args)
        return client.post(path, form, **headers)

    return post


@pytest.fixture(scope="session")
def twilio_server():
    from tests.fakes.twilio_server import FakeTwilioServer

    server = FakeTwilioServer(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def fake_twilio(twilio_server, twilio_settings):
    """The loopback Twilio Messages API, with the project's client pointed at it (the real SDK)."""
    twilio_server.reset()
    twilio_settings.TWILIO_API_BASE_URL = twilio_server.url
    twilio_settings.TWILIO_HTTP_TIMEOUT_S = 1
    yield twilio_server
    twilio_server.reset()


@pytest.fixture
def ai_enabled(db):
    """AI auto-reply mode on (CONTRACT §4.7): the AI answers every inbound message."""
    from orchestrator.models import AIConfig

    AIConfig.objects.update_or_create(pk=1, defaults={"enabled": True, "target_number": "+48123456789"})


@pytest.fixture
def queued_sends(monkeypatch):
    """The options of every send_message task queued (the eager task still runs)."""
    from tests.helpers import queued_calls
    from twilio_channel.tasks import send_message

    return queued_calls(monkeypatch, send_message)
