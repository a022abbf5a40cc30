"""The Twilio fake (tests/fakes/twilio_server.py), driven through the real twilio SDK only."""

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException

from tests.fakes.twilio_server import DEFAULT_AUTH_TOKEN, FakeTwilioServer, twilio_client_for

SID = re.compile(r"^SM[0-9a-f]{32}$")
RFC2822 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$")
TO, OTHER, FROM = "+15550100001", "+15550100002", "+15550109999"


@pytest.fixture
def client(fake_twilio):
    return twilio_client_for(fake_twilio, timeout=5)


def send(client, to=TO, body="Hello", **kwargs):
    return client.messages.create(to=to, from_=FROM, body=body, **kwargs)


# --- create -----------------------------------------------------------------------------------------
def test_create_answers_a_queued_message_in_twilios_shape(fake_twilio, client):
    message = send(client, body="Leak in room 1")

    assert SID.match(message.sid)
    assert (message.status, message.direction) == ("queued", "outbound-api")
    assert (message.to, message.from_, message.body) == (TO, FROM, "Leak in room 1")
    assert (message.num_media, message.num_segments) == ("0", "1")
    assert message.account_sid == fake_twilio.account_sid
    assert message.api_version == "2010-04-01"
    assert message.uri == f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages/{message.sid}.json"
    assert message.subresource_uris["media"].endswith(f"/Messages/{message.sid}/Media.json")
    assert (message.error_code, message.error_message, message.price, message.date_sent) == (None, None, None, None)
    assert abs(message.date_created - datetime.now(UTC)) < timedelta(seconds=5)

    stored = fake_twilio.created(to=TO)
    assert [m["sid"] for m in stored] == [message.sid]
    assert RFC2822.match(stored[0]["date_created"]) and RFC2822.match(stored[0]["date_updated"])
    request = fake_twilio.calls("create")[0]
    assert (request.method, request.status, request.auth_user) == ("POST", 201, fake_twilio.account_sid)
    assert request.form == {"To": TO, "From": FROM, "Body": "Leak in room 1"}
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"


def test_create_keeps_media_content_and_callback_parameters(fake_twilio, client):
    message = client.messages.create(
        to=TO,
        from_=FROM,
        media_url=["https://example.com/a.jpg", "https://example.com/b.jpg"],
        content_sid="HX" + "0" * 32,
        content_variables='{"1": "Ada"}',
        status_callback="https://example.com/status",
    )

    assert (message.num_media, message.body) == ("2", "")
    params = fake_twilio.create_params(message.sid)
    assert params["MediaUrl"] == ["https://example.com/a.jpg", "https://example.com/b.jpg"]
    assert params["StatusCallback"] == ["https://example.com/status"]
    assert fake_twilio.requests[-1].values("MediaUrl") == params["MediaUrl"]


def test_segments_follow_the_sms_encoding(client):
    assert send(client, body="a" * 160).num_segments == "1"
    assert send(client, body="a" * 161).num_segments == "2"
    assert send(client, body="é" * 160).num_segments == "1"  # in the GSM alphabet
    assert send(client, body="ł" * 71).num_segments == "2"  # UCS-2: 70 per single segment


def test_a_messaging_service_send_is_accepted_without_a_sender(client):
    service = "MG" + "1" * 32
    message = client.messages.create(to=TO, messaging_service_sid=service, body="Hi")

    assert (message.status, message.from_, message.messaging_service_sid) == ("accepted", None, service)


@pytest.mark.parametrize("to", ["5550100001", "+0555010000", "+1555", "whatsapp:5550100001", "not a number", ""])
def test_an_invalid_to_number_is_refused_with_21211(fake_twilio, client, to):
    with pytest.raises(TwilioRestException) as caught:
        send(client, to=to)

    assert (caught.value.status, caught.value.code) == (400, 21604 if to == "" else 21211)
    if to:
        assert f"The 'To' number {to} is not a valid phone number." in caught.value.msg
    assert fake_twilio.messages == []


def test_a_missing_sender_or_body_is_refused(fake_twilio, client):
    with pytest.raises(TwilioRestException) as no_sender:
        client.messages.create(to=TO, body="Hi")
    with pytest.raises(TwilioRestException) as no_body:
        client.messages.create(to=TO, from_=FROM)
    with pytest.raises(TwilioRestException) as bad_sender:
        client.messages.create(to=TO, from_="+12", body="Hi")

    assert (no_sender.value.status, no_sender.value.code) == (400, 21603)
    assert "A 'From' phone number is required." in no_sender.value.msg
    assert (no_body.value.status, no_body.value.code) == (400, 21602)
    assert (bad_sender.value.status, bad_sender.value.code) == (400, 21212)
    assert fake_twilio.messages == []


def test_whatsapp_addresses_are_accepted(fake_twilio, client):
    message = client.messages.create(to=f"whatsapp:{TO}", from_=f"whatsapp:{FROM}", body="Hi")

    assert (message.to, message.from_, message.status) == (f"whatsapp:{TO}", f"whatsapp:{FROM}", "queued")
    assert [m.sid for m in client.messages.list(to=f"whatsapp:{TO}")] == [message.sid]
    assert client.messages.list(to=TO) == []


def test_a_rejected_recipient_is_refused_with_its_code(fake_twilio, client):
    fake_twilio.reject_recipient(TO)  # opted out (STOP)

    with pytest.raises(TwilioRestException) as caught:
        send(client)

    assert (caught.value.status, caught.value.code) == (400, 21610)
    assert send(client, to=OTHER).status == "queued"


# --- auth -------------------------------------------------------------------------------------------
def test_a_wrong_token_or_account_gets_twilios_401(fake_twilio):
    wrong_token = twilio_client_for(fake_twilio, password="not-the-token")
    wrong_account = twilio_client_for(fake_twilio, username="AC" + "0" * 32, account_sid="AC" + "0" * 32)

    for client in (wrong_token, wrong_account):
        with pytest.raises(TwilioRestException) as caught:
            send(client)
        assert (caught.value.status, caught.value.code) == (401, 20003)
        assert "Authenticate" in caught.value.msg
    assert fake_twilio.messages == []
    assert [r.status for r in fake_twilio.requests] == [401, 401]
    assert not any(r.authorized for r in fake_twilio.requests)


def test_an_api_key_authenticates_for_the_account(fake_twilio):
    key, secret = fake_twilio.add_api_key()
    client = twilio_client_for(fake_twilio, username=key, password=secret)

    assert send(client).status == "queued"
    assert fake_twilio.requests[-1].auth_user == key
    assert client.api.accounts(fake_twilio.account_sid).fetch().status == "active"


def test_custom_credentials():
    server = FakeTwilioServer(account_sid="AC" + "ab" * 16, auth_token="s3cret").start()
    try:
        client = twilio_client_for(server)
        assert send(client).account_sid == "AC" + "ab" * 16
        with pytest.raises(TwilioRestException) as caught:
            send(twilio_client_for(server, password=DEFAULT_AUTH_TOKEN))
        assert caught.value.status == 401
    finally:
        server.stop()


# --- list, fetch, update, delete ----------------------------------------------------------------------
def test_list_is_newest_first_with_limit_filters_and_paging(fake_twilio, client):
    sent = [send(client, to=TO if i % 2 == 0 else OTHER, body=f"m{i}") for i in range(7)]
    newest_first = [m.sid for m in reversed(sent)]

    assert [m.sid for m in client.messages.list()] == newest_first
    assert [m.sid for m in client.messages.list(limit=3)] == newest_first[:3]
    assert [m.body for m in client.messages.list(to=TO)] == ["m6", "m4", "m2", "m0"]
    assert [m.body for m in client.messages.list(to=OTHER, limit=2)] == ["m5", "m3"]
    assert client.messages.list(from_="+15550000000") == []
    assert len(client.messages.list(from_=FROM)) == 7

    before = len(fake_twilio.calls("list"))
    assert [m.sid for m in client.messages.list(page_size=3)] == newest_first  # pages of 3, 3 and 1
    assert len(fake_twilio.calls("list")) - before == 3
    page = client.messages.page(to=TO, page_size=2)
    assert [m.body for m in page] == ["m6", "m4"]
    assert [m.body for m in page.next_page()] == ["m2", "m0"]


def test_list_envelope_has_twilios_paging_fields(fake_twilio, client):
    for i in range(3):
        send(client, body=f"m{i}")

    client.messages.list(limit=2)  # only the first page is read
    response = client.http_client._test_only_last_response
    envelope = json.loads(response.text)
    assert {"messages", "page", "page_size", "first_page_uri", "next_page_uri", "previous_page_uri", "uri"} <= set(
        envelope
    )
    assert (envelope["page"], envelope["page_size"], envelope["start"], envelope["end"]) == (0, 2, 0, 1)
    assert envelope["next_page_uri"].startswith(f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json?")
    assert envelope["previous_page_uri"] is None


def test_list_filters_by_date_sent(fake_twilio, client):
    now = datetime.now(UTC).replace(microsecond=0)
    old = fake_twilio.add_message(to=TO, from_=FROM, body="old", date_created=now - timedelta(days=3))
    mid = fake_twilio.add_message(to=TO, from_=FROM, body="mid", date_created=now - timedelta(days=1))
    new = fake_twilio.add_message(to=TO, from_=FROM, body="new", date_created=now)
    send(client, body="queued, never sent")

    assert [m.sid for m in client.messages.list(date_sent_after=now - timedelta(days=2))] == [new["sid"], mid["sid"]]
    assert [m.sid for m in client.messages.list(date_sent_before=now - timedelta(days=1))] == [mid["sid"], old["sid"]]
    day = (now - timedelta(days=3)).date().isoformat()
    assert [m.sid for m in client.messages.list(date_sent=day)] == [old["sid"]]


def test_seeded_inbound_messages_and_status_changes(fake_twilio, client):
    inbound = fake_twilio.add_inbound(
        from_=TO, to=FROM, body="Help", date_created=datetime.now(UTC) - timedelta(hours=1)
    )
    outbound = send(client, body="On it")

    listed = client.messages.list()
    assert [(m.sid, m.direction, m.status) for m in listed] == [
        (outbound.sid, "outbound-api", "queued"),
        (inbound["sid"], "inbound", "received"),
    ]
    assert fake_twilio.created() == [fake_twilio.message(outbound.sid)]  # seeded ones are not "created"

    fake_twilio.set_status(outbound.sid, "delivered")
    fetched = client.messages(outbound.sid).fetch()
    assert fetched.status == "delivered" and fetched.date_sent is not None

    fake_twilio.set_status(outbound.sid, "undelivered", error_code=30003, error_message="Unreachable")
    fetched = client.messages(outbound.sid).fetch()
    assert (fetched.status, fetched.error_code, fetched.error_message) == ("undelivered", 30003, "Unreachable")


def test_fetch_returns_the_message_or_a_20404(fake_twilio, client):
    message = send(client)

    fetched = client.messages(message.sid).fetch()
    assert (fetched.sid, fetched.body, fetched.status) == (message.sid, "Hello", "queued")
    with pytest.raises(TwilioRestException) as caught:
        client.messages("SM" + "0" * 32).fetch()
    assert (caught.value.status, caught.value.code) == (404, 20404)


def test_update_with_an_empty_body_redacts(fake_twilio, client):
    message = send(client, body="secret")

    updated = client.messages(message.sid).update(body="")

    assert (updated.sid, updated.body) == (message.sid, "")
    assert client.messages(message.sid).fetch().body == ""
    assert fake_twilio.message(message.sid)["body"] == ""
    assert fake_twilio.requests[-2].form == {"Body": ""}
    with pytest.raises(TwilioRestException) as caught:
        client.messages("SM" + "0" * 32).update(body="")
    assert (caught.value.status, caught.value.code) == (404, 20404)


def test_only_a_scheduled_message_can_be_canceled(client):
    service = "MG" + "2" * 32
    later = datetime.now(UTC) + timedelta(hours=2)
    scheduled = client.messages.create(
        to=TO, messaging_service_sid=service, body="Later", schedule_type="fixed", send_at=later
    )
    assert scheduled.status == "scheduled"

    assert client.messages(scheduled.sid).update(status="canceled").status == "canceled"
    with pytest.raises(TwilioRestException) as caught:
        client.messages(send(client).sid).update(status="canceled")
    assert (caught.value.status, caught.value.code) == (400, 30409)


def test_delete_removes_the_message(fake_twilio, client):
    message = send(client)

    assert client.messages(message.sid).delete() is True
    assert fake_twilio.messages == []
    assert fake_twilio.requests[-1].status == 204
    with pytest.raises(TwilioRestException) as caught:
        client.messages(message.sid).fetch()
    assert caught.value.code == 20404
    with pytest.raises(TwilioRestException) as caught:
        client.messages(message.sid).delete()
    assert (caught.value.status, caught.value.code) == (404, 20404)


# --- faults -----------------------------------------------------------------------------------------
def test_429_is_raised_with_twilios_code_and_nothing_is_stored(fake_twilio, client):
    fake_twilio.fail(429, code=20429, message="Too Many Requests")

    with pytest.raises(TwilioRestException) as caught:
        send(client)

    assert (caught.value.status, caught.value.code) == (429, 20429)
    assert fake_twilio.messages == []
    assert fake_twilio.requests[-1].fault == "fail"
    assert send(client).status == "queued"  # the fault applied once


@pytest.mark.parametrize(("status", "code"), [(500, 20500), (503, 20503)])
def test_server_errors(fake_twilio, client, status, code):
    fake_twilio.fail(status)

    with pytest.raises(TwilioRestException) as caught:
        send(client)

    assert (caught.value.status, caught.value.code) == (status, code)
    assert fake_twilio.messages == []


def test_a_non_json_error_page(fake_twilio, client):
    fake_twilio.fail(502, raw=b"<html>Bad Gateway</html>", content_type="text/html")

    with pytest.raises(TwilioRestException) as caught:
        send(client)

    assert (caught.value.status, caught.value.code) == (502, 502)


def test_faults_apply_in_order_to_the_matching_request_only(fake_twilio, client):
    fake_twilio.fail(500, operation="list").fail(503, method="POST").fail(429, operation="create", times=2)
    assert fake_twilio.pending == 4

    with pytest.raises(TwilioRestException) as first:
        send(client)
    assert first.value.status == 503  # the list fault is skipped, the POST one is the first match
    with pytest.raises(TwilioException):  # the SDK's list has no status to report
        client.messages.list()
    assert fake_twilio.calls("list")[-1].status == 500
    for _ in range(2):
        with pytest.raises(TwilioRestException) as caught:
            send(client)
        assert caught.value.status == 429
    assert fake_twilio.pending == 0
    assert send(client).status == "queued"


def test_a_timeout_raises_the_http_clients_timeout_but_the_send_went_through(fake_twilio):
    client = twilio_client_for(fake_twilio, timeout=0.3)
    fake_twilio.timeout(5)

    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        send(client, body="slow")

    assert time.monotonic() - started < 3
    assert [m["body"] for m in fake_twilio.created()] == ["slow"]  # Twilio accepted it: reconcile first
    assert [m.body for m in client.messages.list()] == ["slow"]


def test_a_timeout_that_never_reaches_twilio(fake_twilio):
    client = twilio_client_for(fake_twilio, timeout=0.3)
    fake_twilio.timeout(5, process=False)

    with pytest.raises(requests.exceptions.Timeout):
        send(client)

    assert fake_twilio.messages == []
    assert fake_twilio.requests[-1].status is None


def test_a_short_hold_is_just_slow(fake_twilio):
    client = twilio_client_for(fake_twilio, timeout=3)
    fake_twilio.timeout(0.3)

    started = time.monotonic()
    assert send(client).status == "queued"
    assert time.monotonic() - started >= 0.3


def test_accept_then_fail_stores_the_message_but_answers_500(fake_twilio, client):
    fake_twilio.accept_then_fail(500, operation="create")

    with pytest.raises(TwilioRestException) as caught:
        send(client, body="sent once")

    assert (caught.value.status, caught.value.code) == (500, 20500)
    listed = client.messages.list(to=TO)
    assert [m.body for m in listed] == ["sent once"]
    assert fake_twilio.calls("create")[0].sid == listed[0].sid


def test_drop_closes_the_connection_without_an_answer(fake_twilio, client):
    fake_twilio.drop()

    with pytest.raises(requests.exceptions.ConnectionError):
        send(client)

    assert fake_twilio.messages == []
    assert fake_twilio.requests[-1].status is None
    assert send(client).status == "queued"  # the client recovers on a new connection


def test_drop_after_processing(fake_twilio, client):
    fake_twilio.drop(process=True)

    with pytest.raises(requests.exceptions.ConnectionError):
        send(client, body="lost answer")

    assert [m["body"] for m in fake_twilio.created()] == ["lost answer"]


def test_latency_holds_every_answer(fake_twilio, client):
    fake_twilio.set_latency(0.2)

    started = time.monotonic()
    send(client)
    client.messages.list()

    assert time.monotonic() - started >= 0.4


def test_reset_forgets_everything(fake_twilio, client):
    send(client)
    fake_twilio.fail(500)
    fake_twilio.set_latency(1)
    fake_twilio.reject_recipient(OTHER)
    fake_twilio.set_credentials(auth_token="changed")

    fake_twilio.reset()

    assert (fake_twilio.messages, fake_twilio.requests, fake_twilio.pending) == ([], [], 0)
    started = time.monotonic()
    assert send(client, to=OTHER).status == "queued"
    assert time.monotonic() - started < 1


def test_the_fixture_starts_each_test_empty(fake_twilio):
    assert (fake_twilio.messages, fake_twilio.requests, fake_twilio.pending) == ([], [], 0)
