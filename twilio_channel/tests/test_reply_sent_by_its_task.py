"""A reply the answer task decided is sent by that task once its transaction commits (issue 29: no
second task and broker round trip per reply), through the send's own claim: what Twilio cannot
take now goes to the `sends` queue as the task's first retry, and every reply goes out once."""

import pytest

from inbox.services.modes import auto_reply_config_set
from messaging.models import Message
from twilio_channel.models import OutboundSend
from twilio_channel.tests.test_inbound import STRANGER, _sid, inbound_form

pytestmark = pytest.mark.django_db

AUTO_REPLY = "Thanks, we got it."


@pytest.fixture(autouse=True)
def auto_reply(db):
    auto_reply_config_set(enabled=True, message=AUTO_REPLY)


@pytest.fixture
def deliver(twilio_post, fake_twilio, django_capture_on_commit_callbacks):
    """Twilio delivers an inbound webhook; the queued work runs as the workers would (eagerly)."""

    def post(body: str, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return twilio_post("/twilio/inbound", inbound_form(body, **fields))

    return post


def reply_to(sid: int) -> Message:
    return Message.objects.get(in_reply_to__external_id=_sid(sid))


def test_the_answer_task_sends_its_reply_itself(deliver, fake_twilio, queued_sends):
    response = deliver("Hello", from_=STRANGER, sid=1)

    assert response.status_code == 200
    [sent] = fake_twilio.created(to=STRANGER)
    assert sent["body"] == AUTO_REPLY
    reply = reply_to(1)
    assert (reply.twilio_sid, OutboundSend.objects.get(message=reply).state) == (sent["sid"], "sent")
    assert queued_sends == []  # no send task: the answer's task sent it


@pytest.mark.parametrize(
    "fault",
    [
        lambda twilio: twilio.fail(429),  # rate limited: the request had no effect
        lambda twilio: twilio.fail(503, operation="create"),  # Twilio unavailable
        lambda twilio: twilio.drop(operation="create"),  # the connection dropped before any answer
        lambda twilio: twilio.accept_then_fail(500, operation="create"),  # taken, but the answer lost
    ],
)
def test_a_transient_failure_hands_the_reply_to_the_queue_as_its_first_retry(deliver, fake_twilio, queued_sends, fault):
    fault(fake_twilio)

    deliver("Hello", from_=STRANGER, sid=2)

    reply = reply_to(2)
    [(args, options)] = queued_sends  # the task's first retry, with its own backoff and attempts
    assert args == (reply.pk,) and options["retries"] == 1 and 0 <= options["countdown"] <= 2
    [sent] = fake_twilio.created(to=STRANGER)  # once: a send Twilio took is adopted, not repeated
    assert (reply.twilio_sid, OutboundSend.objects.get(message=reply).state) == (sent["sid"], "sent")


def test_an_unexpected_error_while_sending_queues_the_reply(deliver, fake_twilio, queued_sends, monkeypatch, caplog):
    from twilio_channel.services import sending

    real = sending.outbound_deliver
    calls = []

    def fails_first(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("the database went away between two statements")
        return real(**kwargs)

    monkeypatch.setattr(sending, "outbound_deliver", fails_first)

    deliver("Hello", from_=STRANGER, sid=3)

    reply = reply_to(3)
    assert [args for args, _ in queued_sends] == [(reply.pk,)]
    assert [sent["body"] for sent in fake_twilio.created(to=STRANGER)] == [AUTO_REPLY]
    assert reply.status != "failed" and reply.twilio_sid
    assert "sending it here failed; queued" in caplog.text


def test_a_redelivered_answer_task_sends_nothing_more(
    deliver, fake_twilio, queued_sends, django_capture_on_commit_callbacks
):
    from inbox.tasks import answer_inbound

    deliver("Hello", from_=STRANGER, sid=4)
    inbound = Message.objects.get(external_id=_sid(4))
    with django_capture_on_commit_callbacks(execute=True):
        answer_inbound.apply(args=[inbound.pk])  # the broker hands the task out again

    assert len(fake_twilio.created(to=STRANGER)) == 1
    assert Message.objects.filter(in_reply_to=inbound).count() == 1


def test_the_ai_turn_sends_its_reply_itself(deliver, fake_twilio, fake_llm, ai_enabled, queued_sends):
    auto_reply_config_set(enabled=False, message=AUTO_REPLY)
    fake_llm.reply("Hello from the assistant")

    deliver("Hi", from_=STRANGER, sid=5)

    [sent] = fake_twilio.created(to=STRANGER)
    assert sent["body"] == "Hello from the assistant"
    reply = reply_to(5)
    assert (reply.twilio_sid, OutboundSend.objects.get(message=reply).state) == (sent["sid"], "sent")
    assert queued_sends == []


@pytest.mark.django_db(transaction=True)
def test_a_send_waits_on_twilio_without_holding_a_database_connection(deliver, fake_twilio, monkeypatch):
    """The `sends` worker keeps many sends in flight on threads: each hands its connection back for
    the call (else 16 threads waiting on Twilio would hold 16 connections)."""
    from django.db import connection

    from twilio_channel.services import sending

    real_client = sending.twilio_client
    holding: list[bool] = []

    class Watched:
        def __init__(self):
            self.client = real_client()

        @property
        def messages(self):
            return self

        def create(self, **params):
            holding.append(connection.connection is not None)
            return self.client.messages.create(**params)

    monkeypatch.setattr(sending, "twilio_client", Watched)

    deliver("Hello", from_=STRANGER, sid=6)

    assert holding == [False]
    assert reply_to(6).twilio_sid


@pytest.mark.parametrize(("window", "expected"), [(0, 13), (2, 15)])
def test_an_auto_reply_and_its_send_read_the_contact_once_each(
    twilio_post, fake_twilio, settings, django_capture_on_commit_callbacks, window, expected
):
    """The answer task's statements with its send (issue 29): the message with its conversation,
    the claim, the auto-reply's text, then in one transaction the contact (its opt-out and what the
    row needs), the two rows and the claim's end; the send's four (`test_sending`). With a burst
    window two more: before the claim, whether a newer message waits and the earlier messages of
    the burst, in one SELECT; inside the transaction, whether a newer message waits now (the answer
    may have gone stale meanwhile)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inbox.tasks import answer_inbound

    settings.AI_BURST_WINDOW_S = window
    with django_capture_on_commit_callbacks(execute=False):  # the answer task queued, not run
        twilio_post("/twilio/inbound", inbound_form("Hello", from_=STRANGER, sid=7))
    inbound = Message.objects.get(external_id=_sid(7))
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        answer_inbound.apply(args=[inbound.pk])

    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) == expected, "\n".join(statements)
    assert sum('"inbox_contact"' in sql for sql in statements) == 2  # the answer's and the send's
    assert [sent["body"] for sent in fake_twilio.created(to=STRANGER)] == [AUTO_REPLY]
