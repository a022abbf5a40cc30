"""Issue 23 point 3: a staff write never reads a broken body as "every field absent". A body that is
not a JSON object is a 400 that changes nothing, and a field left out keeps its stored value."""

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from inbox.models import AutoReplyConfig
from messaging.models import Message
from orchestrator.models import AIConfig
from twilio_channel.tests.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db

TARGET = "+48123456789"
KEY = "sk-stored-key-1234"
NOT_AN_OBJECT = {"error": "Request body must be a JSON object."}
SID = "SM" + "a" * 32

WRITE_ROUTES = [
    "/api/send-message",
    "/api/messages/1/retry",
    f"/api/messages/{SID}/redact",
    f"/api/conversations/{TARGET}/mode",
    "/api/auto-reply/config",
    "/api/ai/config",
    "/api/ai/test",
    "/api/ai/send",
    "/api/ai/reply",
]
BROKEN_BODIES = ['{"enabled": ', "[true]", '"enabled"', "true", b'{"enabled": "\xff"}']


@pytest.fixture
def staff_api():
    client = Client()
    client.force_login(UserFactory(is_superuser=True))
    return client


@pytest.fixture
def configured(db, settings):
    """The AI auto-reply on with a stored key, the auto-reply's text saved (switched off)."""
    settings.LITELLM_API_KEY = settings.LITELLM_BASEURL = ""
    ai = AIConfig.objects.create(
        pk=1, enabled=True, target_number=TARGET, api_key=KEY, model="gpt-4o", system_prompt="Be kind."
    )
    AutoReplyConfig.objects.create(pk=1, enabled=False, message="We are closed.")
    return ai


def post(client: Client, path: str, body: str | bytes):
    return client.post(path, body, content_type="application/json")


@pytest.mark.parametrize("path", WRITE_ROUTES)
@pytest.mark.parametrize("body", BROKEN_BODIES)
def test_a_body_that_is_not_a_json_object_is_a_400_that_changes_nothing(staff_api, configured, fake_twilio, path, body):
    OutboundMessageFactory(pk=1, status="failed", twilio_sid=None)
    before = AIConfig.objects.get().updated_at
    response = post(staff_api, path, body)
    assert (response.status_code, response.json()) == (400, NOT_AN_OBJECT)
    ai = AIConfig.objects.get()
    assert (ai.enabled, ai.model, ai.system_prompt, ai.api_key, ai.updated_at) == (
        True, "gpt-4o", "Be kind.", KEY, before,
    )  # fmt: skip
    assert (AutoReplyConfig.load().enabled, AutoReplyConfig.load().message) == (False, "We are closed.")
    assert Message.objects.count() == 1
    assert fake_twilio.created() == []


def test_an_empty_body_still_reads_as_no_fields(staff_api, configured):
    response = staff_api.post("/api/send-message", "", content_type="application/json")
    assert (response.status_code, response.json()) == (400, {"error": "Field 'to' is required."})


def test_ai_config_fields_left_out_keep_their_values_the_switch_too(staff_api, configured):
    since = configured.enabled_since
    response = post(staff_api, "/api/ai/config", '{"system_prompt": "Be brief."}')
    assert response.status_code == 200, response.content
    ai = AIConfig.objects.get()
    assert (ai.enabled, ai.system_prompt, ai.model, ai.target_number, ai.api_key, ai.enabled_since) == (
        True, "Be brief.", "gpt-4o", TARGET, KEY, since,
    )  # fmt: skip
    assert response.json()["enabled"] is True
    off = post(staff_api, "/api/ai/config", '{"enabled": false}')
    assert off.json()["enabled"] is False
    assert (AIConfig.objects.get().system_prompt, AIConfig.objects.get().model) == ("Be brief.", "gpt-4o")


def test_a_partial_ai_config_change_is_checked_against_the_stored_switch(staff_api, configured):
    response = post(staff_api, "/api/ai/config", '{"target_number": ""}')
    assert (response.status_code, response.json()) == (400, {"error": "Provide the conversation partner's number."})
    assert AIConfig.objects.get().target_number == TARGET


def test_auto_reply_fields_left_out_keep_their_values(staff_api, configured):
    on = post(staff_api, "/api/auto-reply/config", '{"enabled": true}')
    assert on.json() | {"enabled_since": None} == {"enabled": True, "message": "We are closed.", "enabled_since": None}
    assert AIConfig.objects.get().enabled is False  # enabling the auto-reply still turns the AI off
    since = AutoReplyConfig.load().enabled_since
    text = post(staff_api, "/api/auto-reply/config", '{"message": "Back on Monday."}')
    assert (text.json()["enabled"], text.json()["message"]) == (True, "Back on Monday.")
    assert AutoReplyConfig.load().enabled_since == since
    refused = post(staff_api, "/api/auto-reply/config", '{"message": " "}')
    assert refused.json() == {"error": "Auto-reply text is required when the feature is enabled."}
    assert AutoReplyConfig.load().message == "Back on Monday."


def test_a_mode_switch_without_a_mode_is_refused(staff_api, configured):
    response = post(staff_api, f"/api/conversations/{TARGET}/mode", "{}")
    assert (response.status_code, response.json()) == (400, {"error": "Field 'mode' must be 'ai' or 'human'."})


PANEL_WRITES = [
    "/staff/send/",
    "/staff/auto-reply/",
    "/staff/ai/",
    "/staff/ai/test/",
    "/staff/messages/1/retry/",
    f"/chat/{TARGET}/reply",
    f"/chat/{TARGET}/mode",
    "/staff/handoff/1/answer/",
    "/staff/handoff/1/mode/",
]


@pytest.mark.parametrize("path", PANEL_WRITES)
@pytest.mark.parametrize("body", ['{"enabled": ', '{"message": "x"}', ""])
def test_a_staff_panel_write_that_is_not_a_form_is_a_400_that_changes_nothing(
    staff_api, configured, fake_twilio, path, body
):
    # An empty form would read as "every box unticked": the auto-reply's message blank and off.
    AutoReplyConfig.objects.filter(pk=1).update(enabled=True, message="We are closed.")
    AIConfig.objects.filter(pk=1).update(enabled=False)
    response = post(staff_api, path, body)
    assert response.status_code == 400
    assert (AutoReplyConfig.load().enabled, AutoReplyConfig.load().message) == (True, "We are closed.")
    assert not Message.objects.exists()
    assert fake_twilio.created() == []


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/plain", '{"enabled": "yes"}'), ("application/x-www-form-urlencoded", "enabled=yes")],
)
def test_a_json_body_under_another_type_and_a_form_are_read_by_the_same_rules(
    staff_api, configured, content_type, body
):
    # Seed 2 read any body that is not a form as JSON: no 415 for a script that sends text/plain.
    response = staff_api.post("/api/auto-reply/config", body, content_type=content_type)
    assert (response.status_code, response.json()) == (400, {"error": "Field 'enabled' must be a boolean."})
    response = staff_api.post("/api/auto-reply/config", body.replace("yes", "true"), content_type=content_type)
    assert (response.status_code, response.json()["enabled"]) == (200, True)
    assert AutoReplyConfig.load().message == "We are closed."
