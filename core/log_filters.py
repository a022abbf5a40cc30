"""Logging filters for third-party lines that are noise in this project's setup."""

import logging

KOMBU_DEFAULT_HOSTNAME = "No hostname was supplied"


def kombu_default_hostname_to_debug(record: logging.LogRecord) -> bool:
    """kombu warns "No hostname was supplied. Reverting to default 'localhost'" each time it
    describes a connection whose URL has no host. The embedded filesystem broker (`filesystem://`)
    has none by design, so every process said it at start-up: it is said at DEBUG instead. Other
    kombu warnings keep their level (e.g. `rediss://` without SSL options)."""
    if record.levelno == logging.WARNING and record.getMessage().startswith(KOMBU_DEFAULT_HOSTNAME):
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
    return True
