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
    """Messages to the bot left `pending` (broker down, lost task) or `processing` (worker died
    mid-turn: its lease has expired) for longer than AI_STALE_REPLY_AFTER_S. Processing ones go
    back to `pending` by compare-and-set; the ids returned are for the caller to re-enqueue."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.AI_STALE_REPLY_AFTER_S if older_than_s is None else older_than_s)
    stale = Q(updated_at__lt=cutoff)
    to_bot = Message.objects.filter(recipient_id=settings.AI_BOT_USER_ID, direction=Direction.INTERNAL)
    lease_free = (
        Q(conversation__isnull=True)
        | Q(conversation__ai_lease_until__isnull=True)
        | Q(conversation__ai_lease_until__lte=now)
    )
    ids: list[int] = []
    stuck = to_bot.filter(lease_free, stale, reply_state=ReplyState.PROCESSING)
    for pk in stuck.values_list("pk", flat=True)[:SWEEP_BATCH]:
        if reply_state_move(
            message_id=pk, source=ReplyState.PROCESSING, target=ReplyState.PENDING, condition=stale, at=now
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
