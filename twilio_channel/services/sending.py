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
from datetime import datetime, timedelta

from django.conf import settings
from django.db import router, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone

from core.db import model_from_row, release_db_connection, row_returned, update_returning_sql, update_sql
from core.heartbeat import Heartbeat
from core.statements import Compiled
from core.tasks import enqueue_on_commit, first_retry_options, registered_task, send_on_commit
from inbox.enums import OptOutSource
from inbox.models import Contact
from inbox.services.contacts import contact_for, contact_opt_out
from messaging.models import Message
from twilio_channel.client import twilio_client
from twilio_channel.errors import (
    OPTED_OUT_CODE,
    ChannelError,
    PermanentChannelError,
    TransientChannelError,
    TwilioNotConfigured,
    classify,
)
from twilio_channel.models import OutboundSend, SendState
from twilio_channel.services.statuses import statuses_replaced_by

logger = logging.getLogger("twilio_webhook")

OPTED_OUT = "Recipient has opted out."

RECONCILE_LOOKBACK = timedelta(minutes=2)
EARLIER_PART_FAILED = "Not sent: an earlier part of this message failed."
SEND_TASK = "twilio_channel.send_message"  # queued by name: the tasks module calls this one


def _claim_sql(using: str, shape: object, *, message_id: int, now: datetime):
    rows = OutboundSend.objects.using(using).filter(message_id=message_id, state=SendState.PENDING)
    return update_returning_sql(rows, state=SendState.SENDING, updated_at=now, attempts=F("attempts") + 1)


_CLAIM = Compiled(
    _claim_sql, message_id=OutboundSend._meta.get_field("message"), now=OutboundSend._meta.get_field("updated_at")
)


def _claim(message_id: int) -> OutboundSend | None:
    """The compare-and-set `pending → sending` that counts the attempt, returning the delivery as it
    leaves it (one statement, compiled once: core.statements); None for every caller but one."""
    using = router.db_for_write(OutboundSend)
    sql, params = _CLAIM.sql(using=using, message_id=message_id, now=timezone.now())
    return row_returned(OutboundSend, sql, params, using=using)


def _move_sql(using: str, shape: tuple, *, message_id: int, source: str, target: str, now: datetime):
    rows = OutboundSend.objects.using(using).filter(message_id=message_id, state=source)
    return update_sql(rows, state=target, updated_at=now, **dict(shape))


_MOVE = Compiled(
    _move_sql,
    message_id=OutboundSend._meta.get_field("message"),
    source=OutboundSend._meta.get_field("state"),
    target=OutboundSend._meta.get_field("state"),
    now=OutboundSend._meta.get_field("updated_at"),
)


def _move(message_id: int, source: str, target: str, **constants: bool | None) -> bool:
    """Compare-and-set of a delivery's state, compiled once (core.statements); `constants` are
    fields set to a value that is part of the statement (a flag, a cleared column)."""
    using = router.db_for_write(OutboundSend)
    shape = tuple(sorted(constants.items()))
    return bool(
        _MOVE.execute(using=using, shape=shape, message_id=message_id, source=source, target=target, now=timezone.now())
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


def _sent_sql(using: str, reported: str, *, message_id: int, sid: str, now: datetime):
    # A status callback (?mid=) may have come in since the claim: never lower what it said. Our
    # own `queued` (the row waiting here) says nothing.
    replaced = Q(status="queued") | statuses_replaced_by(reported)
    status = Case(When(replaced, then=Value(reported)), default=F("status"))
    rows = Message.objects.using(using).filter(pk=message_id)
    return update_returning_sql(rows, external_id=sid, status=status, error=None, updated_at=now)


_SENT = Compiled(
    _sent_sql,
    message_id=Message._meta.get_field("id"),
    sid=Message._meta.get_field("external_id"),
    now=Message._meta.get_field("updated_at"),
)


def _sent(message: Message, *, sid: str, reported: str) -> Message:
    """The message's SID, and the status Twilio reported unless a callback already set a later one,
    in one UPDATE that decides it and returns the row (compiled once per reported status)."""
    using = router.db_for_write(Message)
    sql, params = _SENT.sql(using=using, shape=reported, message_id=message.pk, sid=sid, now=timezone.now())
    return row_returned(Message, sql, params, using=using) or message


def _with_opt_out_sql(using: str, shape: object, *, message_id: int):
    opted_out = Contact.objects.filter(
        channel=OuterRef("channel"), address=OuterRef("participant_number"), opted_out=True
    )
    columns = [field.attname for field in Message._meta.concrete_fields]
    rows = Message.objects.using(using).filter(pk=message_id).order_by()
    rows = rows.annotate(opted_out=Exists(opted_out)).values_list(*columns, "opted_out")
    return rows.query.get_compiler(using).as_sql()


_WITH_OPT_OUT = Compiled(_with_opt_out_sql, message_id=Message._meta.get_field("id"))


def _message_with_opt_out(message_id: int) -> tuple[Message, bool]:
    """The message to send, and whether its contact has opted out (checked at send time: a STOP
    may have come after the row was queued), in one SELECT compiled once."""
    using = router.db_for_read(Message)
    row = _WITH_OPT_OUT.row(using=using, message_id=message_id)
    assert row is not None  # the delivery claimed just before holds the message (a foreign key)
    return model_from_row(Message, row[:-1], using=using), bool(row[-1])


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
    send = _claim(message_id)
    if send is None:
        logger.info("Outbound message %s is not waiting to be sent: already handled, skipping", message_id)
        return None
    with heartbeat.holding(message_id):
        return _deliver(send, final_attempt=final_attempt)


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


def _deliver(send: OutboundSend, *, final_attempt: bool) -> Message:
    message, opted_out = _message_with_opt_out(send.message_id)
    send.message = message
    if opted_out:  # opted out after the row was queued
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
    # A part with a next one: its SID and the release of the next in one transaction, so a crash
    # leaves this part `sending` (reconciled by the sweeper, then released), never the next held.
    with transaction.atomic() if send.next_part_id else nullcontext():
        message = _sent(message, sid=sid, reported=status)
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
