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


def mask_phones_in_request_lines(record: logging.LogRecord) -> bool:
    """The request logs (runserver's `django.server` access lines, `django.request`'s "Not Found:
    /chat/+48…") name the path, which for the chat view and the staff API holds a phone number:
    the line is logged with the number masked, as every other log line has it."""
    message = record.getMessage()
    masked = mask_phones_in_url(message)
    if masked != message:
        record.msg, record.args = masked, ()
    return True
