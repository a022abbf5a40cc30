"""The LOGGING dictConfig: the named loggers and their files, plus a console handler."""

from pathlib import Path

from core.log_filters import (
    REFUSED_BODY_LOGGERS,
    kombu_default_hostname_to_debug,
    mask_phones_in_request_lines,
    periodic_task_lines_to_debug,
    refused_body_to_warning,
)

FILE_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
CONSOLE_FORMAT = "[%(asctime)s] [%(levelname)s] %(name)s: %(message)s"
# logger name -> its file.
NAMED_LOGGERS = {
    "auth": "auth.log",
    "twilio_webhook": "twilio_webhook.log",
    "messages": "messages.log",
    "orchestrator": "orchestrator.log",
    "reports": "reports.log",
}
# litellm's own loggers (litellm._logging): the library, its router and its proxy.
LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")
MAX_BYTES = 1_048_576
BACKUP_COUNT = 50


def _rotating_file_handler() -> type:
    from concurrent_log_handler import ConcurrentRotatingFileHandler

    class RotatingFileHandler(ConcurrentRotatingFileHandler):
        """concurrent-log-handler's rotating file (web and worker processes write the same files; it
        locks around rotation) that makes its folder itself: logging is configured before any app is
        ready, and loading the settings creates no folder."""

        __qualname__ = "RotatingFileHandler"  # its public name, for repr and pickling

        def __init__(self, filename: str, *args, **kwargs) -> None:
            Path(filename).resolve().parent.mkdir(parents=True, exist_ok=True)
            super().__init__(filename, *args, **kwargs)

    return RotatingFileHandler


def __getattr__(name: str) -> type:
    # `core.logging.RotatingFileHandler` is built on first use: with LOG_TO_FILES off nothing names
    # it, and the handler's library (with portalocker and its imports) stays unloaded.
    if name == "RotatingFileHandler":
        handler = _rotating_file_handler()
        globals()[name] = handler
        return handler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_logging(*, logs_dir: Path, to_files: bool, level: str = "INFO") -> dict:
    handlers: dict = {
        "console": {"class": "logging.StreamHandler", "formatter": "console", "level": level},
    }
    loggers: dict = {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "celery": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "kombu.connection": {"filters": [kombu_default_hostname_to_debug]},
        # Beat's and the worker's lines for the periodic sweeps and reconciles: DEBUG when they did
        # nothing (a filter works on the logger that logs, so each of Celery's three is named).
        "celery.beat": {"filters": [periodic_task_lines_to_debug]},
        "celery.worker.strategy": {"filters": [periodic_task_lines_to_debug]},
        "celery.app.trace": {"filters": [periodic_task_lines_to_debug]},
        # The twilio SDK logs every request and response at INFO (headers included); the project
        # logs one line per send itself (twilio_channel.services.sending). LOG_LEVEL=DEBUG shows them.
        "twilio.http_client": {"level": "DEBUG" if level == "DEBUG" else "WARNING"},
        # litellm logs a line or two per completion and per embedding at INFO ("LiteLLM completion()
        # model= ...", "Wrapper: Completed Call"); the project logs each turn itself (messages,
        # orchestrator). Its warnings and errors stay; LOG_LEVEL=DEBUG shows the rest.
        **{name: {"level": "DEBUG" if level == "DEBUG" else "WARNING"} for name in LITELLM_LOGGERS},
        # Request paths carry phone numbers (/chat/+48…): masked in runserver's access lines and
        # in django.request's warnings. gunicorn's access log: core.access_log.
        "django.server": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": [mask_phones_in_request_lines],
        },
        "django.request": {"filters": [mask_phones_in_request_lines]},
        # A request body Django refuses (too large, too many fields): one WARNING, no traceback.
        **{name: {"filters": [refused_body_to_warning]} for name in REFUSED_BODY_LOGGERS},
    }
    for name, filename in NAMED_LOGGERS.items():
        logger_handlers = ["console"]
        if to_files:
            handlers[f"file_{name}"] = {
                "class": "core.logging.RotatingFileHandler",
                "filename": str(logs_dir / filename),
                "maxBytes": MAX_BYTES,
                "backupCount": BACKUP_COUNT,
                "formatter": "file",
                "level": level,
                "encoding": "utf-8",
            }
            logger_handlers.append(f"file_{name}")
        loggers[name] = {"handlers": logger_handlers, "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "file": {"format": FILE_FORMAT},
            "console": {"format": CONSOLE_FORMAT},
        },
        "handlers": handlers,
        "loggers": loggers,
        "root": {"handlers": ["console"], "level": level},
    }
