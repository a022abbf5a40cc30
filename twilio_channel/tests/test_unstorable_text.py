"""Issue 23 point 2: text PostgreSQL cannot store (NUL; lone surrogates, which cannot be encoded as
UTF-8) never turns a request into a 500 and never loses a message. Twilio's webhooks and the staff
API keep the message without those characters; DRF and the panel forms refuse them with a 400 or a
form error, storing nothing; a path that carries a NUL is a 404. Each entry point once; these run
on SQLite and, in the PostgreSQL pass, on PostgreSQL, where the 500s were."""

import json
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from messaging.models import Message
from messaging.services.messages import message_send
from reports.models import Report, ReportComment
from reports.tests.factories import ReportFactory
from tests.helpers import client_for
from twilio_channel.tests.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db

OUR_NUMBER = "+15550001111"
ANN = "+48123456789"
NUL_TEXT = "2+2\x00=4"
LONE = "caf\ud800e"  # JSON "\ud800" decodes to this lone surrogate
SID = "SM" + "1" * 32


def webhook_form(body: str, *, from_: str = ANN, to: str = OUR_NUMBER) -> dict:
    return {"From": from_, "To": to, "Body": body, "MessageSid": SID, "SmsStatus": "received", "ProfileName": "A\x00n"}


def json_post(client, path: str, data: dict, method: str = "post"):
    # json.dumps writes a lone surrogate as "\ud800", as a client's JSON would.
    return getattr(client, method)(path, json.dumps(data), content_type="application/json")


def staff_browser() -> Client:
    client = Client()
    client.force_login(UserFactory(is_superuser=True))
    return client


# --- Twilio's webhooks: the message is kept, without the NUL ----------------------------------


@pytest.mark.parametrize(("from_", "to"), [(ANN, OUR_NUMBER), (f"whatsapp:{ANN}", f"whatsapp:{OUR_NUMBER}")])
def test_a_signed_inbound_message_with_a_nul_is_stored_without_it(twilio_post, fake_twilio, settings, from_, to):
    settings.CHAT_MODE = "off"
    response = twilio_post("/twilio/inbound", webhook_form(NUL_TEXT, from_=from_, to=to))
    assert response.status_code == 200
    stored = Message.objects.get(external_id=SID)
    assert stored.content == "2+2=4"


def test_the_json_webhook_keeps_a_message_with_a_nul(twilio_post, fake_twilio, settings):
    settings.CHAT_MODE = "off"
    response = twilio_post("/twilio_webhook", webhook_form(NUL_TEXT))
    assert response.status_code == 200, response.content
    assert Message.objects.get(external_id=SID).content == "2+2=4"


def test_the_unsigned_json_webhook_keeps_a_message_with_a_lone_surrogate(client, twilio_settings, settings):
    settings.TWILIO_VALIDATE_SIGNATURE = False
    settings.CHAT_MODE = "off"
    response = json_post(client, "/twilio_webhook", webhook_form(LONE))
    assert response.status_code == 200, response.content
    assert Message.objects.get(external_id=SID).content == "caf\ufffde"


def test_a_status_callback_with_a_nul_is_applied(twilio_post, fake_twilio):
    message = OutboundMessageFactory(twilio_sid=SID, status="sent")
    form = {"MessageSid": SID, "MessageStatus": "failed", "ErrorCode": "30003", "ErrorMessage": "Unreach\x00able"}
    response = twilio_post(f"/twilio/status?mid={message.pk}", form)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    message.refresh_from_db()
    assert (message.status, message.error) == ("failed", "Unreachable")
    unknown = twilio_post("/twilio/status", {"MessageSid": "SM\x00x", "MessageStatus": "sent"})
    assert unknown.status_code == 200


def test_the_twilio_sync_keeps_listed_messages_with_a_nul(fake_twilio, django_capture_on_commit_callbacks):
    from twilio_channel.services.remote import sync_recent_messages

    # Before the inbound reconcile's window: history, not a lost webhook (answered).
    history = timezone.now() - timedelta(seconds=django_settings.TWILIO_INBOUND_RECONCILE_WINDOW_S + 60)
    fake_twilio.add_message(
        to=OUR_NUMBER, from_=ANN, body="in\x00bound", direction="inbound", status="received", date_created=history
    )
    fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="out\x00bound", status="delivered")
    with django_capture_on_commit_callbacks(execute=True):
        sync_recent_messages(limit=10)
    assert sorted(Message.objects.values_list("content", flat=True)) == ["inbound", "outbound"]


# --- the staff API and the commands: the message goes out, without the NUL ---------------------


@pytest.mark.parametrize(("body", "sent"), [(NUL_TEXT, "2+2=4"), (LONE, "caf\ufffde")])
def test_a_staff_send_keeps_the_message_without_what_cannot_be_stored(fake_twilio, body, sent):
    response = json_post(staff_browser(), "/api/send-message", {"to": ANN, "body": body})
    assert response.status_code == 200, response.content
    assert Message.objects.get(direction="outbound").content == sent
    assert [m["body"] for m in fake_twilio.created()] == [sent]


def test_the_staff_ai_config_stores_a_prompt_without_a_nul(db):
    response = json_post(staff_browser(), "/api/ai/config", {"system_prompt": "Be\x00 brief \ud800."})
    assert response.status_code == 200, response.content
    assert response.json()["system_prompt"] == "Be brief \ufffd."


def test_the_send_command_sends_without_what_cannot_be_stored(fake_twilio):
    # A command line cannot carry a NUL, but an undecodable byte reaches Python as a lone surrogate.
    call_command("send", "--to", ANN, "--body", "caf\udcc3 \x00ok")
    assert [m["body"] for m in fake_twilio.created()] == ["caf\ufffd ok"]


def test_the_ai_send_command_cleans_the_latest_message(fake_twilio, fake_llm):
    from orchestrator.models import AIConfig

    AIConfig.objects.update_or_create(pk=1, defaults={"target_number": ANN, "api_key": "sk-test-0000"})
    call_command("ai-send", "--to", ANN, "--latest", "wh\udcc3at\x00?")
    [request] = fake_llm.requests
    assert "wh\ufffdat?" in json.dumps(request, ensure_ascii=False)


# --- the user API: a 400 naming the field, nothing stored ------------------------------------


def _refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert field in response.content.decode()


@pytest.mark.parametrize("text", [NUL_TEXT, LONE])
def test_messages_and_conversation_posts_refuse_unstorable_text(user, other_user, text):
    client = client_for(user)
    _refused(json_post(client, "/messages", {"recipient_id": other_user.pk, "content": text}), "content")
    key = message_send(sender=other_user, recipient_id=user.pk, content="hi").conversation.key
    _refused(json_post(client, f"/auth/conversations/{key}/messages", {"content": text}), "content")
    assert list(Message.objects.values_list("content", flat=True)) == ["hi"]


@pytest.mark.parametrize("text", [NUL_TEXT, LONE])
def test_reports_refuse_unstorable_text(user, superuser, text):
    client = client_for(user)
    _refused(json_post(client, "/reports", {"title": text, "content": "x"}), "title")
    report = ReportFactory(reporter=user, title="Tap", content="Leaks")
    _refused(json_post(client, f"/reports/{report.pk}", {"content": text}, method="put"), "content")
    comment = json_post(client_for(superuser), f"/reports/{report.pk}/comment", {"comment": text})
    _refused(comment, "comment")
    assert list(Report.objects.values_list("title", "content")) == [("Tap", "Leaks")]
    assert not ReportComment.objects.exists()


@pytest.mark.parametrize("text", [NUL_TEXT, LONE])
def test_profile_and_register_refuse_unstorable_text(user, api_client, text):
    client = client_for(user)
    _refused(json_post(client, "/auth/me", {"full_name": text}, method="put"), "full_name")
    _refused(json_post(client, "/auth/me", {"bio": text}, method="put"), "bio")
    register = {"username": "newbie", "email": "n@example.com", "password": "A-long-pass-1234", "full_name": text}
    _refused(json_post(api_client, "/auth/register", register), "full_name")
    user.refresh_from_db()
    assert "\x00" not in (user.full_name or "") + (user.bio or "")
    assert not type(user).objects.filter(username="newbie").exists()


# --- the panel forms: a form error, nothing stored --------------------------------------------


def test_panel_forms_refuse_a_nul_with_a_form_error(user, other_user, fake_twilio):
    client = Client()
    client.force_login(user)
    key = message_send(sender=other_user, recipient_id=user.pk, content="hi").conversation.key
    assert client.post(f"/app/conversations/{key}/send/", {"content": NUL_TEXT}).status_code in (200, 400)
    assert client.post("/app/reports/", {"title": NUL_TEXT, "content": "x"}).status_code in (200, 400)
    assert client.post("/app/profile/", {"full_name": NUL_TEXT, "bio": ""}).status_code in (200, 400)
    registered = Client().post(
        "/accounts/register/",
        {"username": "newbie", "email": "n@example.com", "full_name": NUL_TEXT,
         "password": "A-long-pass-1234", "password_confirm": "A-long-pass-1234"},
    )  # fmt: skip
    assert registered.status_code in (200, 400)
    staff = staff_browser()
    assert staff.post("/staff/send/", {"to": ANN, "body": NUL_TEXT}).status_code in (200, 400)
    assert staff.post(f"/chat/{ANN}/reply", {"body": NUL_TEXT}).status_code in (200, 302, 400)
    assert list(Message.objects.values_list("content", flat=True)) == ["hi"]
    assert not Report.objects.exists()
    assert fake_twilio.created() == []


# --- paths: a NUL cannot name anything --------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/conversations/%00%ff",
        "/api/conversations/%00/mode",
        "/auth/conversations/conv_%00/messages",
        "/app/conversations/%00/",
        "/chat/%00",
    ],
)
def test_a_path_with_a_nul_is_404(user, path):
    client = staff_browser()
    response = client.post(path, {}) if path.endswith("/mode") else client.get(path)
    assert response.status_code == 404
    api = client_for(user).get("/auth/conversations/conv_%00/messages")
    assert (api.status_code, api.json()) == (404, {"detail": "Not Found"})
    staff_api = client.get("/api/conversations/%00%ff", HTTP_ACCEPT="application/json")
    assert (staff_api.status_code, staff_api.json()) == (404, {"error": "Not Found"})


def test_a_nul_in_a_query_parameter_is_dropped(user, other_user):
    other_user.full_name = "Bea Example"
    other_user.save()
    client = Client()
    client.force_login(user)
    response = client.get("/app/conversations/recipients/?q=B%00ea")
    assert response.status_code == 200
    assert "Bea Example" in response.content.decode()
