"""A webhook refused with a 403 says why in one WARNING of `twilio_webhook` (issue 28 point 3):
no auth token configured, no X-Twilio-Signature header, or a signature that does not match (with
the URL it was checked against, to compare with the one Twilio called). Never the token nor a
signature."""

import logging

import pytest
from twilio.request_validator import RequestValidator

from tests.helpers import capturing
from twilio_channel.tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL

pytestmark = pytest.mark.django_db

FORM = {"From": "+48123456789", "To": "+15550001111", "Body": "Hi", "MessageSid": "SM" + "a" * 32}
STATUS_FORM = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"}
PATHS = [("/twilio/inbound", FORM), ("/twilio_webhook", FORM), ("/twilio/status?mid=7", STATUS_FORM)]


@pytest.fixture
def refused(twilio_post, caplog):
    """POST as `twilio_post` does; the response must be a 403, and the WARNINGs it logged come back."""

    def post(path: str, form: dict, **kwargs) -> list[str]:
        with capturing(caplog, "twilio_webhook", level=logging.WARNING):
            response = twilio_post(path, form, **kwargs)
        assert response.status_code == 403
        lines = [record.getMessage() for record in caplog.records if record.name == "twilio_webhook"]
        for line in lines:
            assert AUTH_TOKEN not in line
        caplog.clear()
        return lines

    return post


@pytest.mark.parametrize(("path", "form"), PATHS)
def test_no_auth_token_is_named(refused, settings, path, form):
    settings.TWILIO_AUTH_TOKEN = ""
    [line] = refused(path, form)
    assert "refused (403)" in line and "TWILIO_AUTH_TOKEN is not set" in line
    assert path.split("?")[0] in line


@pytest.mark.parametrize(("path", "form"), PATHS)
def test_a_missing_signature_header_is_named(refused, path, form):
    [line] = refused(path, form, signed=False)
    assert "no X-Twilio-Signature header" in line


@pytest.mark.parametrize(("path", "form"), PATHS)
def test_a_mismatch_names_the_url_it_was_checked_against_and_no_secret(refused, path, form):
    [line] = refused(path, form, base="https://internal.example.com:8000")  # Twilio called another URL
    assert "does not match" in line and "PUBLIC_BASE_URL" in line
    assert f"checked against {PUBLIC_BASE_URL}{path}" in line
    expected = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + path, form)
    assert expected not in line


def test_without_public_base_url_the_mismatch_says_the_host_was_used(refused, settings):
    settings.PUBLIC_BASE_URL = ""
    [line] = refused("/twilio/inbound", FORM, base="https://sms.example.com")
    assert "checked against http://testserver/twilio/inbound" in line
    assert "PUBLIC_BASE_URL is not set" in line


def test_a_phone_number_in_the_url_is_masked(refused):
    [line] = refused("/twilio/inbound?to=%2B48123456789", FORM, token="not-the-token")
    assert "48123456789" not in line


def test_an_accepted_webhook_logs_no_warning(twilio_post, caplog, settings):
    settings.CHAT_MODE = "off"
    with capturing(caplog, "twilio_webhook", level=logging.WARNING):
        assert twilio_post("/twilio/inbound", FORM).status_code == 200
    assert [r for r in caplog.records if r.name == "twilio_webhook"] == []
