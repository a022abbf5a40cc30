"""Brings back AI turns that a broker outage or a dead worker left behind."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from messaging.enums import Direction, ReplyState
from messaging.models import Message

logger = logging.getLogger("orchestrator")


def ai_replies_sweep(*, older_than_s: float | None = None) -> list[int]:
    """Messages to the bot left `processing` by a worker that died mid-turn (its conversation's
    lease has lapsed: nobody renews it) or left `pending` for AI_STALE_REPLY_AFTER_S (the broker was
    down, a task was lost). Processing ones go back to `pending` by compare-and-set; the ids returned
    are for the caller to re-enqueue. `older_than_s` overrides both thresholds.

    At most SWEEP_BATCH_SIZE turns are in the workers' hands after a sweep, the oldest first: turns
    claimed and still running count against it, so a backlog (a flood, a long outage) is fed to
    the workers a batch per sweep instead of being queued again whole every interval."""
    now = timezone.now()
    lapsed_claim = Q(
        updated_at__lt=now - timedelta(seconds=settings.AI_LEASE_S if older_than_s is None else older_than_s)
    )
    stale = Q(
        updated_at__lt=now
        - timedelta(seconds=settings.AI_STALE_REPLY_AFTER_S if older_than_s is None else older_than_s)
    )
    to_bot = Message.objects.filter(
        recipient_id=settings.AI_BOT_USER_ID, direction__in=[Direction.INTERNAL, Direction.INBOUND]
    )
    lease_free = (
        Q(conversation__isnull=True)
        | Q(conversation__ai_lease_until__isnull=True)
        | Q(conversation__ai_lease_until__lte=now)
    )
    batch = settings.SWEEP_BATCH_SIZE
    running = to_bot.filter(reply_state=ReplyState.PROCESSING).exclude(lapsed_claim & lease_free)
    room = batch - running[:batch].count()
    # The claim is older than one lease, so the lease was taken after it (never the moment between).
    stuck = Q(lease_free, lapsed_claim, reply_state=ReplyState.PROCESSING)
    waiting = Q(stale, reply_state=ReplyState.PENDING)
    if room <= 0:
        # Busy workers are no news; a backlog they keep waiting is.
        log = logger.warning if to_bot.filter(stuck | waiting).exists() else logger.debug
        log("Sweeper re-enqueues nothing: %s AI turns are running", batch)
        return []
    ids: list[int] = []
    oldest = to_bot.filter(stuck | waiting).order_by("created_at", "id").values_list("pk", "reply_state")[:room]
    for pk, state in oldest:
        # A processing one goes back to pending; a pending one is touched, so a long broker outage
        # re-enqueues it once per interval, not every sweep.
        # reply_state_move's compare-and-set with the staleness condition too: once a sweep, a
        # statement the ORM builds each time.
        condition = lapsed_claim if state == ReplyState.PROCESSING else stale
        if Message.objects.filter(condition, pk=pk, reply_state=state).update(
            reply_state=ReplyState.PENDING, updated_at=now
        ):
            ids.append(pk)
    if ids:
        logger.warning("Sweeper re-enqueues %s stale AI message(s), oldest first: %s", len(ids), ids[:20])
    return ids
