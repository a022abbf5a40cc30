"""The seed's named loggers, files and format, multi-process safe (CONTRACT §4.9, §9.1 point 8)."""

import logging
import logging.config
import os
import re
import subprocess
import sys

import pytest
from concurrent_log_handler import ConcurrentRotatingFileHandler
from django.conf import settings

from core.logging import NAMED_LOGGERS, build_logging
from core.redact import mask_phone
from tests.helpers import json_printed

LOG_FILES = ["auth.log", "twilio_webhook.log", "messages.log", "orchestrator.log", "reports.log"]
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - (?P<name>[\w.]+) - (?P<level>[A-Z]+) - (?P<message>.*)$")


@pytest.fixture
def applied_logging():
    """Apply a LOGGING dict for one test, then put the project's back (closing the files)."""

    def apply(config: dict) -> None:
        logging.config.dictConfig(config)

    yield apply
    logging.config.dictConfig(settings.LOGGING)


def test_the_named_loggers_and_their_files():
    assert list(NAMED_LOGGERS) == ["auth", "twilio_webhook", "messages", "orchestrator", "reports"]
    assert list(NAMED_LOGGERS.values()) == LOG_FILES


def test_each_named_logger_writes_its_file_in_the_file_format(tmp_path, applied_logging):
    applied_logging(build_logging(logs_dir=tmp_path / "logs", to_files=True, level="INFO"))
    for name in NAMED_LOGGERS:
        logging.getLogger(name).info("hello from %s", name)
        logging.getLogger(name).debug("not at INFO")
    for handler in logging.getLogger("auth").handlers:
        handler.flush()

    for name, filename in NAMED_LOGGERS.items():
        lines = (tmp_path / "logs" / filename).read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1, (filename, lines)
        match = LINE.match(lines[0])
        assert match, lines[0]
        assert match["name"] == name
        assert match["level"] == "INFO"
        assert match["message"] == f"hello from {name}"


def test_file_handlers_rotate_at_1_mb_keeping_50_across_processes(tmp_path, applied_logging):
    applied_logging(build_logging(logs_dir=tmp_path, to_files=True))
    for name, filename in NAMED_LOGGERS.items():
        files = [h for h in logging.getLogger(name).handlers if isinstance(h, ConcurrentRotatingFileHandler)]
        assert len(files) == 1, name
        handler = files[0]
        assert handler.maxBytes == 1_048_576
        assert handler.backupCount == 50
        assert handler.baseFilename == str(tmp_path / filename)
        # The console handler stays for containers.
        assert any(type(h) is logging.StreamHandler for h in logging.getLogger(name).handlers)


def test_log_to_files_false_is_console_only(tmp_path, applied_logging):
    config = build_logging(logs_dir=tmp_path / "logs", to_files=False)
    assert {handler["class"] for handler in config["handlers"].values()} == {"logging.StreamHandler"}
    applied_logging(config)
    logging.getLogger("auth").info("console only")
    assert not (tmp_path / "logs").exists()
    for name in NAMED_LOGGERS:
        assert all(type(h) is logging.StreamHandler for h in logging.getLogger(name).handlers)


def test_console_and_file_formats(tmp_path):
    config = build_logging(logs_dir=tmp_path, to_files=False)
    assert config["formatters"]["console"]["format"] == "[%(asctime)s] [%(levelname)s] %(name)s: %(message)s"
    assert config["formatters"]["file"]["format"] == "%(asctime)s - %(name)s - %(levelname)s - %(message)s"


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+48123456789", "+48*****789"),
        ("whatsapp:+48123456789", "whatsapp:+48*****789"),
        ("+15551234567", "+15*****567"),
        ("12345", "*****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(number, masked):
    assert mask_phone(number) == masked


def test_mask_phone_never_shows_the_middle_digits():
    assert "456" not in mask_phone("+48123456789")


def test_settings_switch_files_off_from_the_environment(tmp_path):
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps(sorted({h['class'] for h in s.LOGGING['handlers'].values()})))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "LOGS_FOLDER": str(tmp_path / "logs")}
    classes = {}
    for to_files in ("true", "false"):
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=settings.BASE_DIR, env={**env, "LOG_TO_FILES": to_files},
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        classes[to_files] = json_printed(result)
    assert classes["false"] == ["logging.StreamHandler"]
    assert "core.logging.RotatingFileHandler" in classes["true"]


def test_the_file_handlers_make_their_folder_when_logging_is_configured(tmp_path, applied_logging):
    logs_dir = tmp_path / "nested" / "logs"
    config = build_logging(logs_dir=logs_dir, to_files=True)
    assert not (tmp_path / "nested").exists()  # building the settings' dict creates nothing
    applied_logging(config)
    assert logs_dir.is_dir()
