"""The sweeper of inbound messages of every channel left unanswered (the broker was down, a worker
died): re-enqueued for the inbox's answer, which replies over each message's own channel."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from messaging.enums import Direction, ReplyState
from messaging.models import Message
from messaging.services.ai_replies import reply_state_move

logger = logging.getLogger("twilio_webhook")  # the contract's log of the external channels

STALE_PROCESSING_S = 60


def inbound_sweep() -> list[int]:
    """Inbound messages waiting for the inbox's answer (not the AI's: its sweeper has those) left
    `pending` (the broker was down) or `processing` (a worker died); the ids are re-enqueued. As
    for the AI's sweeper, at most SWEEP_BATCH_SIZE are in the workers' hands after a sweep (the
    replies still running count), the oldest first."""
    now = timezone.now()
    channel_replies = Message.objects.filter(direction=Direction.INBOUND, recipient_id__isnull=True)
    lapsed = Q(updated_at__lt=now - timedelta(seconds=STALE_PROCESSING_S))
    batch = settings.SWEEP_BATCH_SIZE
    running = channel_replies.filter(reply_state=ReplyState.PROCESSING).exclude(lapsed)
    room = batch - running[:batch].count()
    waiting = channel_replies.filter(
        Q(reply_state=ReplyState.PENDING, updated_at__lt=now - timedelta(seconds=settings.AI_STALE_REPLY_AFTER_S))
        | Q(lapsed, reply_state=ReplyState.PROCESSING)
    )
    if room <= 0:
        # Busy workers are no news; a backlog they keep waiting is.
        log = logger.warning if waiting.exists() else logger.debug
        log("Sweeper re-enqueues no inbound message: %s replies are running", batch)
        return []
    ids = []
    for pk, state in waiting.order_by("created_at", "id").values_list("pk", "reply_state")[:room]:
        if reply_state_move(message_id=pk, source=state, target=ReplyState.PENDING, at=now):
            ids.append(pk)
    if ids:
        logger.warning("Sweeper re-enqueues %s unanswered inbound message(s), oldest first: %s", len(ids), ids[:20])
    return ids
