"""Logging filters for third-party lines that are noise in this project's setup."""

import logging

from core.redact import mask_phones_in_url

KOMBU_DEFAULT_HOSTNAME = "No hostname was supplied"


def kombu_default_hostname_to_debug(record: logging.LogRecord) -> bool:
    """kombu warns "No hostname was supplied. Reverting to default 'localhost'" each time it
    describes a connection whose URL has no host. The embedded filesystem broker (`filesystem://`)
    has none by design, so every process said it at start-up: it is said at DEBUG instead. Other
    kombu warnings keep their level (e.g. `rediss://` without SSL options)."""
    if record.levelno == logging.WARNING and record.getMessage().startswith(KOMBU_DEFAULT_HOSTNAME):
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
    return True


# What Django refuses in a request's body before any view runs: the client's error, not ours.
REFUSED_BODY_LOGGERS = tuple(
    f"django.security.{name}" for name in ("RequestDataTooBig", "TooManyFieldsSent", "TooManyFilesSent")
)


def refused_body_to_warning(record: logging.LogRecord) -> bool:
    """Django logs a request body it refuses (over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields or
    files) at ERROR with its traceback, so any client could fill the log with tracebacks. The
    request gets a 400 (core.views.bad_request): the line is a WARNING, without the traceback."""
    if record.levelno == logging.ERROR:
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        record.exc_info, record.exc_text = None, None
    return True


def mask_phones_in_request_lines(record: logging.LogRecord) -> bool:
    """The request logs (runserver's `django.server` access lines, `django.request`'s "Not Found:
    /chat/+48…") name the path, which for the chat view and the staff API holds a phone number:
    the line is logged with the number masked, as every other log line has it."""
    message = record.getMessage()
    masked = mask_phones_in_url(message)
    if masked != message:
        record.msg, record.args = masked, ()
    return True


# Beat's own line for every task it starts, and the worker's for each periodic task it receives.
BEAT_SENDING = "Scheduler: Sending due task"
RECEIVED = "Task %(name)s[%(id)s] received"
SUCCEEDED = "Task %(name)s[%(id)s] succeeded in"
NOTHING_DONE = frozenset({"0", "[]", "None", "()", "{}"})


def _periodic_task_names() -> frozenset[str]:
    from django.conf import settings

    schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None) or {}
    return frozenset(entry.get("task", "") for entry in schedule.values())


def _to_debug(record: logging.LogRecord) -> None:
    record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)


def periodic_task_lines_to_debug(record: logging.LogRecord) -> bool:
    """Beat starts the sweepers and the reconciles every 15 to 60 s, and Celery said so at INFO
    three times a run ("Sending due task", "received", "succeeded ...: 0"): a quiet server's log was
    nothing else. Those lines are said at DEBUG; a run that did something keeps its "succeeded" line
    at INFO, and its service logs what it did. Other tasks' lines keep their level."""
    if record.levelno != logging.INFO:
        return True
    if record.name == "celery.beat":
        if isinstance(record.msg, str) and record.msg.startswith(BEAT_SENDING):
            _to_debug(record)
        return True
    context = record.args if isinstance(record.args, dict) else None
    if context is None or not isinstance(record.msg, str) or context.get("name") not in _periodic_task_names():
        return True
    if record.msg.startswith(RECEIVED) or (
        record.msg.startswith(SUCCEEDED) and str(context.get("return_value", "")).strip() in NOTHING_DONE
    ):
        _to_debug(record)
    return True
