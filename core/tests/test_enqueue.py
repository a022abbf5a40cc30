"""`enqueue_on_commit` when the broker is down (issue 15, "Honest logs"): the row is stored, the
request succeeds, and the log has one WARNING line naming the task and its id, no traceback."""

import logging
import os
import socket
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import redis
from celery.exceptions import NotRegistered
from django.conf import settings
from django.db import transaction

from core.tasks import enqueue_on_commit
from messaging.enums import ReplyState
from messaging.models import Message
from tests.helpers import capturing
from tests.processes import ProjectCeleryApp, free_port

pytestmark = pytest.mark.django_db

# Loggers that do not propagate to the root logger, where caplog listens (core/logging.py).
QUIET_LOGGERS = ("messages", "django", "celery")


@pytest.fixture
def log(caplog):
    with caplog.at_level(logging.INFO), capturing(caplog, *QUIET_LOGGERS, level=logging.INFO) as records:
        yield records


@pytest.fixture
def broker_down():
    """The project's Celery app, not eager, with its broker at a loopback port nobody listens on;
    one quick attempt per send. The app's configuration is restored afterwards."""
    down = ProjectCeleryApp(
        f"redis://127.0.0.1:{free_port()}/0",
        # kombu's connection retry loop of a send reads its limits from the transport options
        transport_options={"max_retries": 0, "socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        broker_connection_retry=False,
        broker_connection_max_retries=0,
        task_publish_retry=False,
    )
    with down as app:
        yield app


def test_a_message_to_the_bot_is_stored_when_the_broker_is_down(
    auth_client, broker_down, log, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = auth_client.post("/messages", {"recipient_id": -1, "content": "hi"}, format="json")

    assert response.status_code == 201
    assert time.monotonic() - started < 5
    assert len(callbacks) == 1
    message_id = response.json()["id"]
    assert Message.objects.get(pk=message_id).reply_state == ReplyState.PENDING  # the sweeper's to pick up
    problems = [r for r in log.records if r.levelno >= logging.WARNING]
    assert [(r.name, r.levelname, r.getMessage()) for r in problems] == [
        (
            "messages",
            "WARNING",
            f"Could not queue orchestrator.process_ai_message({message_id}): "
            "broker unreachable (ConnectionRefusedError); the sweeper will retry",
        )
    ]
    assert problems[0].exc_info is None and not problems[0].exc_text  # no traceback
    assert "Traceback" not in log.text


def _task(delay, *, eager: bool = False):
    return SimpleNamespace(
        name="tests.stub_task", delay=delay, app=SimpleNamespace(conf=SimpleNamespace(task_always_eager=eager))
    )


def _raise(exc: BaseException):
    def delay(*args) -> None:
        raise exc

    return delay


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (TimeoutError("timed out"), "broker unreachable (TimeoutError)"),
        (socket.gaierror(-2, "Name or service not known"), "broker unreachable (socket.gaierror)"),
        (redis.exceptions.ConnectionError("closed"), "broker unreachable (redis.ConnectionError)"),
        (redis.exceptions.ResponseError("OOM"), "broker error (redis.ResponseError)"),
    ],
)
def test_each_broker_failure_is_one_warning(log, django_capture_on_commit_callbacks, exc, reason):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue_on_commit(_task(_raise(exc)), 7, 8)

    assert [(r.levelname, r.getMessage()) for r in log.records if r.levelno >= logging.WARNING] == [
        ("WARNING", f"Could not queue tests.stub_task(7, 8): {reason}; the sweeper will retry")
    ]


@pytest.mark.parametrize(
    ("exc", "eager"),
    [
        (RuntimeError("a bug"), False),  # not the broker's doing
        (OSError("raised by the task itself"), True),  # eager: the task ran here, no broker involved
    ],
)
def test_anything_else_is_an_error_with_its_traceback_never_raised(log, django_capture_on_commit_callbacks, exc, eager):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue_on_commit(_task(_raise(exc), eager=eager), 7)

    problems = [r for r in log.records if r.levelno >= logging.WARNING]
    assert [(r.levelname, r.getMessage()) for r in problems] == [
        ("ERROR", f"Error calling enqueue tests.stub_task(7) in on_commit() ({exc}).")
    ]
    assert problems[0].exc_info is not None


# A service queues a task of its own app by name (no import of the tasks module, which calls the
# services: issue 24). A web process never imported the tasks modules: the first name looked up
# imports them, as a worker does at start.
FRESH_PROCESS = """
import sys, django
django.setup()
assert "twilio_channel.tasks" not in sys.modules
from core.tasks import registered_task
print(registered_task("twilio_channel.send_message").name)
"""


def test_a_task_queued_by_name_is_found_in_a_process_that_never_imported_it():
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert (result.returncode, result.stdout.strip()) == (0, "twilio_channel.send_message"), result.stderr[-2000:]


def test_a_misspelt_task_name_fails_in_its_caller(django_capture_on_commit_callbacks):
    with pytest.raises(NotRegistered), django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit("twilio_channel.no_such_task", 1)
