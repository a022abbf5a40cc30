"""Seed 2's staff API (CONTRACT §3.0–3.2, §9.3): who may call it, and each endpoint's answers and
error texts, with sends going through the real twilio SDK to the loopback Twilio."""

import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from inbox.models import AutoReplyConfig, Contact
from messaging.enums import Channel, ConversationMode, Direction
from messaging.models import Conversation, Message
from orchestrator.models import AIConfig
from twilio_channel.models import MessageStatusEvent, OutboundSend
from twilio_channel.tests.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db

TO = "+48123456789"


def call(client, method: str, path: str, body: dict | None = None, **headers):
    if method == "get":
        return client.get(path, **headers)
    return client.post(path, json.dumps(body or {}), content_type="application/json", **headers)


@pytest.fixture
def staff():
    return UserFactory(is_superuser=True)


@pytest.fixture
def staff_api(staff):
    """A staff member's panel session (the Django test client skips CSRF checks)."""
    client = Client()
    client.force_login(staff)
    return client


# --- access (CONTRACT §3.0; every route: test_staff_access.py) ------------------------------


def test_a_staff_session_needs_the_csrf_token_for_unsafe_methods(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    body = json.dumps({"enabled": False, "message": ""})
    refused = client.post("/api/auto-reply/config", body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]
    client.get("/admin/")  # any page that renders a form sets the cookie
    token = client.cookies["csrftoken"].value
    allowed = client.post("/api/auto-reply/config", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert allowed.status_code == 200


def test_health_is_public():
    response = Client().get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "message": "Twilio Chat App running", "env": "dev"}


# --- T3 send ------------------------------------------------------------------------------------


def send(client, **body):
    return call(client, "post", "/api/send-message", body)


def test_a_send_goes_out_now_and_answers_with_its_sid(staff, staff_api, fake_twilio):
    response = send(staff_api, to=TO, body="Hello from the panel")
    assert response.status_code == 200
    [sent] = fake_twilio.created(to=TO)
    assert response.json() == {"sid": sent["sid"], "status": "queued"}
    message = Message.objects.get(external_id=sent["sid"])
    assert (message.direction, message.channel, message.content) == (Direction.OUTBOUND, Channel.SMS, sent["body"])
    assert (message.sender_id, sent["from"]) == (staff.pk, "+15550001111")


def test_a_send_takes_templates_media_and_the_messaging_service(staff_api, fake_twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    response = send(
        staff_api,
        to=TO,
        content_sid="HX" + "2" * 32,
        content_variables='{"1": "Ada"}',
        media_urls="https://example.com/a.png",
        use_messaging_service=True,
    )
    assert response.status_code == 200, response.content
    params = fake_twilio.create_params(response.json()["sid"])
    assert params["MessagingServiceSid"] == ["MG" + "1" * 32]
    assert params["ContentSid"] == ["HX" + "2" * 32]
    assert json.loads(params["ContentVariables"][0]) == {"1": "Ada"}
    assert params["MediaUrl"] == ["https://example.com/a.png"]


def test_an_explicit_default_sender_beats_a_configured_messaging_service(staff_api, fake_twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    response = send(staff_api, to=TO, body="hi", use_messaging_service="false")
    params = fake_twilio.create_params(response.json()["sid"])
    assert (params.get("MessagingServiceSid"), params["From"]) == (None, ["+15550001111"])


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "Field 'to' is required."),
        ({"to": "  ", "body": "x"}, "Field 'to' is required."),
        ({"to": "0048 123", "body": "x"}, "Field 'to' must be E.164 formatted (e.g. +48123456789)"),
        ({"to": TO}, "Provide at least one of: 'body', 'content_sid', or 'media_urls'."),
        ({"to": TO, "body": "x", "use_messaging_service": "maybe"}, "Field 'use_messaging_service' must be a boolean."),
        ({"to": TO, "body": "x", "content_variables": "[1"}, "Field 'content_variables' must be a JSON object."),
        ({"to": TO, "body": "x", "content_variables": "[" * 9999}, "Field 'content_variables' must be a JSON object."),
        ({"to": TO, "media_urls": ["ftp://example.com/a"]}, "media_urls takes at most 10 http(s) URLs"),
    ],
)
def test_bad_sends_are_400_in_the_staff_api_words_and_store_nothing(staff_api, fake_twilio, body, error):
    response = send(staff_api, **body)
    assert (response.status_code, response.json()) == (400, {"error": error})
    assert not Message.objects.exists()
    assert fake_twilio.created() == []


def test_a_body_that_is_not_json_is_refused(staff_api, fake_twilio):
    response = staff_api.post("/api/send-message", "{not json", content_type="application/json")
    assert (response.status_code, response.json()) == (400, {"error": "Request body must be a JSON object."})


def test_an_opted_out_recipient_or_a_closed_whatsapp_window_is_refused_locally(staff_api, fake_twilio):
    Contact.objects.create(number=TO, channel=Channel.SMS, opted_out=True)
    refused = send(staff_api, to=TO, body="hi")
    assert (refused.status_code, refused.json()) == (409, {"error": "Recipient has opted out."})
    closed = send(staff_api, to=f"whatsapp:{TO}", body="hi")
    assert (closed.status_code, closed.json()) == (
        409,
        {"error": "WhatsApp 24-hour window closed; provide content_sid."},
    )
    assert fake_twilio.created() == []


def test_without_credentials_a_send_is_503(staff_api, settings):
    settings.TWILIO_ACCOUNT_SID = ""
    response = send(staff_api, to=TO, body="hi")
    assert (response.status_code, response.json()) == (503, {"error": "Twilio is not configured."})


def test_a_twilio_failure_is_a_generic_502_and_keeps_a_failed_row(staff_api, fake_twilio):
    fake_twilio.fail(400, 21211, "The 'To' number +48123456789 is not a valid phone number.")
    response = send(staff_api, to=TO, body="hi")
    assert (response.status_code, response.json()) == (502, {"error": "Twilio send failed"})
    failed = Message.objects.get()
    assert (failed.status, failed.content, failed.error) == ("failed", "hi", "Error code: 21211 HTTP 400")


@pytest.mark.parametrize(
    "fault",
    [
        lambda twilio: twilio.fail(429),  # rate limited: the request had no effect
        lambda twilio: twilio.fail(503, operation="create"),  # Twilio unavailable
        lambda twilio: twilio.drop(operation="create"),  # the connection dropped before any answer
        lambda twilio: twilio.accept_then_fail(500, operation="create"),  # taken, but the answer lost
    ],
)
def test_a_transient_twilio_error_queues_the_send_with_the_tasks_backoff_and_it_goes_out_once(
    staff_api, fake_twilio, queued_sends, django_capture_on_commit_callbacks, fault
):
    fault(fake_twilio)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = send(staff_api, to=TO, body="Busy Twilio")
        row = Message.objects.get()
        assert (row.status, row.twilio_sid, OutboundSend.objects.get().state) == ("queued", None, "pending")

    assert response.status_code == 202
    body = response.json()
    assert (body["id"], body["sid"], body["status"], body["body"]) == (row.pk, None, "queued", "Busy Twilio")
    assert len(callbacks) == 1  # the `sends` queue, as the task's first retry with its own countdown
    [(args, options)] = queued_sends
    assert args == (row.pk,) and options["retries"] == 1 and 0 <= options["countdown"] <= 2
    row.refresh_from_db()
    [sent] = fake_twilio.created(to=TO)  # sent once (a 5xx that was taken is adopted, not resent)
    assert (row.twilio_sid, OutboundSend.objects.get().state) == (sent["sid"], "sent")


def test_sends_to_one_number_are_rate_limited_across_the_shared_cache(staff_api, fake_twilio, settings):
    settings.TWILIO_SENDS_PER_RECIPIENT_PER_MINUTE = 2
    assert [send(staff_api, to=TO, body=str(n)).status_code for n in range(2)] == [200, 200]
    limited = send(staff_api, to=TO, body="third")
    assert (limited.status_code, limited.json()["error"]) == (
        429,
        "Too many messages to this recipient. Try again later.",
    )
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert send(staff_api, to="+48123456780", body="another number").status_code == 200
    assert len(fake_twilio.created()) == 3


# --- T5, T14 log and stats ---------------------------------------------------------------------


def inbound(number: str = TO, *, channel: str = Channel.SMS, body: str = "hi", at=None, **fields) -> Message:
    prefix = "whatsapp:" if channel == Channel.WHATSAPP else ""
    message = Message.objects.create(
        direction=Direction.INBOUND,
        channel=channel,
        from_number=f"{prefix}{number}",
        to_number=f"{prefix}+15550001111",
        participant_number=number,
        content=body,
        status="received",
        **fields,
    )
    if at is not None:
        Message.objects.filter(pk=message.pk).update(created_at=at)
        message.refresh_from_db()
    return message


def test_the_log_lists_twilio_messages_newest_first_with_limit_and_direction(staff_api):
    now = timezone.now()
    old = inbound(body="old", at=now - timedelta(minutes=2))
    new = OutboundMessageFactory(content="new")
    Message.objects.create(content="a web message", sender_id=1, recipient_id=2)
    body = staff_api.get("/api/messages").json()
    assert [item["id"] for item in body["items"]] == [new.pk, old.pk]
    assert body["count"] == 2
    assert body["items"][0] | {"created_at": None, "updated_at": None} == {
        "id": new.pk, "sid": new.twilio_sid, "direction": "outbound", "to_number": TO, "from_number": "+15550001111",
        "body": "new", "status": "queued", "error": None, "channel": "sms", "num_media": 0, "media": [],
        "retry_of": None, "reply_state": "none", "created_at": None, "updated_at": None,
    }  # fmt: skip
    assert body["items"][0]["created_at"].endswith("Z")
    assert [i["id"] for i in staff_api.get("/api/messages?direction=inbound").json()["items"]] == [old.pk]
    assert staff_api.get("/api/messages?direction=sideways").json()["count"] == 2
    assert staff_api.get("/api/messages?limit=1").json()["count"] == 1
    assert staff_api.get("/api/messages?limit=0").json()["count"] == 1  # clamped to 1
    assert staff_api.get("/api/messages?limit=abc").json()["count"] == 2  # not a number: 50


def test_stats_count_each_direction_and_show_the_newest(staff_api):
    assert staff_api.get("/api/messages/stats").json() == {"total": 0, "inbound": 0, "outbound": 0, "latest": None}
    inbound()
    newest = OutboundMessageFactory()
    body = staff_api.get("/api/messages/stats").json()
    assert (body["total"], body["inbound"], body["outbound"], body["latest"]["id"]) == (2, 1, 1, newest.pk)


# --- T6, T7 threads and the mode switch ---------------------------------------------------------


def test_conversations_are_one_row_per_number_and_channel_with_the_raw_address(staff_api):
    now = timezone.now()
    inbound(body="sms 1", at=now - timedelta(minutes=3))
    inbound(body="sms 2", at=now - timedelta(minutes=2))
    inbound(channel=Channel.WHATSAPP, body="wa", at=now - timedelta(minutes=1))
    OutboundMessageFactory(to_number="+48500600700", participant_number="+48500600700", content="out")
    body = staff_api.get("/api/conversations").json()
    assert body["count"] == 3
    rows = {(row["participant"], row["last_body"], row["total_messages"]) for row in body["items"]}
    assert rows == {("+48500600700", "out", 1), (f"whatsapp:{TO}", "wa", 1), (TO, "sms 2", 2)}
    assert body["items"][0]["participant"] == "+48500600700"  # newest first
    assert staff_api.get("/api/conversations?limit=1").json()["count"] == 1


def test_a_thread_is_one_channel_oldest_first_with_window_opt_out_and_mode(staff_api):
    now = timezone.now()
    first = inbound(channel=Channel.WHATSAPP, body="first", at=now - timedelta(hours=2))
    second = inbound(channel=Channel.WHATSAPP, body="second", at=now - timedelta(hours=1))
    inbound(body="an sms of the same number")
    Contact.objects.create(number=TO, channel=Channel.WHATSAPP, last_inbound_at=now - timedelta(hours=1))
    body = staff_api.get(f"/api/conversations/{quote('whatsapp:' + TO)}").json()
    assert [item["id"] for item in body["items"]] == [first.pk, second.pk]
    assert (body["participant"], body["count"], body["opted_out"], body["mode"]) == (f"whatsapp:{TO}", 2, False, "ai")
    assert body["window_expires_at"].startswith((now + timedelta(hours=23)).strftime("%Y-%m-%dT%H"))
    sms = staff_api.get(f"/api/conversations/{quote(TO)}?limit=1").json()
    assert (sms["count"], sms["window_expires_at"], sms["items"][0]["body"]) == (1, None, "an sms of the same number")


def test_staff_take_a_thread_over_and_hand_it_back(staff_api):
    conversation = Conversation.objects.create(key=f"phone:{TO}", kind="phone", participant_number=TO)
    inbound(conversation=conversation)
    path = f"/api/conversations/{quote(TO)}/mode"
    response = call(staff_api, "post", path, {"mode": "human"})
    assert response.json() == {"participant": TO, "mode": "human"}
    conversation.refresh_from_db()
    assert conversation.mode == ConversationMode.HUMAN
    assert staff_api.get(f"/api/conversations/{quote(TO)}").json()["mode"] == "human"
    assert call(staff_api, "post", path, {"mode": "ai"}).json()["mode"] == "ai"
    bad = call(staff_api, "post", path, {"mode": "robot"})
    assert (bad.status_code, bad.json()) == (400, {"error": "Field 'mode' must be 'ai' or 'human'."})
    unknown = call(staff_api, "post", "/api/conversations/%2B48999888777/mode", {"mode": "human"})
    assert (unknown.status_code, unknown.json()) == (404, {"error": "No conversation with this participant."})


# --- T12–T16 configs ----------------------------------------------------------------------------


def test_auto_reply_config_round_trip_and_its_errors(staff_api):
    assert staff_api.get("/api/auto-reply/config").json() == {"enabled": False, "message": "", "enabled_since": None}
    AIConfig.objects.create(pk=1, enabled=True, target_number=TO)
    saved = call(staff_api, "post", "/api/auto-reply/config", {"enabled": True, "message": "  We are closed.  "}).json()
    assert (saved["enabled"], saved["message"]) == (True, "We are closed.")
    assert saved["enabled_since"] is not None
    assert AIConfig.objects.get().enabled is False  # enabling auto-reply turns the AI off (§4.7)
    for body, error in [
        ({"enabled": True, "message": " "}, "Auto-reply text is required when the feature is enabled."),
        ({"enabled": True, "message": "x" * 641}, "Auto-reply text cannot exceed 640 characters."),
        ({"enabled": "yes please", "message": "x"}, "Field 'enabled' must be a boolean."),
    ]:
        response = call(staff_api, "post", "/api/auto-reply/config", body)
        assert (response.status_code, response.json()) == (400, {"error": error})
    assert AutoReplyConfig.load().message == "We are closed."  # nothing half-saved


def test_ai_config_never_returns_the_key_and_keeps_it_unless_given(staff_api, settings):
    settings.LITELLM_API_KEY = settings.LITELLM_BASEURL = ""
    AutoReplyConfig.objects.create(pk=1, enabled=True, message="closed", enabled_since=timezone.now())
    body = {"enabled": True, "target_number": "+48 123 456 789", "model": "gpt-4o", "temperature": 0.3}
    missing = call(staff_api, "post", "/api/ai/config", body)
    assert missing.json() == {"error": "Provide an API key to enable the AI integration."}
    response = call(staff_api, "post", "/api/ai/config", {**body, "api_key": "sk-secret-key-1234"})
    assert response.status_code == 200, response.content
    saved = response.json()
    assert "sk-secret-key-1234" not in response.content.decode()
    assert saved | {"updated_at": None} == {
        "enabled": True, "system_prompt": "", "target_number": "+48 123 456 789",
        "target_number_normalized": TO, "model": "gpt-4o", "temperature": 0.3, "updated_at": None,
        "has_api_key": True, "api_key_preview": "••••••••••••••1234",
    }  # fmt: skip
    assert AutoReplyConfig.load().enabled is False  # enabling the AI turns the auto-reply off
    kept = call(staff_api, "post", "/api/ai/config", {"enabled": True, "system_prompt": "Be brief."}).json()
    assert (kept["has_api_key"], kept["system_prompt"], kept["model"]) == (True, "Be brief.", "gpt-4o")
    assert staff_api.get("/api/ai/config").json() == kept
    cleared = call(staff_api, "post", "/api/ai/config", {"enabled": False, "api_key": ""}).json()
    assert (cleared["has_api_key"], cleared["api_key_preview"]) == (False, None)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"enabled": False, "temperature": "hot"}, "Temperature must be a number."),
        ({"enabled": False, "temperature": 2.5}, "Temperature must be in the range 0-2."),
        ({"enabled": True, "target_number": "", "api_key": "sk-x"}, "Provide the conversation partner's number."),
    ],
)
def test_ai_config_errors_are_400_and_change_nothing(staff_api, body, error):
    response = call(staff_api, "post", "/api/ai/config", body)
    assert (response.status_code, response.json()) == (400, {"error": error})
    assert not AIConfig.objects.filter(enabled=True).exists()


# --- retry (CONTRACT §9.3 point 5) ------------------------------------------------------------


def failed_message(**fields) -> Message:
    message = OutboundMessageFactory(status="failed", error="Error code: 30003", twilio_sid=None, **fields)
    OutboundSend.objects.create(message=message, state="failed")
    return message


def test_a_retry_is_a_new_row_sent_from_the_queue_and_the_failed_one_stays(
    staff_api, fake_twilio, django_capture_on_commit_callbacks
):
    failed = failed_message(content="try again")
    with django_capture_on_commit_callbacks(execute=True):
        response = call(staff_api, "post", f"/api/messages/{failed.pk}/retry")
    assert response.status_code == 202, response.content
    retry = Message.objects.get(pk=response.json()["id"])
    assert (response.json()["retry_of"], retry.retry_of_id, retry.content) == (failed.pk, failed.pk, "try again")
    [sent] = fake_twilio.created(to=TO)  # the eager test queue ran the send task
    retry.refresh_from_db()
    assert (retry.twilio_sid, retry.status) == (sent["sid"], "queued")
    failed.refresh_from_db()
    assert (failed.status, failed.error) == ("failed", "Error code: 30003")


def test_only_failed_outbound_messages_are_retried(staff_api, fake_twilio):
    sent = OutboundMessageFactory(status="delivered")
    refused = call(staff_api, "post", f"/api/messages/{sent.pk}/retry")
    assert (refused.status_code, refused.json()) == (409, {"error": "Only failed outbound messages can be retried."})
    missing = call(staff_api, "post", "/api/messages/999999/retry")
    assert (missing.status_code, missing.json()) == (404, {"error": "Message not found."})
    assert fake_twilio.created() == []


def test_a_retry_to_a_contact_who_opted_out_since_is_refused(staff_api, fake_twilio):
    failed = failed_message()
    Contact.objects.create(number=TO, channel=Channel.SMS, opted_out=True)
    response = call(staff_api, "post", f"/api/messages/{failed.pk}/retry")
    assert (response.status_code, response.json()) == (409, {"error": "Recipient has opted out."})
    assert Message.objects.count() == 1


def test_the_admin_retries_failed_messages(admin_client, fake_twilio, django_capture_on_commit_callbacks):
    failed = failed_message(content="from the console")
    delivered = OutboundMessageFactory(status="delivered")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/twilio_channel/twiliomessage/",
            {"action": "retry", "_selected_action": [failed.pk, delivered.pk]},
            follow=True,
        )
    text = response.content.decode()
    assert "Queued 1 retry message(s)" in text
    assert "Only failed outbound messages can be retried." in text
    retry = Message.objects.get(retry_of=failed)
    assert [m["body"] for m in fake_twilio.created()] == ["from the console"]
    assert retry.status == "queued"
    MessageStatusEvent.objects.create(
        message=failed, twilio_sid="SM" + "9" * 32, status="undelivered", error_code="30003"
    )
    page = admin_client.get(f"/admin/twilio_channel/twiliomessage/{failed.pk}/change/").content.decode()
    assert "Status timeline" in page and "undelivered" in page and "30003" in page
