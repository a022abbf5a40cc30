"""What Twilio reports about outbound messages: every callback is kept
in an append-only log; the message's status never moves backwards and never leaves a terminal one."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import timedelta

from django.db import IntegrityError, connection, connections, router, transaction
from django.db.models import Q
from django.utils import timezone

from core.db import row_insert, update_sql
from core.statements import Compiled
from messaging.enums import Direction
from messaging.models import Message
from twilio_channel.client import twilio_client, twilio_configured
from twilio_channel.enums import STATUS_RANKS, TERMINAL_STATUSES
from twilio_channel.errors import classify
from twilio_channel.models import MessageStatusEvent
from twilio_channel.selectors import TWILIO_CHANNELS

logger = logging.getLogger("twilio_webhook")

RECONCILE_AFTER = timedelta(minutes=10)
RECONCILE_WITHIN = timedelta(days=3)
RECONCILE_BATCH = 500


def _rank(reported: str) -> int | str:
    """What the rank rules go by: "terminal", else the rank (an unranked status counts as -1)."""
    return "terminal" if reported in TERMINAL_STATUSES else STATUS_RANKS.get(reported, -1)


def _ranks_lower(rank: int | str) -> Q:
    """The stored statuses a report of `rank` may replace, as a WHERE clause so the UPDATE itself
    decides (a late or out-of-order callback matches no row): never a terminal one; a terminal
    report replaces any other; else a higher rank (an unranked stored status counts as -1; none is
    replaced by anything)."""
    lower = Q(status__isnull=True)
    if rank == "terminal":
        return lower | ~Q(status__in=TERMINAL_STATUSES)
    if isinstance(rank, int) and rank >= 0:  # an unranked stored status counts as -1: any ranked report moves it
        lower |= Q(status__in=[name for name, other in STATUS_RANKS.items() if other < rank])
        lower |= ~Q(status__in=[*STATUS_RANKS, *TERMINAL_STATUSES])
    return lower


def statuses_replaced_by(reported: str) -> Q:
    """The stored statuses a report of `reported` may replace (the send's SID, stored with the
    status Twilio answered, goes by the same rules)."""
    return _ranks_lower(_rank(reported))


def _move_sql(using: str, shape: tuple[bool, int | str], *, pk: int, sid: str, status: str, now, **error: str):
    unsent, rank = shape
    where = Q(pk=pk)
    if unsent:  # the row holds no SID or this one, so storing the SID changes only a missing one
        where &= Q(external_id__isnull=True) | Q(external_id="") | Q(external_id=sid)
    rows = Message.objects.using(using).filter(where, _ranks_lower(rank), direction=Direction.OUTBOUND)
    return update_sql(rows, status=status, external_id=sid, updated_at=now, **error)


# Every outbound message takes two callbacks: the UPDATE is compiled once per rank (core.statements).
_MOVE = Compiled(
    _move_sql,
    pk=Message._meta.get_field("id"),
    sid=Message._meta.get_field("external_id"),
    status=Message._meta.get_field("status"),
    now=Message._meta.get_field("updated_at"),
    error=Message._meta.get_field("error"),
)


def _is_key(value: int) -> bool:
    low, high = connections[router.db_for_write(Message)].ops.integer_field_range(Message._meta.pk.get_internal_type())
    return low <= value <= high


def _message_find(sid: str, message_id: int | None) -> Message | None:
    """The outbound row a report is about: the `mid` row, unless it already holds another SID (a
    `mid` that names another message: trust the SID), else the row with that SID."""
    rows = Message.objects.filter(direction=Direction.OUTBOUND)
    if message_id is not None:
        message = rows.filter(pk=message_id).first()
        if message is not None and message.twilio_sid in (None, "", sid):
            return message
    return rows.filter(channel__in=TWILIO_CHANNELS, external_id=sid).first()  # the (channel, external_id) index


def _move(pk: int, *, unsent: bool, sid: str, status: str, error: str | None) -> bool:
    """One UPDATE that moves row `pk` forward only when the rank rules allow it: concurrent
    callbacks of one message cannot lower it. With `unsent`, only while the row holds no SID or
    this one."""
    using = router.db_for_write(Message)
    moved = _MOVE.execute(
        using=using, shape=(unsent, _rank(status)), pk=pk, sid=sid, status=status, now=timezone.now(),
        **({"error": error} if error else {}),
    )  # fmt: skip
    return bool(moved)


def _event_record(**fields) -> None:
    """One INSERT. Outside a transaction (a callback's view) no BEGIN and COMMIT around it: a
    failed INSERT leaves nothing to roll back; inside a caller's (the sync's), a savepoint."""
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            row_insert(MessageStatusEvent(**fields), using=router.db_for_write(MessageStatusEvent))
    except IntegrityError:
        pass  # the same report again (Twilio retries callbacks): already recorded


def _error_text(error_code: str, error_message: str) -> str | None:
    if error_message:
        return error_message[:500]
    return f"Error code: {error_code}" if error_code else None


def status_apply(
    *, sid: str, status: str, error_code: str = "", error_message: str = "", message_id: int | None = None
) -> bool:
    """Record one report of `sid` and move its message forward when it ranks higher; whether it
    moved. `message_id` (the callback's `mid`) finds a row whose SID is not stored yet.

    A callback is on every outbound message's path, twice, so the usual one (a `mid`, a higher
    status) is two statements in autocommit, with no read before them and no transaction around
    them: the guarded UPDATE of the `mid` row, then the event's INSERT (a repeat is refused by the
    unique (sid, status) and ignored; after a crash between the two, Twilio's retry records it).
    Only when that UPDATE moves nothing is the row looked up, as it may be another one or none."""
    status = status.strip().lower()
    error = _error_text(error_code, error_message)
    if message_id is not None and not _is_key(message_id):
        message_id = None  # names no row: the compiled UPDATE would bind it, and the database refuse it
    moved = message_id is not None and _move(message_id, unsent=True, sid=sid, status=status, error=error)
    target = message_id
    if not moved:  # off the usual path: a repeat, a late report, a `mid` of another row, no `mid`
        message = _message_find(sid, message_id)
        target = message.pk if message is not None else None
        if message is not None and message.pk != message_id:
            moved = _move(message.pk, unsent=False, sid=sid, status=status, error=error)
    _event_record(message_id=target, twilio_sid=sid, status=status, error_code=error_code, error_message=error_message)
    if moved:
        logger.info("Message %s (%s) is now %s", target, sid, status)
    elif target is None:
        logger.warning("Status %s for unknown message SID %s", status, sid)
    return moved


def statuses_reconcile() -> int:
    """Daily: outbound messages still short of a final status are looked up in Twilio, in case
    callbacks were lost (PUBLIC_BASE_URL unset, the server unreachable). Returns how many moved."""
    if not twilio_configured():
        return 0
    now = timezone.now()
    pending = (
        Message.objects.filter(direction=Direction.OUTBOUND, external_id__isnull=False)
        .filter(created_at__gte=now - RECONCILE_WITHIN, updated_at__lt=now - RECONCILE_AFTER)
        .exclude(status__in=[*TERMINAL_STATUSES, "delivered", "read"])
    )
    moved = 0
    for message in pending[:RECONCILE_BATCH]:
        try:
            remote = twilio_client().messages(message.twilio_sid).fetch()
        except Exception as exc:
            try:
                summary = classify(exc).summary
            except Exception:
                summary = type(exc).__name__
            logger.warning("Status reconciliation of message %s failed: %s", message.pk, summary)
            continue
        if status_apply(
            sid=message.twilio_sid or "",
            status=remote.status,
            error_code=str(remote.error_code or ""),
            error_message=remote.error_message or "",
        ):
            moved += 1
    if moved:
        logger.info("Status reconciliation moved %s message(s)", moved)
    return moved
