"""Settings modules read the contract's variable names and their seed aliases (CONTRACT §4.10)."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import json_printed

ROOT = Path(__file__).resolve().parent.parent.parent
SHOW = "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps(s.DEBUG))"


def local_debug(**env_vars: str) -> bool:
    # Blank counts as unset, and it beats a developer's .env (which never overrides a set variable).
    env = {**os.environ, "DJANGO_DEBUG": "", "APP_DEBUG": "", "LOG_TO_FILES": "false"}
    env.update(env_vars, DJANGO_SETTINGS_MODULE="config.settings.local")
    result = subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    return json_printed(result)


@pytest.mark.parametrize(
    ("env_vars", "expected"),
    [
        ({}, True),
        ({"DJANGO_DEBUG": "false"}, False),
        ({"APP_DEBUG": "false"}, False),
        ({"DJANGO_DEBUG": "true", "APP_DEBUG": "false"}, True),
    ],
)
def test_local_debug_defaults_on_and_reads_the_app_debug_alias(env_vars, expected):
    assert local_debug(**env_vars) is expected


# --- start-up without side effects: loading the settings creates no folder --------------------

COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "var", "logs", "staticfiles", "ssl", ".env", "__pycache__", "*.pyc", "*_cache"
)
# Blank counts as unset: the embedded defaults, whatever the CI machine's environment says.
EMBEDDED = dict.fromkeys(["DATABASE_URL", "AI_MESSAGE_DATABASE_URL", "REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL"], "")
LOAD_SETTINGS = "import config; from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
WORKER = ["worker", "-P", "solo", "-Q", "default", "-n", "fresh@%h", "-l", "INFO", "--without-heartbeat"]
WORKER += ["--without-gossip", "--without-mingle"]


@pytest.fixture
def checkout(tmp_path) -> Path:
    """The project's code in a fresh folder, as a new checkout has it: no var/, logs/ or .env."""
    root = tmp_path / "app"
    shutil.copytree(ROOT, root, ignore=COPY_IGNORE)
    return root


def checkout_env(**env_vars: str) -> dict[str, str]:
    env = {**os.environ, **EMBEDDED, "DJANGO_SETTINGS_MODULE": "config.settings.local", "LOGS_FOLDER": ""}
    env.update(LOG_TO_FILES="true", PYTHONDONTWRITEBYTECODE="1")
    env.update(env_vars)
    return env


def run_in(root: Path, args: list[str], **env_vars: str) -> None:
    result = subprocess.run(
        [sys.executable, *args], cwd=root, env=checkout_env(**env_vars), capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize(
    "env_vars",
    [
        {"DJANGO_SETTINGS_MODULE": "config.settings.local"},
        {"DJANGO_SETTINGS_MODULE": "config.settings.test"},
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "a-long-enough-secret-for-this-check-0123456789",
            "REDIS_URL": "redis://127.0.0.1:6379/2",  # nothing connects
        },
    ],
    ids=["local", "test", "production"],
)
def test_loading_the_settings_creates_no_folder(checkout, env_vars):
    before = sorted(os.listdir(checkout))
    run_in(checkout, ["-c", LOAD_SETTINGS], **env_vars)
    assert sorted(os.listdir(checkout)) == before


def test_setting_django_up_creates_the_folders_the_embedded_backends_need(checkout):
    # migrate's first connection opens var/db.sqlite3: var/ exists by then (core's AppConfig.ready).
    run_in(checkout, ["manage.py", "migrate", "--noinput", "-v", "0"])
    assert (checkout / "var" / "db.sqlite3").is_file()
    for folder in ("queue", "processed", "control"):  # kombu's filesystem broker creates none of them
        assert (checkout / "var" / "celery" / folder).is_dir()
    assert (checkout / "logs").is_dir()  # the log file handler makes its own folder


def celery_in(root: Path, args: list[str], output: Path) -> subprocess.Popen:
    with output.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args], cwd=root, env=checkout_env(LOG_TO_FILES="false"),
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


@pytest.mark.timeout(120)
def test_a_worker_and_beat_start_in_a_checkout_without_var(checkout):
    """Celery's Django fixup sets Django up before the consumer polls the broker folders and before
    beat opens its schedule file in var/, so neither needs a folder made beforehand."""
    worker_out, beat_out = checkout / "worker.out", checkout / "beat.out"
    worker = celery_in(checkout, WORKER, worker_out)
    beat = celery_in(checkout, ["beat", "-l", "INFO"], beat_out)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and worker.poll() is None and " ready." not in worker_out.read_text():
            time.sleep(0.2)
        while time.monotonic() < deadline and beat.poll() is None and not list(checkout.glob("var/celerybeat-*")):
            time.sleep(0.2)
        time.sleep(1)  # a missing queue folder stops the worker at its first poll
        assert " ready." in worker_out.read_text(), worker_out.read_text()[-3000:]
        assert worker.poll() is None, worker_out.read_text()[-3000:]
        assert list(checkout.glob("var/celerybeat-*")), beat_out.read_text()[-3000:]
        assert beat.poll() is None, beat_out.read_text()[-3000:]
    finally:
        for process in (worker, beat):
            if process.poll() is None:
                process.terminate()
        for process in (worker, beat):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


# --- the tests never read a developer's .env (issue 28 point 7) ---------------------------------

SHOW_DOT_ENV_VALUES = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.CHAT_MODE, s.TWILIO_AUTH_TOKEN]))"
)


def settings_values_with_a_dot_env(root: Path, **env_vars: str) -> list[str]:
    (root / ".env").write_text("CHAT_MODE=keywords\nTWILIO_AUTH_TOKEN=bogus-token-from-dot-env\n")
    env = checkout_env(LOG_TO_FILES="false", **env_vars)
    for name in ("CHAT_MODE", "TWILIO_AUTH_TOKEN", "DJANGO_READ_DOT_ENV_FILE"):
        if name not in env_vars:
            env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", SHOW_DOT_ENV_VALUES], cwd=root, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    return json_printed(result)


def test_the_test_settings_never_read_the_dot_env(checkout):
    assert settings_values_with_a_dot_env(checkout, DJANGO_SETTINGS_MODULE="config.settings.test") == ["echo", ""]
    # The variable scripts/test.sh and conftest.py set keeps it away from any other settings module too.
    local = {"DJANGO_SETTINGS_MODULE": "config.settings.local"}
    assert settings_values_with_a_dot_env(checkout, DJANGO_READ_DOT_ENV_FILE="false", **local) == ["echo", ""]
    # Outside the tests the file is read, as before.
    assert settings_values_with_a_dot_env(checkout, **local) == ["keywords", "bogus-token-from-dot-env"]


def test_the_test_run_sets_the_switch_for_the_processes_it_starts():
    assert os.environ["DJANGO_READ_DOT_ENV_FILE"] == "false"  # conftest.py
    assert "export DJANGO_READ_DOT_ENV_FILE=false" in (ROOT / "scripts" / "test.sh").read_text()


# --- PostgreSQL's prepared statements (issue 29): DB_PREPARE_THRESHOLD ---------------------------

SHOW_DB_OPTIONS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: v for k, v in s.DATABASES['default']['OPTIONS'].items() if k != 'pool'}))"
)
POSTGRES_URL = "postgres://app:app@127.0.0.1:5432/app"  # loading the settings does not connect


def database_options(**env_vars: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DB_PREPARE_THRESHOLD": ""}
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "-c", SHOW_DB_OPTIONS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", {"server_side_binding": True, "prepare_threshold": 5}),  # blank is unset: the default
        ("12", {"server_side_binding": True, "prepare_threshold": 12}),
        ("1", {"server_side_binding": True, "prepare_threshold": 1}),
        ("off", {}),  # Django's own: bound in the client, nothing prepared (a transaction-mode pooler)
        ("OFF", {}),
    ],
)
def test_the_prepare_threshold_turns_on_binding_and_preparing_on_postgresql(value, expected):
    result = database_options(DATABASE_URL=POSTGRES_URL, DB_PREPARE_THRESHOLD=value)
    assert json_printed(result) == expected


@pytest.mark.parametrize("value", ["0", "-1", "five", "2.5", "no"])
def test_a_prepare_threshold_that_is_no_count_stops_the_start_naming_the_setting(value):
    result = database_options(DATABASE_URL=POSTGRES_URL, DB_PREPARE_THRESHOLD=value)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DB_PREPARE_THRESHOLD must be a whole number of runs" in result.stderr
    assert repr(value) in result.stderr


def test_sqlite_gets_no_prepare_threshold():
    result = database_options(DATABASE_URL="sqlite:///:memory:", DB_PREPARE_THRESHOLD="12")
    assert set(json_printed(result)) == {"transaction_mode", "timeout", "init_command"}
