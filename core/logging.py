"""The LOGGING dictConfig: the seed's named loggers and files, plus a console handler (CONTRACT §4.9)."""

from pathlib import Path

FILE_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
CONSOLE_FORMAT = "[%(asctime)s] [%(levelname)s] %(name)s: %(message)s"
# logger name -> file, as seed 1 names them; `reports` is configured here (the seed never did).
NAMED_LOGGERS = {
    "auth": "auth.log",
    "twilio_webhook": "twilio_webhook.log",
    "messages": "messages.log",
    "orchestrator": "orchestrator.log",
    "reports": "reports.log",
}
MAX_BYTES = 1_048_576
BACKUP_COUNT = 50


def build_logging(*, logs_dir: Path, to_files: bool, level: str = "INFO") -> dict:
    handlers: dict = {
        "console": {"class": "logging.StreamHandler", "formatter": "console", "level": level},
    }
    loggers: dict = {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "celery": {"handlers": ["console"], "level": "INFO", "propagate": False},
    }
    if to_files:
        logs_dir.mkdir(parents=True, exist_ok=True)
    for name, filename in NAMED_LOGGERS.items():
        logger_handlers = ["console"]
        if to_files:
            # Web and worker processes write the same files: this handler locks around rotation.
            handlers[f"file_{name}"] = {
                "class": "concurrent_log_handler.ConcurrentRotatingFileHandler",
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
