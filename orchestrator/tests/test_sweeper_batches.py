"""The sweepers feed a backlog to the workers a batch at a time, oldest first (issue 22, point 4):
never the whole backlog again every interval, never more than SWEEP_BATCH_SIZE in the workers'
hands, turns still running included."""

import logging
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from core.management.commands.devserver import AI_THREADS
from messaging.enums import ReplyState
from messaging.models import Message
from orchestrator.tasks import sweep_stale_ai_messages
from orchestrator.tests.helpers import send_to_bot
from tests.helpers import capturing

pytestmark = pytest.mark.django_db


def _stale_backlog(user, count: int) -> list[Message]:
    """`count` messages to the bot whose tasks were lost, the first the oldest."""
    messages = []
    for n in range(count):
        message = send_to_bot(user, f"message {n}", conversation_key=f"thread-{n}")
        at = timezone.now() - timedelta(minutes=60 - n)
        Message.objects.filter(pk=message.pk).update(created_at=at, updated_at=at)
        messages.append(message)
    return messages


def _answered(messages: list[Message]) -> list[bool]:
    return [Message.objects.filter(in_reply_to=m).exists() for m in messages]


def test_a_backlog_is_swept_a_batch_at_a_time_oldest_first(user, fake_llm, settings):
    settings.SWEEP_BATCH_SIZE = 3
    fake_llm.set_default_reply("sorry for the wait")
    backlog = _stale_backlog(user, 7)

    assert sweep_stale_ai_messages.delay().get() == 3
    assert _answered(backlog) == [True] * 3 + [False] * 4
    assert sweep_stale_ai_messages.delay().get() == 3
    assert _answered(backlog) == [True] * 6 + [False]


def test_turns_still_running_count_against_the_batch(user, fake_llm, settings):
    settings.SWEEP_BATCH_SIZE = 3
    fake_llm.set_default_reply("sorry for the wait")
    running = send_to_bot(user, "being answered", conversation_key="busy")
    Message.objects.filter(pk=running.pk).update(reply_state=ReplyState.PROCESSING)  # claimed just now
    backlog = _stale_backlog(user, 4)

    assert sweep_stale_ai_messages.delay().get() == 2
    assert _answered(backlog) == [True, True, False, False]

    settings.SWEEP_BATCH_SIZE = 1
    assert sweep_stale_ai_messages.delay().get() == 0  # the workers are full
    assert _answered(backlog) == [True, True, False, False]


def test_the_default_batch_is_the_ai_workers_threads():
    procfile = (Path(django_settings.BASE_DIR) / "Procfile").read_text()
    [threads] = re.findall(r"^worker_ai: .* -c (\d+)", procfile, flags=re.MULTILINE)
    assert int(threads) == AI_THREADS == 32
    assert "SWEEP_BATCH_SIZE" in (Path(django_settings.BASE_DIR) / ".env.example").read_text()
    if "SWEEP_BATCH_SIZE" not in os.environ:
        assert django_settings.SWEEP_BATCH_SIZE == AI_THREADS


def test_full_workers_with_nothing_waiting_are_no_warning(user, settings, caplog):
    """Busy workers are normal: the sweep says so at DEBUG; a backlog they keep waiting is a WARNING."""
    settings.SWEEP_BATCH_SIZE = 1
    running = send_to_bot(user, "being answered", conversation_key="busy")
    Message.objects.filter(pk=running.pk).update(reply_state=ReplyState.PROCESSING)  # claimed just now

    with capturing(caplog, "orchestrator"):
        assert sweep_stale_ai_messages.delay().get() == 0
    assert [r.levelno for r in caplog.records if "re-enqueues nothing" in r.getMessage()] == [logging.DEBUG]

    caplog.clear()
    _stale_backlog(user, 1)
    with capturing(caplog, "orchestrator"):
        assert sweep_stale_ai_messages.delay().get() == 0
    assert [r.levelno for r in caplog.records if "re-enqueues nothing" in r.getMessage()] == [logging.WARNING]
