"""Celery entry points of the AI turn: ids in, one service call, retry policy in the decorator."""

from __future__ import annotations

import logging
import random

from celery import Task, shared_task

from orchestrator.exceptions import LeaseBusy

logger = logging.getLogger("orchestrator")

LEASE_RETRY_MIN_S, LEASE_RETRY_MAX_S = 2.0, 5.0


class LeaseRetryTask(Task):
    """Retries land 2–5 s later, jittered, so messages queued behind a busy conversation spread out."""

    abstract = True

    @property
    def default_retry_delay(self) -> float:  # read by Task.retry() when autoretry gives no countdown
        return random.uniform(LEASE_RETRY_MIN_S, LEASE_RETRY_MAX_S)


@shared_task(
    bind=True,
    base=LeaseRetryTask,
    name="orchestrator.process_ai_message",
    autoretry_for=(LeaseBusy,),
    retry_backoff=False,
    max_retries=60,  # a few minutes behind one turn; after that the sweeper re-enqueues the message
    acks_late=True,  # idempotent: the service claims the message by compare-and-set
    ignore_result=True,
)
def process_ai_message(self, message_id: int) -> None:
    from orchestrator.services.turns import ai_reply_process

    ai_reply_process(message_id=message_id)


@shared_task(name="orchestrator.sweep_stale_ai_messages", ignore_result=True)
def sweep_stale_ai_messages() -> int:
    from orchestrator.services.sweeper import ai_replies_sweep

    ids = ai_replies_sweep()
    for message_id in ids:
        process_ai_message.delay(message_id)
    return len(ids)
