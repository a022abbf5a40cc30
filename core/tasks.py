"""The one way to enqueue a Celery task from a request or service."""

import logging
import threading
from collections.abc import Callable
from functools import cache

from django.db import transaction

# The enqueued rows are messages (the AI turn today): the `messages` logger reaches the console and
# messages.log, where the row's own lines are.
logger = logging.getLogger("messages")


@cache
def _connection_errors() -> tuple[type[BaseException], ...]:
    """What a send raises when it cannot reach the broker: kombu's connection errors, the socket's
    (refused, timed out, name not resolved) and the Redis client's, which kombu does not always wrap."""
    from kombu.exceptions import ConnectionError as AmqpConnectionError
    from kombu.exceptions import OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (OperationalError, AmqpConnectionError, OSError, RedisConnectionError, RedisTimeoutError)


@cache
def _broker_errors() -> tuple[type[BaseException], ...]:
    """Any failure of the broker to take the message (a Redis server out of memory, too)."""
    from redis.exceptions import RedisError

    return (*_connection_errors(), RedisError)


def _class_name(error: BaseException) -> str:
    module = type(error).__module__.split(".")[0]
    return type(error).__name__ if module == "builtins" else f"{module}.{type(error).__name__}"


def _broker_failure(exc: BaseException) -> str:
    """`broker unreachable (ConnectionRefusedError)`: what failed and the deepest telling cause."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and not any(current is seen for seen in chain) and len(chain) < 32:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for classes in ((OSError,), _connection_errors()):  # the socket's error names the cause best
        matches = [error for error in chain if isinstance(error, classes)]
        if matches:
            return f"broker unreachable ({_class_name(matches[-1])})"
    return f"broker error ({_class_name(exc)})"


_TASKS_IMPORT = threading.Lock()


def registered_task(name: str):
    """The task registered under `name`. A service queues a task of its own app by name, so the
    app's tasks module (which calls the services) is not imported back by them. A web process has
    not imported the tasks modules (a worker does at start): Celery's autodiscovery does it once.
    One thread at a time: a second caller during the import returns from Celery's autodiscovery at
    once with nothing imported (its guard against recursion), and would get NotRegistered."""
    from celery import current_app

    if name not in current_app.tasks:
        with _TASKS_IMPORT:
            if name not in current_app.tasks:
                current_app.loader.import_default_modules()
    return current_app.tasks[name]


def first_retry_options(task) -> dict:
    """`apply_async` options that queue a call as the task's first retry: autoretry's own countdown
    for it (its backoff, jitter and cap) and the retries left after it, so work first tried inline
    gets the same attempts as any other."""
    from celery.utils.time import get_exponential_backoff_interval

    countdown = get_exponential_backoff_interval(
        factor=task.retry_backoff, retries=0, maximum=task.retry_backoff_max, full_jitter=task.retry_jitter
    )
    return {"countdown": countdown, "retries": 1}


def enqueue_on_commit(task, *args, **options) -> None:
    """Send `task.delay(*args)` (`apply_async` with `options`, e.g. a countdown) once the
    surrounding transaction commits; `task` is the task or its registered name. A broker outage is
    one WARNING line, no traceback: the row is stored and the beat sweeper re-enqueues it. Anything
    else is logged with its traceback by Django's robust `on_commit`: never raised into the request."""
    if isinstance(task, str):
        task = registered_task(task)  # now: a misspelt name fails in its caller, not after commit
    name = getattr(task, "name", task)
    call = f"{name}({', '.join(map(repr, args))})"  # tasks take ids only: no free text in the log

    def send() -> None:
        try:
            if options:
                task.apply_async(args, **options)
            else:
                task.delay(*args)
        except _broker_errors() as exc:
            if task.app.conf.task_always_eager:  # the task itself ran and failed: no broker involved
                raise
            logger.warning("Could not queue %s: %s; the sweeper will retry", call, _broker_failure(exc))

    # Django's robust on_commit logs the callback by its qualified name: make it say which task.
    send.__qualname__ = f"enqueue {call}"
    transaction.on_commit(send, robust=True)


def send_on_commit(
    deliver_or_retry: Callable[..., object], task: str, message_id: int, *, here: bool, log: logging.Logger = logger
) -> None:
    """Send a queued outbound row once the transaction commits: from its send task (`task`, a
    registered name), or `here`, from this process by `deliver_or_retry(message_id=...)`, which
    claims the row and hands what the channel cannot take now to the task as its first retry. A
    task that decided a reply sends it itself (one task and one broker round trip less per reply),
    through the same claim, so retries, the sweeper and reconciliation are unchanged."""
    if not here:
        enqueue_on_commit(task, message_id)
        return

    def send_here() -> None:
        try:
            deliver_or_retry(message_id=message_id)
        except Exception:  # a database error between two statements, say: the task tries again
            log.exception("Message %s: sending it here failed; queued", message_id)
            enqueue_on_commit(task, message_id)

    send_here.__qualname__ = f"send {task}({message_id!r}) here"
    transaction.on_commit(send_here, robust=True)
