"""An AI reply over SMS through a real Celery worker: the webhook stores and queues, the `ai` queue
runs the turn, the `sends` queue sends the reply through the real twilio SDK (memory broker
locally, the CI Redis when CELERY_BROKER_URL points at one)."""

import time

import pytest
from django.db import OperationalError

from accounts.tests.factories import UserFactory
from messaging.models import Message
from tests.processes import in_process_worker
from twilio_channel.tests.conftest import signature

ACK_BOUND_S = 1.0
LLM_LATENCY_S = 1.5  # longer than ACK_BOUND_S


@pytest.fixture(scope="module")
def channel_worker():
    with in_process_worker(["ai", "default", "sends"]) as app:
        yield app


def _wait(predicate, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except OperationalError:  # SQLite's shared in-memory test DB: a concurrent writer holds the lock
            value = None
        if value:
            return value
        time.sleep(0.05)
    return predicate()


@pytest.mark.django_db(transaction=True)
def test_an_sms_from_a_user_is_answered_by_the_ai_through_the_workers(client, fake_llm, fake_twilio, channel_worker):
    UserFactory(username="ann", phone_number="+48123456789", phone_verified=True)
    # The model takes longer than the bound below: a webhook that waited for it could not pass.
    fake_llm.reply("Hello Ann, from the worker", delay=LLM_LATENCY_S)
    form = {"From": "+48123456789", "To": "+15550001111", "Body": "Hi", "MessageSid": "SM" + "7" * 32}

    started = time.monotonic()
    response = client.post("/twilio/inbound", form, HTTP_X_TWILIO_SIGNATURE=signature("/twilio/inbound", form))
    acknowledged = time.monotonic() - started
    answered_at = time.time()

    assert response.status_code == 200
    assert acknowledged < ACK_BOUND_S  # the webhook never waits for the LLM or Twilio
    sent = _wait(lambda: fake_twilio.created(to="+48123456789"))
    assert [m["body"] for m in sent] == ["Hello Ann, from the worker"]
    # The LLM did take its latency, and answered after the webhook had answered Twilio.
    (arrived, llm_answered, _), *_ = fake_llm.state.timings
    assert llm_answered - arrived >= LLM_LATENCY_S
    assert llm_answered > answered_at
    reply = _wait(lambda: Message.objects.filter(direction="outbound", external_id__isnull=False).first())
    assert reply.twilio_sid == sent[0]["sid"]
