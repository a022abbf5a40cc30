"""The delivery of outbound Twilio messages (their rows are made by `outbound`).

Every outbound message is a row before it is a Twilio request. Sending claims its delivery with a
compare-and-set `pending → sending` (OutboundSend.state), so a redelivered task never sends twice.
The Twilio call runs outside any transaction. A transient error (429, 5xx, network) puts the
delivery back to `pending` for the task's retry; when the request may have reached Twilio (a 5xx,
a timeout), the next attempt first looks for the message in Twilio's list and adopts it instead of
sending again. Twilio's create call has no idempotency key, so a crash between Twilio accepting a
send and our save is the one window left; that reconciliation closes it before any resend.

A body longer than the channel takes is split into parts (inbox.splitting), one row and one delivery
each. Only the first is `pending`; the others are `held`, which neither the claim nor the sweeper
touches, and each is released (`held → pending`, then queued) in the same transaction that records
the SID of the part before it. So part n+1 is sent only after Twilio accepted part n, whatever
retries, reconciliations or dead workers happen in between; a part that fails for good fails the
parts after it.
"""

from __future__ import annotations

import json
import logging
from contextlib import nullcontext
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.db import release_db_connection
from core.heartbeat import Heartbeat
from core.tasks import enqueue_on_commit, first_retry_options, registered_task, send_on_commit
from inbox.enums import OptOutSource
from inbox.services.contacts import contact_for, contact_opt_out
from messaging.models import Message
from twilio_channel.client import twilio_client
from twilio_channel.enums import STATUS_RANKS, TERMINAL_STATUSES
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

RECONCILE_LOOKBACK = timedelta(minutes=2)
EARLIER_PART_FAILED = "Not sent: an earlier part of this message failed."
SEND_TASK = "twilio_channel.send_message"  # queued by name: the tasks module calls this one


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


def outbound_deliver_or_retry(*, message_id: int) -> Message | None:
    """Send one queued row now, from this process; None when another caller has it or when Twilio
    could not take it now (429, 5xx, network): then the `sends` queue takes it over as the task's
    first retry, with its backoff and attempts (and a look in Twilio's list first when the request
    may have gone through)."""
    try:
        return outbound_deliver(message_id=message_id, final_attempt=False)
    except TransientChannelError:
        enqueue_on_commit(SEND_TASK, message_id, **first_retry_options(registered_task(SEND_TASK)))
        return None


def outbound_send_on_commit(message_id: int, *, here: bool = False) -> None:
    """Send a queued row once the transaction commits: from the `sends` queue, or `here`, from this
    process (core.tasks.send_on_commit)."""
    send_on_commit(outbound_deliver_or_retry, SEND_TASK, message_id, here=here, log=logger)


def _deliver(message_id: int, *, final_attempt: bool) -> Message:
    send = OutboundSend.objects.select_related("message").get(message_id=message_id)
    message = send.message
    contact = contact_for(address=message.participant_number or "", channel=message.channel)
    if contact.opted_out:  # opted out after the row was queued
        return _fail(message, OPTED_OUT, send)
    release_db_connection()  # a thread of the worker waits on Twilio without holding a connection
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
