"""One reply per burst (issue 27): which messages a burst's answer covers, and whether it is stale."""

from datetime import datetime

from django.db.models import Q, QuerySet

from messaging.enums import ReplyState
from messaging.models import Message

BURST_MAX = 50  # messages one answer covers at most; the rest get the next one

_WAITING = (ReplyState.PENDING, ReplyState.PROCESSING)


def _same_thread(message: Message) -> QuerySet[Message]:
    """The conversation's messages answered the same way as `message`: to the bot (an AI turn), or
    inbound with no recipient (the inbox's own answer)."""
    rows = Message.objects.filter(conversation=message.conversation_id, direction=message.direction)
    return rows.filter(recipient_id=message.recipient_id)


def burst_newer_waiting(message: Message) -> bool:
    """A newer message of the conversation waits for its answer: `message`'s answer is stale (the
    newer one's answers everything so far)."""
    newer = Q(created_at__gt=message.created_at) | Q(created_at=message.created_at, pk__gt=message.pk)
    return _same_thread(message).filter(newer, reply_state__in=_WAITING).exists()


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
