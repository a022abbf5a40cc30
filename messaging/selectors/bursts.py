"""One reply per burst (issue 27): which messages a burst's answer covers, and whether it is stale."""

from datetime import datetime

from django.db import connections, router
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from core.statements import Compiled
from messaging.enums import ReplyState
from messaging.models import Message

BURST_MAX = 50  # messages one answer covers at most; the rest get the next one

_WAITING = (ReplyState.PENDING, ReplyState.PROCESSING)


def _same_thread(message: Message) -> QuerySet[Message]:
    """The conversation's messages answered the same way as `message`: to the bot (an AI turn), or
    inbound with no recipient (the inbox's own answer)."""
    rows = Message.objects.filter(conversation=message.conversation_id, direction=message.direction)
    return rows.filter(recipient_id=message.recipient_id)


def _thread_sql(
    using: str, *, conversation_id: int, direction: str, recipient_id: int | None = None
) -> QuerySet[Message]:
    rows = Message.objects.using(using).filter(conversation=conversation_id, direction=direction)
    return rows.filter(recipient_id__isnull=True) if recipient_id is None else rows.filter(recipient_id=recipient_id)


def _newer(created_at: datetime, pk: int) -> Q:
    return Q(created_at__gt=created_at) | Q(created_at=created_at, pk__gt=pk)


def _earlier(created_at: datetime, pk: int) -> Q:
    return Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk)


_THREAD_FIELDS = {
    "conversation_id": Message._meta.get_field("conversation"),
    "direction": Message._meta.get_field("direction"),
    "recipient_id": Message._meta.get_field("recipient_id"),
    "created_at": Message._meta.get_field("created_at"),
    "pk": Message._meta.get_field("id"),
}


def _thread_values(message: Message) -> dict:
    """The values of `message` the burst's statements are bound to (a recipient only when it has
    one: no recipient is `IS NULL`, another statement)."""
    values = {"conversation_id": message.conversation_id, "direction": message.direction}
    if message.recipient_id is not None:
        values["recipient_id"] = message.recipient_id
    return {**values, "created_at": message.created_at, "pk": message.pk}


def _rows(statement: Compiled, message: Message, **values) -> list[tuple]:
    using = router.db_for_read(Message)
    sql, params = statement.sql(using=using, **_thread_values(message), **values)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _newer_waiting_sql(using: str, shape: object, *, created_at: datetime, pk: int, **thread):
    rows = (
        _thread_sql(using, **thread)
        .filter(_newer(created_at, pk), reply_state__in=_WAITING)
        .order_by()
        .values_list("pk")[:1]
    )
    return rows.query.get_compiler(using).as_sql()


_NEWER_WAITING = Compiled(_newer_waiting_sql, **_THREAD_FIELDS)


def burst_newer_waiting(message: Message) -> bool:
    """A newer message of the conversation waits for its answer: `message`'s answer is stale (the
    newer one's answers everything so far). Compiled once (core.statements)."""
    return bool(_rows(_NEWER_WAITING, message))


def _waiting_sql(using: str, shape: object, *, created_at: datetime, pk: int, since: datetime, **thread):
    newer = _newer(created_at, pk)
    earlier = _earlier(created_at, pk) & (
        Q(reply_state=ReplyState.PENDING) | Q(reply_state=ReplyState.PROCESSING, updated_at__gte=since)
    )
    rows = _thread_sql(using, **thread).filter((newer & Q(reply_state__in=_WAITING)) | earlier)
    is_newer = Case(When(newer, then=Value(True)), default=Value(False), output_field=BooleanField())
    rows = rows.order_by("-created_at", "-id").values_list("pk", "reply_state", is_newer)[:BURST_MAX]
    return rows.query.get_compiler(using).as_sql()


_WAITING_AROUND = Compiled(_waiting_sql, **_THREAD_FIELDS, since=Message._meta.get_field("updated_at"))


def burst_waiting(message: Message, *, since: datetime) -> tuple[bool, dict[int, str]]:
    """What waits around `message` in one SELECT (compiled once): whether a newer message of the
    conversation waits for its answer (`burst_newer_waiting`), and else its earlier messages that
    wait, newest first (at most BURST_MAX), id → reply state: `pending` ones are the rest of its
    burst; a `processing` one (claimed since `since`; older claims are a dead worker's, the
    sweeper's) is being answered by an older message's task."""
    earlier: dict[int, str] = {}
    for pk, state, newer in _rows(_WAITING_AROUND, message, since=since):
        if newer:
            return True, {}
        earlier[pk] = state
    return False, earlier


def burst_earlier_pending(message: Message) -> list[int]:
    """The ids of the conversation's earlier messages still waiting (`pending`), oldest first: the
    rest of `message`'s burst."""
    earlier = Q(created_at__lt=message.created_at) | Q(created_at=message.created_at, pk__lt=message.pk)
    rows = _same_thread(message).filter(earlier, reply_state=ReplyState.PENDING).order_by("-created_at", "-id")
    return sorted(rows.values_list("pk", flat=True)[:BURST_MAX])


def burst_missed(message: Message, *, mine: list[int], since: datetime) -> bool:
    """An earlier message of `message`'s burst waits that its answer does not cover (`mine` the
    ids it claimed): pending, or claimed by an older message's task meanwhile (`processing` since
    `since`; one left by a dead worker is the sweeper's)."""
    earlier = Q(created_at__lt=message.created_at) | Q(created_at=message.created_at, pk__lt=message.pk)
    waiting = Q(reply_state=ReplyState.PENDING) | Q(reply_state=ReplyState.PROCESSING, updated_at__gte=since)
    rows = _same_thread(message).filter(earlier).filter(waiting).order_by("-created_at", "-id")
    return not set(rows.values_list("pk", flat=True)[:BURST_MAX]) <= set(mine)
