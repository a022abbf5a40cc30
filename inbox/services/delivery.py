"""The inbox's delivery of outbound messages, for every channel that runs none of its own.

Every outbound message is a row before it is a request. Sending claims the row with a
compare-and-set of its status `queued → sending`, so a redelivered task never sends twice; the
channel's request runs outside any transaction. A transient error puts the row back to `queued`
for the task's retry (after the channel's `retry_after` when it gave one); a permanent one fails
it, an opted-out recipient also opts the contact out. A row left `sending` past INBOX_SEND_LEASE_S
(a dead worker) or `queued` past twice the longest retry wait (the broker was down) is re-enqueued
by the sweeper: such a channel has no list to reconcile with, so a worker that died after the
request went out may send it twice.

A text longer than the channel takes is split (inbox.splitting): one row each, the first `queued`,
the others `held` until the part before it was sent, so they arrive in order.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import router, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from core.db import release_db_connection, row_returned, update_returning_sql
from core.statements import Compiled
from core.tasks import enqueue_on_commit, send_on_commit
from inbox.channels import channel_names, get_channel
from inbox.enums import OptOutSource
from inbox.errors import ChannelError, OptedOutError, TransientChannelError
from inbox.models import Contact
from inbox.services.contacts import contact_for, contact_opt_out
from messaging.enums import Direction
from messaging.models import CONTENT_MAX_LENGTH, Conversation, Message
from messaging.services.conversations import channel_conversation_get, conversation_touch

logger = logging.getLogger("twilio_webhook")  # the contract's log of the external channels

SEND_TASK = "inbox.send_message"  # queued by name: the tasks module calls this one
QUEUED, HELD, SENDING, SENT, FAILED = "queued", "held", "sending", "sent", "failed"
OPTED_OUT = "Recipient has opted out."


def _outbound_row(*, channel: str, address: str, text: str, conversation: Conversation, **fields) -> Message:
    return Message.objects.create(
        conversation=conversation,
        channel=channel,
        direction=Direction.OUTBOUND,
        participant_number=address,
        to_number=address,
        content=text[:CONTENT_MAX_LENGTH],
        **fields,
    )


def _store(*, channel: str, address: str, text: str, conversation: Conversation, send_here: bool, **fields) -> Message:
    """The rows of one text, its first part sent on commit (`outbound_send_on_commit`)."""
    spec = get_channel(channel)
    at = timezone.now()
    first: Message | None = None
    for number, part in enumerate(spec.parts(text)):
        message = _outbound_row(
            channel=channel, address=address, text=part, conversation=conversation,
            status=QUEUED if number == 0 else HELD, created_at=at, **fields,
        )  # fmt: skip
        first = first or message
    conversation_touch(conversation=conversation, at=at)
    assert first is not None
    outbound_send_on_commit(first.pk, here=send_here)
    return first


def retry_countdown(error: TransientChannelError, *, retries: int) -> float:
    """Seconds before the send task's next attempt: what the channel asked (`retry_after`, capped
    below the broker's visibility timeout), else 2, 4, 8 s ... capped at TWILIO_SEND_BACKOFF_MAX_S."""
    if error.retry_after is not None:
        return min(float(error.retry_after), settings.INBOX_SEND_RETRY_AFTER_MAX_S)
    return min(2.0 ** (retries + 1), settings.TWILIO_SEND_BACKOFF_MAX_S)


def outbound_send_on_commit(message_id: int, *, here: bool = False) -> None:
    """Send a queued row once the transaction commits: from the send task, or `here`, from this
    process (core.tasks.send_on_commit)."""
    send_on_commit(outbound_deliver_or_retry, SEND_TASK, message_id, here=here, log=logger)


def outbound_deliver_or_retry(*, message_id: int) -> Message | None:
    """Send one queued row now, from this process; None when another caller has it or when the
    channel could not take it now: then the send task takes it over as its first retry, after the
    channel's `retry_after` when it gave one."""
    try:
        return outbound_deliver(message_id=message_id, final_attempt=False)
    except TransientChannelError as exc:
        enqueue_on_commit(SEND_TASK, message_id, countdown=retry_countdown(exc, retries=0), retries=1)
        return None


def _refused(*, channel: str, address: str, text: str, conversation: Conversation, error: str, **fields) -> Message:
    message = _outbound_row(
        channel=channel, address=address, text=text, conversation=conversation, status=FAILED, error=error, **fields
    )
    logger.warning("Message %s on %s not sent: %s", message.pk, channel, error)
    return message


def outbound_send(
    *,
    channel: str,
    address: str,
    text: str,
    conversation: Conversation | None = None,
    send_here: bool = False,
    contact: Contact | None = None,
    **fields,
) -> Message:
    """Store a message to `address` and send it (the first part of it) once the transaction commits,
    from the send task or `send_here`; refused and stored as failed when the contact opted out
    (`contact`: its row when the caller read it in its transaction, else read here)."""
    # No savepoint inside a caller's transaction (a task's reply): nothing in here is caught.
    with transaction.atomic(savepoint=False):
        conversation = conversation or channel_conversation_get(number=address, channel=channel)
        if (contact or contact_for(channel=channel, address=address)).opted_out:
            return _refused(
                channel=channel, address=address, text=text, conversation=conversation, error=OPTED_OUT, **fields
            )
        return _store(
            channel=channel, address=address, text=text, conversation=conversation, send_here=send_here, **fields
        )


def outbound_reply(
    *, to_message: Message, text: str, send_here: bool = False, contact: Contact | None = None, **fields
) -> Message:
    """The reply to an inbound message, back to its sender on its channel (`contact`: the sender's,
    when the caller read it in its transaction)."""
    fields.setdefault("recipient_id", to_message.sender_id)
    return outbound_send(
        channel=to_message.channel,
        address=to_message.participant_number or "",
        text=text,
        conversation=to_message.conversation,
        in_reply_to=to_message,
        send_here=send_here,
        contact=contact,
        **fields,
    )


def _move(message_id: int, source: str, target: str, **fields) -> bool:
    fields.setdefault("updated_at", timezone.now())
    return bool(Message.objects.filter(pk=message_id, status=source).update(status=target, **fields))


def _claim_sql(using: str, shape: object, *, message_id: int, now: datetime):
    rows = Message.objects.using(using).filter(pk=message_id, status=QUEUED)
    return update_returning_sql(rows, status=SENDING, updated_at=now)


_CLAIM = Compiled(_claim_sql, message_id=Message._meta.get_field("id"), now=Message._meta.get_field("updated_at"))


def _claim(message_id: int) -> Message | None:
    """The compare-and-set `queued → sending`, returning the row as it leaves it (one statement,
    compiled once: core.statements); None for every caller but one."""
    using = router.db_for_write(Message)
    sql, params = _CLAIM.sql(using=using, message_id=message_id, now=timezone.now())
    return row_returned(Message, sql, params, using=using)


def _later_parts(message: Message) -> QuerySet[Message]:
    """The held parts after this one of the same text (stored together, in order, by `_store`)."""
    return Message.objects.filter(
        Q(conversation_id=message.conversation_id),
        channel=message.channel,
        direction=Direction.OUTBOUND,
        in_reply_to_id=message.in_reply_to_id,
        status=HELD,
        pk__gt=message.pk,
    ).order_by("pk")


def _fail(message: Message, error: ChannelError) -> None:
    with transaction.atomic():
        _move(message.pk, SENDING, FAILED, error=error.summary[:500])
        # A part that failed for good fails the parts after it: they would read as a broken text.
        _later_parts(message).update(status=FAILED, error=error.summary[:500], updated_at=timezone.now())
    logger.warning("Message %s on %s failed: %s", message.pk, message.channel, error.summary)


def outbound_deliver(*, message_id: int, final_attempt: bool) -> Message | None:
    """Send one queued row over its channel; the row, or None when another caller has it. Raises
    TransientChannelError after putting the row back to `queued`, for the task to retry."""
    message = _claim(message_id)
    if message is None:
        logger.info("Message %s is not queued: sent or being sent elsewhere, skipping", message_id)
        return None
    contact = contact_for(channel=message.channel, address=message.participant_number or "")
    if contact.opted_out:
        _fail(message, OptedOutError(OPTED_OUT))
        return message
    sender = import_string(get_channel(message.channel).sender)
    release_db_connection()  # a thread of the worker waits on the channel without holding a connection
    try:
        external_id = sender.send(message)
    except OptedOutError as exc:
        contact_opt_out(contact=contact, source=OptOutSource.CHANNEL)
        _fail(message, exc)
    except TransientChannelError as exc:
        if final_attempt:
            _fail(message, exc)
        else:
            _move(message.pk, SENDING, QUEUED)
            logger.info("Message %s on %s will be retried: %s", message.pk, message.channel, exc.summary)
            raise
    except ChannelError as exc:  # permanent
        _fail(message, exc)
    else:
        sent = {"external_id": external_id, "error": None, "updated_at": timezone.now()}
        with transaction.atomic():
            moved = _move(message.pk, SENDING, SENT, **sent)
            following = _later_parts(message).first()
            if following is not None and _move(following.pk, HELD, QUEUED):
                enqueue_on_commit(SEND_TASK, following.pk)
        logger.info("Message %s sent on %s", message.pk, message.channel)
        if moved:  # the row holds what was just written: no read back
            for name, value in {**sent, "status": SENT}.items():
                setattr(message, name, value)
            return message
    message.refresh_from_db()
    return message


def _stale_queued_s() -> float:
    """A `queued` row may be waiting for its retry (a 429's retry_after, the task's backoff): it is
    the sweeper's only after twice the longest such wait, so a channel's wait is never cut short."""
    return 2 * max(settings.INBOX_SEND_RETRY_AFTER_MAX_S, settings.TWILIO_SEND_BACKOFF_MAX_S)


def outbound_sweep() -> list[int]:
    """Rows of the inbox's channels left `queued` (the broker was down) or `sending` past the lease
    (a dead worker): back to `queued`, their ids to re-enqueue."""
    now = timezone.now()
    own = [name for name in channel_names() if not get_channel(name).replier]
    rows = Message.objects.filter(direction=Direction.OUTBOUND, channel__in=own)
    cutoffs = {QUEUED: _stale_queued_s(), SENDING: settings.INBOX_SEND_LEASE_S}
    ids = []
    for state, after in cutoffs.items():
        stale = rows.filter(status=state, updated_at__lt=now - timedelta(seconds=after))
        for pk in stale.order_by("pk").values_list("pk", flat=True)[: settings.SWEEP_BATCH_SIZE]:
            if _move(pk, state, QUEUED):
                ids.append(pk)
    if ids:
        logger.warning("Sweeper re-enqueues %s stale outbound message(s): %s", len(ids), ids[:20])
    return ids
