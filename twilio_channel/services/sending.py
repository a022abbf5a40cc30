"""Outbound messages.

Every outbound message is a row before it is a Twilio request. Sending claims its delivery with a
compare-and-set `pending → sending` (OutboundSend.state), so a redelivered task never sends twice.
The Twilio call runs outside any transaction. A transient error (429, 5xx, network) puts the
delivery back to `pending` for the task's retry; when the request may have reached Twilio (a 5xx,
a timeout), the next attempt first looks for the message in Twilio's list and adopts it instead of
sending again. Twilio's create call has no idempotency key, so a crash between Twilio accepting a
send and our save is the one window left; that reconciliation closes it before any resend.

A body longer than the channel takes is split into parts (`splitting`), one row and one delivery
each. Only the first is `pending`; the others are `held`, which neither the claim nor the sweeper
touches, and each is released (`held → pending`, then queued) in the same transaction that records
the SID of the part before it. So part n+1 is sent only after Twilio accepted part n, whatever
retries, reconciliations or dead workers happen in between; a part that fails for good fails the
parts after it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.db import row_insert
from core.exceptions import ApplicationError, ConflictError
from core.heartbeat import Heartbeat
from core.redact import mask_phone
from core.tasks import enqueue_on_commit, first_retry_options, registered_task
from inbox.channels import get_channel
from inbox.services.contacts import contact_for, contact_opt_out
from messaging.enums import Channel, Direction
from messaging.models import CONTENT_MAX_LENGTH, Conversation, Message
from messaging.services.conversations import channel_conversation_get
from twilio_channel.addresses import channel_of, is_e164_address, on_channel, participant_number
from twilio_channel.client import twilio_client, twilio_configured
from twilio_channel.enums import STATUS_RANKS, TERMINAL_STATUSES, OptOutSource
from twilio_channel.errors import (
    OPTED_OUT_CODE,
    ChannelError,
    PermanentChannelError,
    TransientChannelError,
    TwilioNotConfigured,
    classify,
)
from twilio_channel.models import OutboundSend, SendState

logger = logging.getLogger("twilio_webhook")

OPTED_OUT = "Recipient has opted out."
WINDOW_CLOSED = "WhatsApp 24-hour window closed; provide content_sid."
NO_SENDER = "No TWILIO_DEFAULT_FROM or messaging service is configured to send from."
MEDIA_URLS_MAX = 10
RECONCILE_LOOKBACK = timedelta(minutes=2)
EARLIER_PART_FAILED = "Not sent: an earlier part of this message failed."
SEND_TASK = "twilio_channel.send_message"  # queued by name: the tasks module calls this one


class SendRefused(ConflictError):
    """Refused locally, without calling Twilio: an opted-out recipient or a closed WhatsApp window."""


def _origin(*, channel: str, from_: str, messaging_service_sid: str, in_reply_to: Message | None) -> tuple[str, str]:
    """(from address, messaging service SID) of a send: an explicit sender, else
    the number the contact wrote to, else the messaging service when replies go through it, else
    TWILIO_DEFAULT_FROM on the channel."""
    if from_:
        return on_channel(from_, channel), ""
    if messaging_service_sid:
        return "", messaging_service_sid
    if in_reply_to is not None and in_reply_to.to_number:
        return in_reply_to.to_number, ""
    if settings.TWILIO_REPLY_VIA_MESSAGING_SERVICE and settings.TWILIO_MESSAGING_SERVICE_SID:
        return "", settings.TWILIO_MESSAGING_SERVICE_SID
    if settings.TWILIO_DEFAULT_FROM:
        return on_channel(settings.TWILIO_DEFAULT_FROM, channel), ""
    if settings.TWILIO_MESSAGING_SERVICE_SID:
        return "", settings.TWILIO_MESSAGING_SERVICE_SID
    raise ApplicationError(NO_SENDER)


def _thread(*, number: str, channel: str, in_reply_to: Message | None) -> Conversation:
    if in_reply_to is not None and in_reply_to.conversation is not None:
        return in_reply_to.conversation
    return channel_conversation_get(number=number, channel=channel)


@transaction.atomic
def outbound_create(
    *,
    to: str,
    body: str = "",
    media_urls: Sequence[str] = (),
    content_sid: str = "",
    content_variables: dict | None = None,
    from_: str = "",
    messaging_service_sid: str = "",
    in_reply_to: Message | None = None,
    sender_id: int | None = None,
    **ai_fields,
) -> Message:
    """The `queued` row of a message to `to` (`+E164`, or `whatsapp:+E164`), refused locally when
    Twilio is not configured, the recipient opted out, or a WhatsApp window is closed and no
    template is given. Nothing is sent yet: see `outbound_queue` and `outbound_send_now`. A body
    longer than the channel takes becomes numbered parts (`splitting`): the first row is returned,
    the others are held and sent one after the other once Twilio accepts the one before."""
    if not twilio_configured():
        raise TwilioNotConfigured()
    to = to.strip()
    if not is_e164_address(to):
        raise ApplicationError("Field 'to' must be E.164 formatted (e.g. +48123456789)")
    if not (body or media_urls or content_sid):
        raise ApplicationError("Provide at least one of: 'body', 'content_sid', or 'media_urls'.")
    if len(body) > CONTENT_MAX_LENGTH:
        raise ApplicationError(f"Body must be at most {CONTENT_MAX_LENGTH} characters")
    if len(media_urls) > MEDIA_URLS_MAX or any(not url.startswith(("http://", "https://")) for url in media_urls):
        raise ApplicationError(f"media_urls takes at most {MEDIA_URLS_MAX} http(s) URLs")
    channel = channel_of(to)
    number = participant_number(to)
    contact = contact_for(address=number, channel=channel)
    if contact.opted_out:
        raise SendRefused(OPTED_OUT)
    if channel == Channel.WHATSAPP and not content_sid and not contact.window_open():
        if not settings.WHATSAPP_FALLBACK_CONTENT_SID:
            raise SendRefused(WINDOW_CLOSED)
        content_sid = settings.WHATSAPP_FALLBACK_CONTENT_SID
    from_number, service_sid = _origin(
        channel=channel, from_=from_, messaging_service_sid=messaging_service_sid, in_reply_to=in_reply_to
    )
    # A template is sent instead of the body; anything else longer than the channel takes goes out
    # as numbered parts, each its own row, the first carrying the media and the token usage.
    parts = [body] if content_sid else get_channel(channel).parts(body)
    conversation = _thread(number=number, channel=channel, in_reply_to=in_reply_to)
    later_fields = {name: value for name, value in ai_fields.items() if not name.endswith("_tokens")}
    messages = []
    for index, part in enumerate(parts):
        message = Message(
            conversation=conversation,
            sender_id=sender_id,
            recipient_id=contact.user_id,
            content=part,
            channel=channel,
            direction=Direction.OUTBOUND,
            from_number=from_number or None,
            to_number=to,
            participant_number=number,
            status="queued",
            media=[{"url": url} for url in media_urls] if index == 0 else [],
            in_reply_to=in_reply_to,
            **(ai_fields if index == 0 else later_fields),  # agent, model and token usage of an AI reply
        )
        message.full_clean(exclude=["conversation", "in_reply_to"])
        row_insert(message)
        messages.append(message)
    for index, message in enumerate(messages):
        callback = f"{settings.PUBLIC_BASE_URL}/twilio/status?mid={message.pk}" if settings.PUBLIC_BASE_URL else ""
        OutboundSend.objects.create(
            message=message,
            state=SendState.PENDING if index == 0 else SendState.HELD,
            next_part=messages[index + 1] if index + 1 < len(messages) else None,
            messaging_service_sid=service_sid,
            content_sid=content_sid,
            content_variables=content_variables or {},
            status_callback=callback,
        )
    if len(messages) > 1:
        logger.info(
            "Outbound message %s split in %s parts for %s (%s characters)",
            messages[0].pk,
            len(messages),
            channel,
            len(body),
        )
    logger.info("Outbound message %s queued to %s (%s)", messages[0].pk, mask_phone(number), channel)
    return messages[0]


def outbound_queue(**fields) -> Message:
    """Create the row and send it from the `sends` queue once this transaction commits (webhook
    replies, sweeps, retries)."""
    with transaction.atomic():
        message = outbound_create(**fields)
        enqueue_on_commit(SEND_TASK, message.pk)
    return message


def outbound_send_now(**fields) -> Message:
    """Create the row and send it inline, with the same claim as the task (API, panel, CLI). The
    row tells what happened: `sent`/`queued`/... with its SID; `failed` with its error when Twilio
    refused it for good; or still `queued` without a SID when Twilio was busy or unreachable (429,
    5xx, network): then the `sends` queue takes it over as the task's first retry, with its backoff
    (and a look in Twilio's list first when the request may have gone through)."""
    message = outbound_create(**fields)
    try:
        return outbound_deliver(message_id=message.pk, final_attempt=False) or message
    except TransientChannelError:  # the `sends` queue takes it over, as the task's first retry
        enqueue_on_commit(SEND_TASK, message.pk, **first_retry_options(registered_task(SEND_TASK)))
        message.refresh_from_db()
        return message


def _claim(message_id: int) -> bool:
    """The one caller that moves the delivery to `sending` counts the attempt in the same UPDATE."""
    return _move(message_id, SendState.PENDING, SendState.SENDING, attempts=F("attempts") + 1)


def _move(message_id: int, source: str, target: str, **fields) -> bool:
    """Compare-and-set of a delivery's state."""
    return bool(
        OutboundSend.objects.filter(message_id=message_id, state=source).update(
            state=target, updated_at=timezone.now(), **fields
        )
    )


def _finish(message: Message, **fields) -> Message:
    fields["updated_at"] = timezone.now()
    Message.objects.filter(pk=message.pk).update(**fields)
    for name, value in fields.items():
        setattr(message, name, value)
    return message


def _fail(message: Message, error: str, send: OutboundSend | None = None) -> Message:
    logger.warning("Outbound message %s failed: %s", message.pk, error)
    _move(message.pk, SendState.SENDING, SendState.FAILED)
    if send is not None and send.next_part_id:
        _later_parts_fail(send)
    return _finish(message, status="failed", error=error[:500])


def _create_params(message: Message, send: OutboundSend) -> dict:
    params: dict = {"to": message.to_number}
    if send.messaging_service_sid:
        params["messaging_service_sid"] = send.messaging_service_sid
    else:
        params["from_"] = message.from_number
    if send.content_sid:
        params["content_sid"] = send.content_sid
        if send.content_variables:
            params["content_variables"] = json.dumps(send.content_variables)
    elif message.content:
        params["body"] = message.content
    if message.media:
        params["media_url"] = [item["url"] for item in message.media]
    if send.status_callback:
        params["status_callback"] = send.status_callback
    return params


def _already_sent(message: Message) -> tuple[str, str] | None:
    """(sid, status) of this message in Twilio's list when an earlier attempt reached Twilio."""
    # Newest first; not filtered on DateSent, which Twilio sets only once a message has gone out.
    since = message.created_at - RECONCILE_LOOKBACK
    listed = twilio_client().messages.list(to=message.to_number, limit=50)
    for item in (item for item in listed if item.date_created is None or item.date_created >= since):
        same_sender = (item.from_ or "") == (message.from_number or "") or not message.from_number
        ours = same_sender and (item.body or "") == message.content and (item.direction or "").startswith("outbound")
        if ours and not Message.objects.filter(external_id=item.sid).exclude(pk=message.pk).exists():
            return item.sid, item.status
    return None


def _status_after(current: str | None, reported: str) -> str:
    """The row's status once Twilio reports `reported`: never lower, never out of a terminal one."""
    if current in TERMINAL_STATUSES:
        return current
    if reported in TERMINAL_STATUSES or current is None:
        return reported
    return reported if STATUS_RANKS.get(reported, -1) > STATUS_RANKS.get(current, -1) else current


class SendHeartbeat(Heartbeat):
    """Renews the claims of the deliveries this process is sending, every quarter of
    TWILIO_SEND_LEASE_S: a worker that dies mid-send stops renewing, and the sweeper takes its
    delivery over once the lease has lapsed; a live one, however slow Twilio is, keeps it."""

    thread_name = "send-lease-heartbeat"
    log = logger

    def interval(self) -> float:
        return settings.TWILIO_SEND_LEASE_S / 4

    def renew(self, keys: list) -> int:
        return OutboundSend.objects.filter(message_id__in=keys, state=SendState.SENDING).update(
            updated_at=timezone.now()
        )


heartbeat = SendHeartbeat()


def outbound_deliver(*, message_id: int, final_attempt: bool) -> Message | None:
    """Send one queued row; None when another caller already claimed it. Raises
    TransientChannelError (the row back to `queued`) for the task to retry unless `final_attempt`."""
    if not _claim(message_id):
        logger.info("Outbound message %s is not waiting to be sent: already handled, skipping", message_id)
        return None
    with heartbeat.holding(message_id):
        return _deliver(message_id, final_attempt=final_attempt)


def _deliver(message_id: int, *, final_attempt: bool) -> Message:
    send = OutboundSend.objects.select_related("message").get(message_id=message_id)
    message = send.message
    contact = contact_for(address=message.participant_number or "", channel=message.channel)
    if contact.opted_out:  # opted out after the row was queued
        return _fail(message, OPTED_OUT, send)
    try:
        found = _already_sent(message) if send.needs_reconcile else None
        if found is not None:
            sid, status = found
            logger.info("Outbound message %s was already accepted by Twilio (%s): not sent again", message.pk, sid)
        else:
            result = twilio_client().messages.create(**_create_params(message, send))
            sid, status = result.sid, result.status
    except TwilioNotConfigured:
        return _fail(message, "Twilio is not configured.", send)
    except Exception as exc:
        try:
            error = classify(exc)
        except Exception:
            logger.exception("Outbound message %s: unexpected error while sending", message.pk)
            return _fail(message, "internal error", send)
        return _after_error(message, send, error, final_attempt=final_attempt)
    # A status callback (?mid=) may have come in since the claim: never lower what it said. Our
    # own `queued` (the row waiting here) says nothing.
    current = Message.objects.filter(pk=message.pk).values_list("status", flat=True).first()
    status = _status_after(None if current == "queued" else current, status)
    # A part with a next one: its SID and the release of the next in one transaction, so a crash
    # leaves this part `sending` (reconciled by the sweeper, then released), never the next held.
    with transaction.atomic() if send.next_part_id else nullcontext():
        message = _finish(message, external_id=sid, status=status, error=None)
        _move(message.pk, SendState.SENDING, SendState.SENT, needs_reconcile=False, last_error_code=None)
        if send.next_part_id:
            _next_part_release(send.next_part_id)
    logger.info("Outbound message %s sent with SID=%s (%s)", message.pk, sid, message.status)
    return message


def _next_part_release(message_id: int) -> None:
    if _move(message_id, SendState.HELD, SendState.PENDING):
        enqueue_on_commit(SEND_TASK, message_id)


def _later_parts_fail(send: OutboundSend) -> None:
    """The held parts after a part that failed: never sent out of order, so failed too (each can be
    retried)."""
    next_id = send.next_part_id
    while next_id is not None:
        if not _move(next_id, SendState.HELD, SendState.FAILED):
            return
        Message.objects.filter(pk=next_id).update(status="failed", error=EARLIER_PART_FAILED, updated_at=timezone.now())
        next_id = OutboundSend.objects.filter(message_id=next_id).values_list("next_part_id", flat=True).first()


def _after_error(message: Message, send: OutboundSend, error: ChannelError, *, final_attempt: bool) -> Message:
    OutboundSend.objects.filter(pk=send.pk).update(
        last_error_code=error.code,
        needs_reconcile=send.needs_reconcile or (isinstance(error, TransientChannelError) and error.maybe_sent),
    )
    if isinstance(error, PermanentChannelError):
        if error.code == OPTED_OUT_CODE:
            contact = contact_for(address=message.participant_number or "", channel=message.channel)
            contact_opt_out(contact=contact, source=OptOutSource.TWILIO)
        return _fail(message, error.summary, send)
    if final_attempt:
        return _fail(message, error.summary, send)
    _move(message.pk, SendState.SENDING, SendState.PENDING)
    _finish(message, error=error.summary)
    logger.warning("Outbound message %s: %s; will retry", message.pk, error.summary)
    raise error


def outbound_sweep(*, older_than_s: float | None = None) -> list[int]:
    """Deliveries left `pending` past TWILIO_STALE_SEND_AFTER_S (the broker was down, a task was
    lost) or `sending` past TWILIO_SEND_LEASE_S since their last heartbeat (the worker died
    mid-send): a `sending` one may have reached Twilio, so it is reconciled before any resend.
    `older_than_s` overrides both. The message ids returned are for the caller to re-enqueue."""
    now = timezone.now()
    cutoffs: dict[str, float] = {
        SendState.PENDING: settings.TWILIO_STALE_SEND_AFTER_S if older_than_s is None else older_than_s,
        SendState.SENDING: settings.TWILIO_SEND_LEASE_S if older_than_s is None else older_than_s,
    }
    stale = OutboundSend.objects.filter(
        Q(state=SendState.PENDING, updated_at__lt=now - timedelta(seconds=cutoffs[SendState.PENDING]))
        | Q(state=SendState.SENDING, updated_at__lt=now - timedelta(seconds=cutoffs[SendState.SENDING]))
    )
    ids = []
    for pk, message_id, state in stale.values_list("pk", "message_id", "state")[:500]:
        cutoff = now - timedelta(seconds=cutoffs[state])
        reconcile = {"needs_reconcile": True} if state == SendState.SENDING else {}
        if OutboundSend.objects.filter(pk=pk, state=state, updated_at__lt=cutoff).update(
            state=SendState.PENDING, updated_at=now, **reconcile
        ):
            ids.append(message_id)
    if ids:
        logger.warning("Sweeper re-enqueues %s stale outbound message(s): %s", len(ids), ids[:20])
    return ids


def outbound_refused_record(*, to_message: Message, text: str, error: str, **fields) -> Message:
    """A reply that the channel refused before any request (opted out, window closed, Twilio not
    configured): kept as a `failed` row with its text, so the conversation shows what happened."""
    message = Message.objects.create(
        conversation=to_message.conversation,
        recipient_id=to_message.sender_id,
        content=text[:CONTENT_MAX_LENGTH],
        channel=to_message.channel,
        direction=Direction.OUTBOUND,
        from_number=to_message.to_number,
        to_number=to_message.from_number,
        participant_number=to_message.participant_number,
        status="failed",
        error=error[:500],
        in_reply_to=to_message,
        **fields,  # sender_id, and the agent, model and token usage of an AI reply
    )
    logger.warning("Reply %s to message %s not sent: %s", message.pk, to_message.pk, error)
    return message


def outbound_reply(*, to_message: Message, text: str, **fields) -> Message:
    """A reply from the number the contact wrote to, back to the contact (prefix kept),
    sent from the queue; one the channel refuses at once is kept as a `failed` row."""
    try:
        return outbound_queue(to=to_message.from_number or "", body=text, in_reply_to=to_message, **fields)
    except ApplicationError as exc:
        return outbound_refused_record(to_message=to_message, text=text, error=exc.message, **fields)
