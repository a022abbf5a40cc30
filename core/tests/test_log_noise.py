"""Start-up lines that every process and command used to print at INFO or WARNING: said at DEBUG."""

import logging
import logging.config
import os
import subprocess
import sys

import pytest
from django.conf import settings
from kombu import Connection

from core.logging import build_logging


def manage_py_check(tmp_path, level: str, *command: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "LOG_TO_FILES": "false",
        "LOG_LEVEL": level,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *(command or ["check"])], cwd=settings.BASE_DIR, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def test_manage_py_check_says_nothing_of_the_agents_at_info(tmp_path):
    assert "Registered agent" not in manage_py_check(tmp_path, "INFO")
    # The agents load with the code that routes a turn, not at start-up (a web process may never).
    assert "Registered agent" not in manage_py_check(tmp_path, "DEBUG")
    first_turn = ["shell", "-c", "import orchestrator.agents"]
    assert "Registered agent" not in manage_py_check(tmp_path, "INFO", *first_turn)
    # The line is still there for whoever asks for DEBUG.
    assert "[DEBUG] orchestrator: Registered agent: general" in manage_py_check(tmp_path, "DEBUG", *first_turn)


@pytest.fixture
def console_logging(tmp_path, capsys):
    """Apply the project's LOGGING at a level, console only; the console is captured stderr."""

    def apply(level: str) -> None:
        logging.config.dictConfig(build_logging(logs_dir=tmp_path, to_files=False, level=level))

    yield apply
    logging.config.dictConfig(settings.LOGGING)


def test_the_filesystem_broker_has_no_hostname_warning_below_debug(console_logging, capsys):
    console_logging("INFO")
    Connection("filesystem://").info()  # what Celery does for its start-up banner and connections
    logging.getLogger("kombu.connection").warning("Secure redis scheme specified (rediss) with no ssl options")
    console = capsys.readouterr().err
    assert "No hostname was supplied" not in console
    assert "[WARNING] kombu.connection: Secure redis scheme specified" in console  # other warnings stay

    console_logging("DEBUG")
    Connection("filesystem://").info()
    assert "[DEBUG] kombu.connection: No hostname was supplied" in capsys.readouterr().err
