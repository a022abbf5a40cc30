"""Celery entry points of the Twilio channel: ids in, one service call, retry policy in the decorator."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from twilio_channel.errors import TransientChannelError


@shared_task(
    bind=True,
    name="twilio_channel.send_message",
    autoretry_for=(TransientChannelError,),
    retry_backoff=2,  # 2, 4, 8 s ... with full jitter (retry_jitter), capped far below the visibility timeout
    retry_backoff_max=settings.TWILIO_SEND_BACKOFF_MAX_S,
    retry_jitter=True,
    max_retries=settings.TWILIO_SEND_MAX_RETRIES,
    acks_late=True,  # idempotent: the service claims the row by compare-and-set
    ignore_result=True,
)
def send_message(self, message_id: int) -> None:
    from twilio_channel.services.sending import outbound_deliver

    outbound_deliver(message_id=message_id, final_attempt=self.request.retries >= self.max_retries)


@shared_task(name="twilio_channel.sweep_stale_sends", ignore_result=True)
def sweep_stale_sends() -> int:
    from twilio_channel.services.sending import outbound_sweep

    ids = outbound_sweep()
    for message_id in ids:
        send_message.delay(message_id)
    return len(ids)


@shared_task(name="twilio_channel.reconcile_statuses", ignore_result=True)
def reconcile_statuses() -> int:
    from twilio_channel.services.statuses import statuses_reconcile

    return statuses_reconcile()


@shared_task(name="twilio_channel.reconcile_inbound", ignore_result=True)
def reconcile_inbound() -> int:
    """Inbound messages whose webhook never reached us, from Twilio's list. Not retried: the next
    run (every minute) looks at the same window again."""
    from core.exceptions import BadGatewayError
    from twilio_channel.services.inbound_reconcile import inbound_reconcile

    try:
        return len(inbound_reconcile())
    except BadGatewayError:  # logged by the service with Twilio's code
        return 0


@shared_task(name="twilio_channel.sync_recent_messages", ignore_result=True)
def sync_recent_messages(limit: int = 50) -> int:
    """The throttled sync of the message log with Twilio. Not retried: the next
    read of the log asks again once the throttle lets it."""
    from core.exceptions import BadGatewayError
    from twilio_channel.errors import TwilioNotConfigured
    from twilio_channel.services.remote import sync_recent_messages as sync

    try:
        return sync(limit=limit)
    except (BadGatewayError, TwilioNotConfigured):  # logged by the service with Twilio's code
        return 0
