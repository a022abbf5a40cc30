"""Celery entry points of the inbox: ids in, one service call, retry policy here."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from inbox.errors import TransientChannelError


@shared_task(name="inbox.answer_inbound", acks_late=True, ignore_result=True)
def answer_inbound(message_id: int) -> None:
    """The inbox's own answer to one inbound message of any channel (the AI's goes through the
    orchestrator's turn). Idempotent: the service claims the message by compare-and-set."""
    from inbox.services.answer import inbound_answer

    inbound_answer(message_id=message_id)


@shared_task(name="inbox.sweep_unanswered_inbound", ignore_result=True)
def sweep_unanswered_inbound() -> int:
    from inbox.services.sweep import inbound_sweep

    ids = inbound_sweep()
    for message_id in ids:
        answer_inbound.delay(message_id)
    return len(ids)


@shared_task(
    bind=True,
    name="inbox.send_message",
    max_retries=settings.INBOX_SEND_MAX_RETRIES,
    acks_late=True,  # idempotent: the service claims the row by compare-and-set
    ignore_result=True,
)
def send_message(self, message_id: int) -> None:
    """One outbound row of a channel without a delivery of its own. A transient error waits what
    the channel asked (`retry_after`, capped below the broker's visibility timeout), else 2, 4,
    8 s ... capped at TWILIO_SEND_BACKOFF_MAX_S."""
    from inbox.services.delivery import outbound_deliver, retry_countdown

    try:
        outbound_deliver(message_id=message_id, final_attempt=self.request.retries >= self.max_retries)
    except TransientChannelError as exc:
        raise self.retry(exc=exc, countdown=retry_countdown(exc, retries=self.request.retries)) from exc


@shared_task(name="inbox.sweep_stale_sends", ignore_result=True)
def sweep_stale_sends() -> int:
    from inbox.services.delivery import outbound_sweep

    ids = outbound_sweep()
    for message_id in ids:
        send_message.delay(message_id)
    return len(ids)
