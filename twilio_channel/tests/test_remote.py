"""Twilio's own copy of the messages over the staff API (CONTRACT §3.1 T8–T11, §3.0 access): the
remote list, fetch, redaction and deletion, through the real twilio SDK against the loopback
Twilio. Twilio first, then the local row; a Twilio failure leaves the local row as it was."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from messaging.models import Message
from tests.helpers import client_for
from twilio_channel.tests.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db

OUR_NUMBER = "+15550001111"
ANN = "+48123456789"
BOB = "+48987654321"
API_KEY = "staff-api-key-for-tests-0123456789"


@pytest.fixture
def staff(db, fake_twilio) -> Client:
    client = Client()
    client.force_login(UserFactory(is_superuser=True))
    return client


def _at(minutes_ago: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes_ago)


# --- T8: GET /api/messages/remote ----------------------------------------------------------------


def test_the_remote_list_comes_from_twilio_newest_first_and_is_upserted(staff, fake_twilio):
    sent_at = _at(30)
    old = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="Old news", date_created=sent_at)
    new = fake_twilio.add_inbound(from_=f"whatsapp:{BOB}", to=f"whatsapp:{OUR_NUMBER}", body="Hi", date_created=_at(1))

    response = staff.get("/api/messages/remote")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and [item["sid"] for item in body["items"]] == [new["sid"], old["sid"]]
    item = body["items"][1]
    assert set(item) == {
        "sid", "status", "direction", "from", "to", "body", "num_media", "num_segments", "error_code",
        "error_message", "messaging_service_sid", "price", "price_unit", "date_created", "date_updated", "date_sent",
    }  # fmt: skip
    assert (item["direction"], item["from"], item["to"], item["body"], item["status"]) == (
        "outbound-api",
        OUR_NUMBER,
        ANN,
        "Old news",
        "delivered",
    )
    assert datetime.fromisoformat(item["date_created"]) == sent_at
    assert item["date_created"].endswith("+00:00")

    outbound = Message.objects.get(external_id=old["sid"])
    assert (outbound.direction, outbound.channel, outbound.content, outbound.status) == (
        "outbound",
        "sms",
        "Old news",
        "delivered",
    )
    assert outbound.created_at == sent_at and outbound.conversation.key == f"phone:{ANN}"
    inbound = Message.objects.get(external_id=new["sid"])
    assert (inbound.direction, inbound.channel, inbound.participant_number) == ("inbound", "whatsapp", BOB)
    assert (inbound.from_number, inbound.to_number) == (f"whatsapp:{BOB}", f"whatsapp:{OUR_NUMBER}")
    assert inbound.conversation.key == f"whatsapp:{BOB}"

    staff.get("/api/messages/remote")  # unthrottled: Twilio is asked again, nothing is stored twice
    assert len(fake_twilio.calls("list")) == 2
    assert Message.objects.count() == 2


def test_the_remote_list_passes_its_filters_to_twilio(staff, fake_twilio):
    fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="To Ann", date_created=_at(60 * 24 * 3))
    recent = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="To Ann again", date_created=_at(5))
    fake_twilio.add_message(to=BOB, from_=OUR_NUMBER, body="To Bob", date_created=_at(4))
    after = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    response = staff.get("/api/messages/remote", {"to": ANN, "from": OUR_NUMBER, "date_sent_after": after})

    assert [item["sid"] for item in response.json()["items"]] == [recent["sid"]]
    query = fake_twilio.calls("list")[-1].query
    assert (query["To"], query["From"], query["DateSent>"]) == (ANN, OUR_NUMBER, after)
    assert list(Message.objects.values_list("external_id", flat=True)) == [recent["sid"]]


def test_unparsable_dates_are_dropped_and_the_limit_is_clamped(staff, fake_twilio):
    for n in range(3):
        fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body=f"Message {n}", date_created=_at(10 - n))

    response = staff.get("/api/messages/remote", {"date_sent": "yesterday", "date_sent_before": "2024-13-45"})
    assert response.status_code == 200 and response.json()["count"] == 3
    query = fake_twilio.calls("list")[-1].query
    assert not {"DateSent", "DateSent<", "DateSent>"} & set(query)
    assert query["PageSize"] == "20"  # the default limit

    assert staff.get("/api/messages/remote", {"limit": "0"}).json()["count"] == 1
    staff.get("/api/messages/remote", {"limit": "5000"})
    assert fake_twilio.calls("list")[-1].query["PageSize"] == "100"
    staff.get("/api/messages/remote", {"limit": "lots"})
    assert fake_twilio.calls("list")[-1].query["PageSize"] == "20"


def test_a_naive_date_filter_is_read_as_utc(staff, fake_twilio):
    staff.get("/api/messages/remote", {"date_sent_before": "2024-05-06T07:08:09"})
    assert fake_twilio.calls("list")[-1].query["DateSent<"] == "2024-05-06T07:08:09Z"
    staff.get("/api/messages/remote", {"date_sent_before": "2024-05-06T09:08:09+02:00"})
    assert fake_twilio.calls("list")[-1].query["DateSent<"] == "2024-05-06T07:08:09Z"


def test_a_twilio_failure_of_the_remote_list_is_a_502_with_its_code_only(staff, fake_twilio, caplog):
    fake_twilio.fail(500, message="Internal details of Twilio", operation="list")
    response = staff.get("/api/messages/remote")
    assert response.status_code == 502
    assert response.json() == {"error": "Error code: 20500 HTTP 500"}


def test_the_remote_routes_answer_503_without_twilio_credentials(staff, fake_twilio, settings):
    settings.TWILIO_ACCOUNT_SID = ""
    sid = "SM" + "a" * 32
    for response in (
        staff.get("/api/messages/remote"),
        staff.get(f"/api/messages/{sid}"),
        staff.post(f"/api/messages/{sid}/redact"),
        staff.delete(f"/api/messages/{sid}"),
    ):
        assert response.status_code == 503
        assert response.json() == {"error": "Twilio is not configured."}
    assert fake_twilio.requests == []


# --- T9: GET /api/messages/<sid> -----------------------------------------------------------------


def test_a_message_is_fetched_from_twilio_and_upserted(staff, fake_twilio):
    remote = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="Fetched", status="sent")
    local = OutboundMessageFactory(twilio_sid=remote["sid"], status="queued", content="Fetched")
    fake_twilio.set_status(remote["sid"], "delivered", price="-0.0075")

    response = staff.get(f"/api/messages/{remote['sid']}")

    assert response.status_code == 200
    item = response.json()["item"]
    assert (item["sid"], item["status"], item["price"], item["price_unit"]) == (
        remote["sid"],
        "delivered",
        "-0.0075",
        "USD",
    )
    assert item["date_sent"] is not None
    local.refresh_from_db()
    assert local.status == "delivered"
    assert Message.objects.count() == 1


def test_an_unknown_sid_is_a_404_and_stores_nothing(staff, fake_twilio):
    response = staff.get("/api/messages/SM" + "b" * 32)
    assert response.status_code == 404
    assert response.json() == {"error": "Message not found."}
    assert not Message.objects.exists()


def test_only_twilio_sid_shapes_reach_the_sid_routes(staff, fake_twilio):
    for path in ("/api/messages/not-a-sid", "/api/messages/sm" + "a" * 32, "/api/messages/SM" + "g" * 32):
        assert staff.get(path).status_code == 404
    assert fake_twilio.requests == []
    assert staff.get("/api/messages/MM" + "A1" * 16).status_code == 404  # a media SID shape: asked
    assert len(fake_twilio.calls("fetch")) == 1


def test_the_routes_take_a_trailing_slash_too(staff, fake_twilio):
    remote = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="Slash")
    assert staff.get("/api/messages/remote/").json()["count"] == 1
    assert staff.get(f"/api/messages/{remote['sid']}/").json()["item"]["sid"] == remote["sid"]
    assert staff.post(f"/api/messages/{remote['sid']}/redact/").json()["body"] == ""
    assert staff.delete(f"/api/messages/{remote['sid']}/").json()["deleted"] is True


# --- T10: POST /api/messages/<sid>/redact --------------------------------------------------------


def test_redact_blanks_the_body_in_twilio_then_locally(staff, fake_twilio):
    remote = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="My PIN is 1234")
    local = OutboundMessageFactory(twilio_sid=remote["sid"], content="My PIN is 1234", status="delivered")

    response = staff.post(f"/api/messages/{remote['sid']}/redact")

    assert response.status_code == 200
    assert response.json() == {"sid": remote["sid"], "body": "", "status": "delivered"}
    assert fake_twilio.message(remote["sid"])["body"] == ""
    assert fake_twilio.calls("update")[-1].form == {"Body": ""}
    local.refresh_from_db()
    assert local.content == ""


def test_redact_of_a_message_not_stored_here_stores_it_blank(staff, fake_twilio):
    remote = fake_twilio.add_inbound(from_=BOB, to=OUR_NUMBER, body="Secret")
    assert staff.post(f"/api/messages/{remote['sid']}/redact").status_code == 200
    assert Message.objects.get(external_id=remote["sid"]).content == ""


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"status": 500}, "Error code: 20500 HTTP 500"),
        ({"status": 429}, "Error code: 20429 HTTP 429"),
        ({"status": 400, "code": 20001, "message": "Bad"}, "Error code: 20001 HTTP 400"),
    ],
)
def test_a_failed_redact_is_a_400_and_leaves_the_local_row(staff, fake_twilio, fault, error):
    remote = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="Keep me")
    local = OutboundMessageFactory(twilio_sid=remote["sid"], content="Keep me")
    fake_twilio.fail(**fault, operation="update")

    response = staff.post(f"/api/messages/{remote['sid']}/redact")

    assert response.status_code == 400
    assert response.json() == {"error": error}
    local.refresh_from_db()
    assert local.content == "Keep me"
    assert fake_twilio.message(remote["sid"])["body"] == "Keep me"


def test_a_redact_that_cannot_reach_twilio_leaves_the_local_row(staff, fake_twilio):
    remote = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="Keep me")
    local = OutboundMessageFactory(twilio_sid=remote["sid"], content="Keep me")
    fake_twilio.drop(operation="update")

    response = staff.post(f"/api/messages/{remote['sid']}/redact")

    assert response.status_code == 400
    assert response.json()["error"].startswith("Twilio unreachable")
    assert "127.0.0.1" not in response.json()["error"]
    local.refresh_from_db()
    assert local.content == "Keep me"


# --- T11: DELETE /api/messages/<sid> -------------------------------------------------------------


def test_delete_removes_the_message_in_twilio_then_locally(staff, fake_twilio):
    remote = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="Gone soon", date_created=_at(1))
    older = OutboundMessageFactory(content="Stays", created_at=_at(10))
    local = OutboundMessageFactory(twilio_sid=remote["sid"], content="Gone soon", conversation=None)

    response = staff.delete(f"/api/messages/{remote['sid']}")

    assert response.status_code == 200
    assert response.json() == {"sid": remote["sid"], "deleted": True}
    assert fake_twilio.message(remote["sid"]) is None
    assert not Message.objects.filter(pk=local.pk).exists()
    assert Message.objects.filter(pk=older.pk).exists()


def test_delete_moves_the_conversation_back_to_its_newest_message(staff, fake_twilio):
    sent_at = _at(1)
    remote = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="Newest", date_created=sent_at)
    staff.get("/api/messages/remote")  # stores it in Ann's thread
    newest = Message.objects.get(external_id=remote["sid"])
    earlier = OutboundMessageFactory(conversation=newest.conversation, created_at=_at(10))
    assert newest.conversation.last_message_at == sent_at

    staff.delete(f"/api/messages/{remote['sid']}")

    newest.conversation.refresh_from_db()
    assert newest.conversation.last_message_at == earlier.created_at


@pytest.mark.parametrize("status", [500, 503, 404])
def test_a_failed_delete_is_a_400_and_keeps_the_local_row(staff, fake_twilio, status):
    remote = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="Keep me")
    local = OutboundMessageFactory(twilio_sid=remote["sid"])
    fake_twilio.fail(status, operation="delete")

    response = staff.delete(f"/api/messages/{remote['sid']}")

    assert response.status_code == 400
    assert response.json() == {"error": f"Error code: {20000 + status} HTTP {status}"}
    assert Message.objects.filter(pk=local.pk).exists()
    assert fake_twilio.message(remote["sid"]) is not None


def test_deleting_a_message_twilio_does_not_have_keeps_the_local_row(staff, fake_twilio):
    local = OutboundMessageFactory()
    response = staff.delete(f"/api/messages/{local.twilio_sid}")
    assert response.status_code == 400
    assert response.json() == {"error": "Error code: 20404 HTTP 404"}
    assert Message.objects.filter(pk=local.pk).exists()


# --- who may call them (CONTRACT §3.0) -----------------------------------------------------------


def _routes(sid: str) -> list[tuple[str, str]]:
    return [
        ("get", "/api/messages/remote"),
        ("get", f"/api/messages/{sid}"),
        ("post", f"/api/messages/{sid}/redact"),
        ("delete", f"/api/messages/{sid}"),
    ]


SID = "SM" + "c" * 32


@pytest.mark.parametrize(("method", "path"), _routes(SID))
def test_anonymous_callers_get_401(fake_twilio, method, path):
    response = getattr(APIClient(), method)(path)
    assert response.status_code == 401
    assert response.json() == {"error": "Authentication required."}
    assert fake_twilio.requests == []


@pytest.mark.parametrize(("method", "path"), _routes(SID))
def test_regular_users_get_403_by_token_and_by_session(fake_twilio, method, path):
    user = UserFactory()
    session = Client()
    session.force_login(user)
    for client in (client_for(user), session):
        response = getattr(client, method)(path)
        assert response.status_code == 403
        assert response.json() == {"error": "Forbidden."}
    assert fake_twilio.requests == []


def test_a_wrong_api_key_gets_401(fake_twilio, settings):
    settings.APP_API_KEY = API_KEY
    response = APIClient().get("/api/messages/remote", HTTP_X_API_KEY="not-the-key")
    assert response.status_code == 401 and response.json() == {"error": "Authentication required."}
    settings.APP_API_KEY = ""
    response = APIClient().get("/api/messages/remote", HTTP_X_API_KEY="")
    assert response.status_code == 401


def _callers(settings) -> dict:
    settings.APP_API_KEY = API_KEY
    staff = Client()
    staff.force_login(UserFactory(is_superuser=True))
    key = APIClient()
    key.credentials(HTTP_X_API_KEY=API_KEY)
    return {"staff session": staff, "superuser token": client_for(UserFactory(is_superuser=True)), "API key": key}


def test_staff_session_superuser_token_and_api_key_may_call_every_route(fake_twilio, settings):
    for name, client in _callers(settings).items():
        remote = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body=f"For the {name}")
        sid = remote["sid"]
        assert client.get("/api/messages/remote").status_code == 200, name
        assert client.get(f"/api/messages/{sid}").json()["item"]["body"] == f"For the {name}", name
        assert client.post(f"/api/messages/{sid}/redact").json()["body"] == "", name
        assert client.delete(f"/api/messages/{sid}").json() == {"sid": sid, "deleted": True}, name
        assert not Message.objects.filter(external_id=sid).exists()


def test_a_staff_session_needs_the_csrf_token_to_change_anything(fake_twilio):
    remote = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="Keep me")
    local = OutboundMessageFactory(twilio_sid=remote["sid"], content="Keep me")
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(is_superuser=True))

    assert client.delete(f"/api/messages/{remote['sid']}").status_code == 403
    assert client.post(f"/api/messages/{remote['sid']}/redact").status_code == 403
    assert fake_twilio.calls("delete") == [] and fake_twilio.calls("update") == []
    local.refresh_from_db()
    assert local.content == "Keep me"
    assert client.get(f"/api/messages/{remote['sid']}").status_code == 200  # reads need no token
