"""Who may answer a message to the bot, and when.

Exactly one reply per message, whatever the redeliveries: the message is claimed with a
compare-and-set `pending → processing`, and only the claimer answers. One turn at a time per
conversation: a lease on the Conversation row (`ai_lease_until`/`ai_lease_token`) taken by another
compare-and-set. No transaction and no lock is held across the LLM call. The lease is short
(AI_LEASE_S) and a heartbeat renews it while the turn runs, so the lease of a worker that died lapses
within AI_LEASE_S and the sweeper hands its message to another worker; a worker that lost its lease
(it stalled past it and the turn was taken over) stores nothing (`ai_reply_store`).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import router
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.db import row_returned, update_returning_sql, update_sql
from core.heartbeat import Heartbeat
from core.statements import Compiled
from messaging.enums import ReplyState
from messaging.models import Conversation, Message
from messaging.selectors.bursts import burst_earlier_pending, burst_missed
from messaging.services.ai_replies import reply_state_move
from orchestrator.exceptions import LeaseBusy

logger = logging.getLogger("orchestrator")


def claim(message_id: int) -> bool:
    return reply_state_move(message_id=message_id, source=ReplyState.PENDING, target=ReplyState.PROCESSING)


def unclaim(message_id: int) -> None:
    reply_state_move(message_id=message_id, source=ReplyState.PROCESSING, target=ReplyState.PENDING)


def skip(message: Message) -> None:
    """No reply will come (human mode): the claimed message is closed as `skipped`."""
    reply_state_move(message_id=message.pk, source=ReplyState.PROCESSING, target=ReplyState.SKIPPED)
    message.reply_state = ReplyState.SKIPPED


def _earlier_waiting(*, burst: bool, bot: int, since: datetime) -> Exists:
    """Messages of one conversation are answered in order: two tasks picked up together must not
    let the later message overtake. A stale earlier message (lost task, not updated `since`) does
    not block: the sweeper brings it back, and the conversation goes on meanwhile. Evaluated inside
    the claim's UPDATE. In a burst an earlier `pending` message is no obstacle: the later one's turn
    answers it too."""
    return Exists(
        Message.objects.filter(
            conversation_id=OuterRef("conversation_id"),
            recipient_id=bot,
            reply_state__in=[ReplyState.PROCESSING] if burst else [ReplyState.PENDING, ReplyState.PROCESSING],
            updated_at__gte=since,
        ).filter(Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")))
    )


def _claim_in_order_sql(using: str, burst: bool, *, message_id: int, at: datetime, bot: int, since: datetime):
    rows = Message.objects.using(using).filter(pk=message_id, reply_state=ReplyState.PENDING)
    rows = rows.filter(~_earlier_waiting(burst=burst, bot=bot, since=since))
    return update_sql(rows, reply_state=ReplyState.PROCESSING, updated_at=at)


_CLAIM_IN_ORDER = Compiled(
    _claim_in_order_sql,
    message_id=Message._meta.get_field("id"),
    at=Message._meta.get_field("updated_at"),
    bot=Message._meta.get_field("recipient_id"),
    since=Message._meta.get_field("updated_at"),
)


def claim_in_order(message_id: int, *, burst: bool = False) -> bool:
    """`claim`, but only when no earlier message of the conversation still waits for its reply.
    Raises LeaseBusy (the message stays pending) when one does; False when there is nothing to do.
    One UPDATE ... NOT EXISTS, compiled once (core.statements): building it cost more than running it."""
    now = timezone.now()
    using = router.db_for_write(Message)
    claimed = _CLAIM_IN_ORDER.execute(
        using=using,
        shape=burst,
        message_id=message_id,
        at=now,
        bot=settings.AI_BOT_USER_ID,
        since=now - timedelta(seconds=settings.AI_STALE_REPLY_AFTER_S),
    )
    if claimed:
        return True
    # Rare path: tell "an earlier message goes first" from "already handled or deleted".
    if Message.objects.filter(pk=message_id, reply_state=ReplyState.PENDING).exists():
        raise LeaseBusy(f"message {message_id}: an earlier message of its conversation goes first")
    return False


def burst_claim(message: Message) -> list[int] | None:
    """Claim the earlier messages of `message`'s burst still pending (under the conversation's
    lease, so no other turn's burst takes them); their ids, oldest first. None, with nothing
    claimed, when an earlier message of the burst waits that this turn could not claim: an older
    message's task claimed it between this turn's own claim and now (it will find the lease busy
    and give it back). Answering without it would leave it to a second reply, so the turn steps
    back (LeaseBusy) and its retry gathers the whole burst."""
    mine = [pk for pk in burst_earlier_pending(message) if claim(pk)]
    recent = timezone.now() - timedelta(seconds=settings.AI_STALE_REPLY_AFTER_S)
    if not burst_missed(message, mine=mine, since=recent):
        return mine
    for pk in mine:
        unclaim(pk)
    return None


def _lease_sql(using: str, shape: object, *, conversation_id: int, now: datetime, until: datetime, token: str):
    lapsed = Q(ai_lease_until__isnull=True) | Q(ai_lease_until__lte=now)
    free = Conversation.objects.using(using).filter(lapsed, pk=conversation_id)
    return update_returning_sql(free, ai_lease_until=until, ai_lease_token=token)


_LEASE = Compiled(
    _lease_sql,
    conversation_id=Conversation._meta.get_field("id"),
    now=Conversation._meta.get_field("ai_lease_until"),
    until=Conversation._meta.get_field("ai_lease_until"),
    token=Conversation._meta.get_field("ai_lease_token"),
)


def lease_acquire(*, conversation_id: int) -> Conversation | None:
    """Take the conversation's AI lease if it is free or lapsed: the conversation as the same UPDATE
    leaves it (the lease's token in `ai_lease_token`), so the turn reads its mode, stickiness and
    reset marker at the moment it starts to own it; None when busy. Compiled once (core.statements)."""
    now = timezone.now()
    using = router.db_for_write(Conversation)
    sql, params = _LEASE.sql(
        using=using,
        conversation_id=conversation_id,
        now=now,
        until=now + timedelta(seconds=settings.AI_LEASE_S),
        token=uuid.uuid4().hex,
    )
    return row_returned(Conversation, sql, params, using=using)


def lease_release(*, conversation_id: int, token: str) -> None:
    Conversation.objects.filter(pk=conversation_id, ai_lease_token=token).update(ai_lease_until=None, ai_lease_token="")


class LeaseHeartbeat(Heartbeat):
    """Renews the leases of the turns this process runs, every quarter of AI_LEASE_S, in one
    UPDATE for all of them; a lease another worker has taken over (its token changed) is simply no
    longer renewed."""

    thread_name = "ai-lease-heartbeat"
    what = "lease(s)"
    log = logger

    def interval(self) -> float:
        return settings.AI_LEASE_S / 4

    def renew(self, keys: list) -> int:
        until = timezone.now() + timedelta(seconds=settings.AI_LEASE_S)
        return Conversation.objects.filter(ai_lease_token__in=keys).update(ai_lease_until=until)


heartbeat = LeaseHeartbeat()
