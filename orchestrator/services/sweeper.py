"""Brings back AI turns that a broker outage or a dead worker left behind (CONTRACT §8.2)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from messaging.enums import Direction, ReplyState
from messaging.models import Message
from messaging.services import reply_state_move

logger = logging.getLogger("orchestrator")

SWEEP_BATCH = 500


def ai_replies_sweep(*, older_than_s: float | None = None) -> list[int]:
    """Messages to the bot left `processing` by a worker that died mid-turn (its conversation's
    lease has lapsed: nobody renews it) or left `pending` for AI_STALE_REPLY_AFTER_S (the broker was
    down, a task was lost). Processing ones go back to `pending` by compare-and-set; the ids returned
    are for the caller to re-enqueue. `older_than_s` overrides both thresholds."""
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
    ids: list[int] = []
    # The claim is older than one lease, so the lease was taken after it (never the moment between).
    stuck = to_bot.filter(lease_free, lapsed_claim, reply_state=ReplyState.PROCESSING)
    for pk in stuck.values_list("pk", flat=True)[:SWEEP_BATCH]:
        if reply_state_move(
            message_id=pk, source=ReplyState.PROCESSING, target=ReplyState.PENDING, condition=lapsed_claim, at=now
        ):
            ids.append(pk)
    waiting = to_bot.filter(stale, reply_state=ReplyState.PENDING)
    for pk in waiting.values_list("pk", flat=True)[:SWEEP_BATCH]:
        # Touch the row so a long broker outage re-enqueues it once per interval, not every sweep.
        if reply_state_move(
            message_id=pk, source=ReplyState.PENDING, target=ReplyState.PENDING, condition=stale, at=now
        ):
            ids.append(pk)
    if ids:
        logger.warning("Sweeper re-enqueues %s stale AI message(s): %s", len(ids), ids[:20])
    return ids
