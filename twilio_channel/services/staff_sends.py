"""Sends that a person asks for (the staff API, the staff panel, the command line) and the resend of
a failed message.

They go through the one send service (`sending`): a staff send runs inline and answers with the
SID; a retry makes a new row that goes through the `sends` queue like any other resend.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache

from core.cache import cache_or_fallback
from core.exceptions import ApplicationError, BadGatewayError, ConflictError, NotFoundError, TooManyRequestsError
from core.redact import mask_phone
from messaging.enums import Direction
from messaging.models import Message
from twilio_channel.addresses import participant_number
from twilio_channel.client import twilio_configured
from twilio_channel.errors import TwilioNotConfigured
from twilio_channel.models import OutboundSend
from twilio_channel.services.outbound import NO_SENDER, outbound_queue, outbound_send_now

logger = logging.getLogger("twilio_webhook")

SEND_FAILED = "Twilio send failed"
TOO_MANY_SENDS = "Too many messages to this recipient. Try again later."
RATE_WINDOW_S = 60
RATE_FALLBACK = "sends to one recipient are not rate-limited until it is back"
NOT_FOUND = "Message not found."
NOT_RETRYABLE = "Only failed outbound messages can be retried."
NO_SERVICE = "No TWILIO_MESSAGING_SERVICE_SID is configured."


def _rate_key(number: str, window: int) -> str:
    digest = hashlib.sha256(number.encode()).hexdigest()[:32]  # no phone numbers in cache keys
    return f"send-rate:{digest}:{window}"


def recipient_rate_check(*, to: str) -> None:
    """Count one send to `to`'s number in the shared cache (every process sees the same count);
    over TWILIO_SENDS_PER_RECIPIENT_PER_MINUTE in this minute, refuse it with 429."""
    limit = settings.TWILIO_SENDS_PER_RECIPIENT_PER_MINUTE
    if limit <= 0:
        return
    now = time.time()
    window = int(now // RATE_WINDOW_S)
    key = _rate_key(participant_number(to), window)

    def count() -> int:
        cache.add(key, 0, RATE_WINDOW_S * 2)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, RATE_WINDOW_S * 2)
            return 1

    sent = cache_or_fallback(count, lambda: 0, fallback_name=RATE_FALLBACK)
    if sent > limit:
        retry_after = max(1, int((window + 1) * RATE_WINDOW_S - now))
        raise TooManyRequestsError(TOO_MANY_SENDS, retry_after=retry_after)


def staff_sender(*, messaging_service_sid: str = "", use_messaging_service: bool | None = None) -> dict:
    """Where a staff send goes out from (generic sends): an explicit messaging
    service; else the configured one when asked for, or when not asked either way and one is
    configured; else TWILIO_DEFAULT_FROM."""
    if messaging_service_sid:
        return {"messaging_service_sid": messaging_service_sid}
    configured = settings.TWILIO_MESSAGING_SERVICE_SID
    if use_messaging_service or (use_messaging_service is None and configured):
        if not configured:
            raise ApplicationError(NO_SERVICE)
        return {"messaging_service_sid": configured}
    if not settings.TWILIO_DEFAULT_FROM:
        raise ApplicationError(NO_SENDER)
    return {"from_": settings.TWILIO_DEFAULT_FROM}


def staff_send(
    *, to: str, from_: str = "", messaging_service_sid: str = "", use_messaging_service: bool | None = None, **fields
) -> Message:
    """Send now and return the row with its SID (T3, the panel, `manage.py send`). Refusals raise
    their domain error (opted out and closed window 409, Twilio not configured 503, bad input 400,
    too many sends 429). When Twilio refuses it for good the row is kept `failed` with the error and
    this raises BadGatewayError with a generic text: the details are in the log only. When Twilio
    is busy or unreachable the row is returned still `queued`, without a SID: the `sends` queue
    sends it with backoff (`staff_send_queued`). `from_` names the sender; without it
    `staff_sender` picks one."""
    if not twilio_configured():
        raise TwilioNotConfigured()
    sender = (
        {"from_": from_}  # a reply from the number the contact wrote to
        if from_
        else staff_sender(messaging_service_sid=messaging_service_sid, use_messaging_service=use_messaging_service)
    )
    recipient_rate_check(to=to)
    message = outbound_send_now(to=to, **sender, **fields)
    if message.status == "failed":
        logger.warning(
            "Staff send %s to %s failed: %s", message.pk, mask_phone(message.participant_number), message.error
        )
        raise BadGatewayError(SEND_FAILED, extra={"message_id": message.pk})
    if staff_send_queued(message):
        logger.info(
            "Staff send %s to %s: Twilio busy (%s); queued",
            message.pk,
            mask_phone(message.participant_number),
            message.error,
        )
    return message


def staff_send_queued(message: Message) -> bool:
    """A staff send that Twilio has not taken yet: it waits in the `sends` queue for its retry."""
    return message.twilio_sid is None and message.status != "failed"


def outbound_retry(*, message_id: int) -> Message:
    """A new row for a failed outbound message, sent through the `sends` queue; it points to the
    failed one with `retry_of`, which stays `failed`. The same refusals apply as for any send."""
    failed = Message.objects.filter(pk=message_id, channel__in=("sms", "whatsapp")).first()
    if failed is None:
        raise NotFoundError(NOT_FOUND)
    if failed.direction != Direction.OUTBOUND or failed.status != "failed":
        raise ConflictError(NOT_RETRYABLE)
    send = OutboundSend.objects.filter(message=failed).first()
    retry = outbound_queue(
        to=failed.to_number or "",
        body=failed.content,
        media_urls=[item["url"] for item in failed.media or [] if item.get("url")],
        content_sid=send.content_sid if send else "",
        content_variables=send.content_variables if send else None,
        messaging_service_sid=send.messaging_service_sid if send else "",
        from_="" if send and send.messaging_service_sid else failed.from_number or "",
        in_reply_to=failed.in_reply_to,
        sender_id=failed.sender_id,
        retry_of=failed,
    )
    logger.info("Message %s is retried as message %s", failed.pk, retry.pk)
    return retry
