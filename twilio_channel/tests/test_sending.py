"""Outbound sends through the real twilio SDK against the loopback Twilio (CONTRACT §4.3.4, §8.3,
§8.4, §9.3): one row per message, one claim per send, honest retries and refusals."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.exceptions import ApplicationError, ServiceUnavailableError
from inbox.models import Contact
from messaging.models import Message
from twilio_channel.errors import TransientChannelError
from twilio_channel.models import OutboundSend
from twilio_channel.services.outbound import (
    OPTED_OUT,
    WINDOW_CLOSED,
    SendRefused,
    outbound_create,
    outbound_queue,
    outbound_send_now,
)
from twilio_channel.services.sending import outbound_deliver, outbound_sweep
from twilio_channel.tasks import reconcile_statuses, send_message, sweep_stale_sends

pytestmark = pytest.mark.django_db

TO = "+48123456789"


def test_a_send_goes_out_once_with_its_status_callback(fake_twilio):
    message = outbound_send_now(to=TO, body="Hello")
    assert OutboundSend.objects.get(message=message).state == "sent"

    [sent] = fake_twilio.created(to=TO)
    assert (message.twilio_sid, message.status, message.direction) == (sent["sid"], "queued", "outbound")
    assert (sent["from"], sent["body"]) == ("+15550001111", "Hello")
    params = fake_twilio.create_params(sent["sid"])
    assert params["StatusCallback"] == [f"https://messaging.example.com/twilio/status?mid={message.pk}"]


def test_a_redelivered_task_never_sends_twice(fake_twilio):
    message = outbound_create(to=TO, body="Once")
    assert outbound_deliver(message_id=message.pk, final_attempt=False) is not None
    assert outbound_deliver(message_id=message.pk, final_attempt=False) is None
    send_message.delay(message.pk)
    assert len(fake_twilio.created(to=TO)) == 1


def test_a_delivery_is_four_statements_and_counts_its_attempt(fake_twilio, django_assert_num_queries):
    message = outbound_create(to=TO, body="Counted")
    # the claim with its attempt, returning the delivery; the message with its contact's opt-out;
    # the message's SID and a status no lower than what a callback set meanwhile, returning it; the
    # delivery's state
    with django_assert_num_queries(4) as queries:
        sent = outbound_deliver(message_id=message.pk, final_attempt=False)
    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["UPDATE", "SELECT", "UPDATE", "UPDATE"]
    assert sum("inbox_contact" in query["sql"] for query in queries.captured_queries) == 1
    assert sent is not None and sent.twilio_sid == fake_twilio.created(to=TO)[0]["sid"]
    send = OutboundSend.objects.get(message=message)
    assert (send.state, send.attempts) == ("sent", 1)


def run_send_task(message_id: int) -> None:
    """The send task with its retries, as a worker runs it (eagerly: Celery runs each retry it
    schedules at once, countdowns skipped; a retry is not an error here)."""
    conf = send_message.app.conf
    propagates, conf.task_eager_propagates = conf.task_eager_propagates, False
    try:
        send_message.apply(args=[message_id])
    finally:
        conf.task_eager_propagates = propagates


def test_a_429_then_success_is_exactly_one_send(fake_twilio, django_capture_on_commit_callbacks):
    fake_twilio.fail(429, operation="create")
    with django_capture_on_commit_callbacks() as queued:
        message = outbound_queue(to=TO, body="Rate limited first")
    assert len(queued) == 1  # the send waits for the commit

    run_send_task(message.pk)
    message.refresh_from_db()
    assert message.status == "queued" and message.twilio_sid
    assert len(fake_twilio.created(to=TO)) == 1
    assert len(fake_twilio.calls("create")) == 2
    assert message.outbound_send.attempts == 2


def test_5xx_past_the_retries_fails_without_a_loop(fake_twilio):
    fake_twilio.fail(503, operation="create", times=10)
    message = outbound_queue(to=TO, body="Twilio is down")
    run_send_task(message.pk)
    message.refresh_from_db()
    assert message.status == "failed"
    assert "HTTP 503" in message.error
    creates = len(fake_twilio.calls("create"))
    assert creates == 1 + 3  # the first try and the task's three retries, nothing more
    assert fake_twilio.created(to=TO) == []


def test_an_invalid_number_fails_at_once_without_retry(fake_twilio):
    fake_twilio.reject_recipient("+48999999999", code=21211, message="Invalid 'To' Phone Number")
    message = outbound_queue(to="+48999999999", body="Hi")
    run_send_task(message.pk)
    message.refresh_from_db()
    assert (message.status, message.error) == ("failed", "Error code: 21211 HTTP 400")
    assert len(fake_twilio.calls("create")) == 1


def test_twilios_21610_opts_the_contact_out_and_later_sends_are_refused_locally(fake_twilio):
    fake_twilio.reject_recipient(TO, code=21610)
    message = outbound_send_now(to=TO, body="Hi")
    assert message.status == "failed"
    contact = Contact.objects.get(address=TO, channel="sms")
    assert (contact.opted_out, contact.opt_out_source) == (True, "twilio")

    with pytest.raises(SendRefused, match=OPTED_OUT):
        outbound_send_now(to=TO, body="Again")
    assert len(fake_twilio.calls("create")) == 1


def test_an_opted_out_contact_is_refused_on_every_path_without_calling_twilio(fake_twilio):
    Contact.objects.create(number=TO, channel="sms", opted_out=True, opted_out_at=timezone.now())
    for send in (outbound_send_now, outbound_queue, outbound_create):
        with pytest.raises(SendRefused, match=OPTED_OUT):
            send(to=TO, body="Hi")
    assert fake_twilio.requests == []
    assert not Message.objects.exists()


def test_a_contact_who_opts_out_after_queueing_is_not_sent_to(fake_twilio):
    message = outbound_create(to=TO, body="Queued before STOP")
    Contact.objects.filter(address=TO).update(opted_out=True)
    delivered = outbound_deliver(message_id=message.pk, final_attempt=False)
    assert (delivered.status, delivered.error) == ("failed", OPTED_OUT)
    assert fake_twilio.requests == []


def test_whatsapp_free_form_outside_the_24h_window_is_refused_locally(fake_twilio):
    to = f"whatsapp:{TO}"
    with pytest.raises(SendRefused, match=WINDOW_CLOSED):
        outbound_send_now(to=to, body="Hi")
    Contact.objects.filter(address=TO, channel="whatsapp").update(last_inbound_at=timezone.now() - timedelta(hours=25))
    with pytest.raises(SendRefused, match=WINDOW_CLOSED):
        outbound_send_now(to=to, body="Hi")
    assert fake_twilio.requests == []


def test_whatsapp_inside_the_window_keeps_the_prefix_on_both_ends(fake_twilio):
    Contact.objects.create(number=TO, channel="whatsapp", last_inbound_at=timezone.now() - timedelta(hours=23))
    message = outbound_send_now(to=f"whatsapp:{TO}", body="Hi")
    [sent] = fake_twilio.created()
    assert (sent["to"], sent["from"]) == (f"whatsapp:{TO}", "whatsapp:+15550001111")
    assert message.channel == "whatsapp"


def test_a_template_opens_a_closed_window(fake_twilio):
    message = outbound_send_now(to=f"whatsapp:{TO}", content_sid="HX" + "1" * 32, content_variables={"1": "Ann"})
    params = fake_twilio.create_params(message.twilio_sid)
    assert params["ContentSid"] == ["HX" + "1" * 32]
    assert params["ContentVariables"] == ['{"1": "Ann"}']


def test_the_configured_fallback_template_is_used_outside_the_window(fake_twilio, settings):
    settings.WHATSAPP_FALLBACK_CONTENT_SID = "HX" + "2" * 32
    message = outbound_send_now(to=f"whatsapp:{TO}", body="Free-form text")
    assert fake_twilio.create_params(message.twilio_sid)["ContentSid"] == ["HX" + "2" * 32]


def test_after_a_5xx_that_was_accepted_the_message_is_reconciled_not_resent(fake_twilio):
    fake_twilio.accept_then_fail(500, operation="create")
    message = outbound_queue(to=TO, body="Did it go?")
    run_send_task(message.pk)
    message.refresh_from_db()
    [accepted] = fake_twilio.created(to=TO)
    assert message.twilio_sid == accepted["sid"]
    assert len(fake_twilio.calls("create")) == 1  # found in the list: never sent twice
    assert len(fake_twilio.calls("list")) == 1


def test_after_a_timeout_the_message_is_reconciled_not_resent(fake_twilio):
    fake_twilio.timeout(3, operation="create")  # accepted, but the answer comes after the client gave up
    message = outbound_queue(to=TO, body="Slow Twilio")
    run_send_task(message.pk)
    message.refresh_from_db()
    assert len(fake_twilio.created(to=TO)) == 1
    assert message.twilio_sid == fake_twilio.created(to=TO)[0]["sid"]


def test_a_refused_connection_is_retried_and_sent_once(fake_twilio, settings):
    message = outbound_create(to=TO, body="Hi")
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # discard port: nobody listens
    with pytest.raises(TransientChannelError) as caught:
        outbound_deliver(message_id=message.pk, final_attempt=False)
    assert caught.value.maybe_sent is False
    message.refresh_from_db()
    assert message.status == "queued"  # back in line for the retry
    settings.TWILIO_API_BASE_URL = fake_twilio.url
    assert outbound_deliver(message_id=message.pk, final_attempt=False).twilio_sid
    assert len(fake_twilio.calls("list")) == 0  # nothing could have gone out: no reconciliation


def test_without_credentials_every_send_is_refused(settings):
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_AUTH_TOKEN = ""
    with pytest.raises(ServiceUnavailableError, match=r"Twilio is not configured\."):
        outbound_send_now(to=TO, body="Hi")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"to": "48123", "body": "x"}, "E.164"),
        ({"to": TO}, "Provide at least one of"),
        ({"to": TO, "media_urls": ["ftp://example.com/a.png"]}, r"http\(s\)"),
        ({"to": TO, "media_urls": [f"https://example.com/{n}.png" for n in range(11)]}, "at most 10"),
    ],
)
def test_bad_input_is_refused_before_any_row(fake_twilio, fields, error):
    with pytest.raises(ApplicationError, match=error):
        outbound_create(**fields)
    assert not Message.objects.exists()


def test_media_urls_are_sent_and_stored(fake_twilio):
    message = outbound_send_now(to=TO, body="Look", media_urls=["https://example.com/a.png"])
    assert fake_twilio.create_params(message.twilio_sid)["MediaUrl"] == ["https://example.com/a.png"]
    assert message.media == [{"url": "https://example.com/a.png"}]


def test_the_sweeper_resends_a_queued_row_and_reconciles_a_sending_one(fake_twilio):
    queued = outbound_create(to=TO, body="Broker was down")
    stuck = outbound_create(to="+48111111111", body="Worker died mid-send")
    OutboundSend.objects.filter(message=stuck).update(state="sending")
    fake_twilio.add_message(
        to="+48111111111", from_="+15550001111", body="Worker died mid-send", direction="outbound-api"
    )
    old = timezone.now() - timedelta(minutes=5)
    OutboundSend.objects.filter(message__in=[queued, stuck]).update(updated_at=old)

    assert sweep_stale_sends.delay().get() == 2

    queued.refresh_from_db()
    stuck.refresh_from_db()
    assert queued.twilio_sid and len(fake_twilio.created(to=TO)) == 1
    assert stuck.twilio_sid == fake_twilio.messages[0]["sid"]  # adopted, not sent again
    assert fake_twilio.created(to="+48111111111") == []
    assert set(OutboundSend.objects.values_list("state", flat=True)) == {"sent"}
    OutboundSend.objects.update(updated_at=old)
    assert outbound_sweep() == []  # sent deliveries are never swept again


def test_a_send_whose_worker_died_is_swept_once_its_lease_lapses_not_before(fake_twilio, settings):
    stuck = outbound_create(to=TO, body="Worker died mid-send")
    OutboundSend.objects.filter(message=stuck).update(state="sending")
    lease = settings.TWILIO_SEND_LEASE_S

    OutboundSend.objects.update(updated_at=timezone.now() - timedelta(seconds=lease - 2))
    assert outbound_sweep() == []  # maybe still sending: its last heartbeat is younger than the lease
    OutboundSend.objects.update(updated_at=timezone.now() - timedelta(seconds=lease + 1))
    assert outbound_sweep() == [stuck.pk]
    assert OutboundSend.objects.get().needs_reconcile  # it may have reached Twilio: looked up first


def test_a_send_is_recovered_within_a_minute_of_its_worker_dying():
    """The lease lapses, then the next sweep (beat) hands it on: both within 60 s. The Twilio
    timeouts of one live send (a look-up and a create) stay below the lease even without a beat."""
    from django.conf import settings as django_settings

    sweep = django_settings.CELERY_BEAT_SCHEDULE["twilio-sweep-stale-sends"]["schedule"]
    assert django_settings.TWILIO_SEND_LEASE_S + sweep <= 40
    assert 2 * django_settings.TWILIO_HTTP_TIMEOUT_S < django_settings.TWILIO_SEND_LEASE_S


@pytest.mark.django_db(transaction=True)
def test_a_send_longer_than_its_lease_keeps_it_through_the_heartbeat(fake_twilio, settings, monkeypatch):
    from twilio_channel.services import sending

    monkeypatch.setattr(sending, "heartbeat", sending.SendHeartbeat())  # not one still asleep from an earlier test
    settings.TWILIO_SEND_LEASE_S = 0.3  # renewed every 0.075 s
    fake_twilio.set_latency(0.9)  # below the client's timeout of 1 s
    message = outbound_create(to=TO, body="Slow Twilio")
    swept = []

    def sweeper() -> None:
        time.sleep(0.6)  # two leases later: without renewals the send would look dead
        swept.append(outbound_sweep())
        connection.close()

    rival = threading.Thread(target=sweeper)
    rival.start()
    sent = outbound_deliver(message_id=message.pk, final_attempt=True)
    rival.join()

    assert swept == [[]]
    assert sent.twilio_sid and len(fake_twilio.created(to=TO)) == 1


def test_the_daily_reconciliation_picks_up_statuses_whose_callbacks_never_came(fake_twilio):
    message = outbound_send_now(to=TO, body="Callback lost")
    fake_twilio.set_status(message.twilio_sid, "delivered")
    Message.objects.filter(pk=message.pk).update(updated_at=timezone.now() - timedelta(hours=1))

    assert reconcile_statuses.delay().get() == 1

    message.refresh_from_db()
    assert message.status == "delivered"
    assert reconcile_statuses.delay().get() == 0  # delivered is final enough: not looked up again


def test_the_client_goes_to_the_configured_base_url(fake_twilio):
    from twilio_channel.client import twilio_client

    assert twilio_client().api.base_url == fake_twilio.url
    assert twilio_client() is twilio_client()  # one per thread, reused


def test_a_status_callback_that_came_before_the_create_answer_is_not_lowered(fake_twilio, client, twilio_settings):
    message = outbound_create(to=TO, body="Fast callback")
    Message.objects.filter(pk=message.pk).update(status="delivered")  # the ?mid= callback won the race
    delivered = outbound_deliver(message_id=message.pk, final_attempt=True)
    assert (delivered.status, bool(delivered.twilio_sid)) == ("delivered", True)


@pytest.mark.parametrize(
    ("callback", "stored"),
    [
        ("undelivered", "undelivered"),  # a terminal status is never left
        ("sending", "sending"),  # higher than the create answer's `queued`
        ("queued", "queued"),  # our own `queued` or Twilio's: the create answer's status replaces it
        (None, "queued"),
    ],
)
def test_the_sent_status_never_lowers_what_a_callback_set_meanwhile(fake_twilio, callback, stored):
    message = outbound_create(to=TO, body=f"Callback {callback}")
    Message.objects.filter(pk=message.pk).update(status=callback)  # the ?mid= callback won the race
    sent = outbound_deliver(message_id=message.pk, final_attempt=True)
    message.refresh_from_db()
    assert (sent.status, message.status, message.twilio_sid) == (stored, stored, sent.twilio_sid)
    assert message.twilio_sid == fake_twilio.created(to=TO)[0]["sid"]
