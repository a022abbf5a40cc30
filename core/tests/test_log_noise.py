"""Lines that flooded the console at INFO or WARNING (start-up, idle periodic tasks, litellm on every
call): said at DEBUG."""

import logging
import logging.config
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
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


class CurrentStderr:
    """A console stream that is whatever sys.stderr is when a line is written: the capture while the
    test runs, and not its closed file afterwards, when a line from litellm's background logging
    thread can still arrive before the fixture puts the project's LOGGING back."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


@pytest.fixture
def console_logging(tmp_path):
    """Apply the project's LOGGING at a level, console only; the console is the stderr that the
    test's capsys or capfd captures."""

    def apply(level: str) -> None:
        config = build_logging(logs_dir=tmp_path, to_files=False, level=level)
        config["handlers"]["console"]["stream"] = CurrentStderr()
        logging.config.dictConfig(config)

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


# --- beat and the periodic sweeps: DEBUG when they did nothing (issue 28 point 7) ----------------


def beat_starts(task_name: str) -> None:
    """What beat does when an entry of CELERY_BEAT_SCHEDULE is due; the task runs here, eagerly,
    instead of going to the broker."""
    from celery.beat import Scheduler

    import orchestrator.tasks  # noqa: F401  (the periodic tasks register on import)
    import twilio_channel.tasks  # noqa: F401
    from config.celery import app

    class EagerScheduler(Scheduler):
        def apply_async(self, entry, producer=None, advance=True, **kwargs):
            return self.app.tasks[entry.task].apply()

    [entry_name] = [name for name, entry in settings.CELERY_BEAT_SCHEDULE.items() if entry["task"] == task_name]
    scheduler = EagerScheduler(app, lazy=True)
    entry = scheduler.Entry(name=entry_name, task=task_name, schedule=60.0, app=app)
    scheduler.apply_entry(entry, producer=None)


def worker_receives(task_name: str) -> None:
    from celery.app.trace import LOG_RECEIVED
    from celery.utils.log import get_logger

    context = {"id": "4d1f", "name": task_name, "args": "()", "kwargs": "{}", "eta": None}
    get_logger("celery.worker.strategy").info(LOG_RECEIVED, context, extra={"data": context})


@pytest.mark.django_db
def test_a_periodic_sweep_that_found_nothing_says_so_at_debug(console_logging, capsys):
    console_logging("INFO")
    beat_starts("twilio_channel.sweep_stale_sends")
    worker_receives("twilio_channel.sweep_stale_sends")
    beat_starts("orchestrator.sweep_stale_ai_messages")
    beat_starts("twilio_channel.reconcile_inbound")
    console = capsys.readouterr().err
    assert "sweep_stale_sends" not in console and "sweep_stale_ai_messages" not in console
    assert "reconcile_inbound" not in console

    console_logging("DEBUG")  # still there for whoever asks
    beat_starts("twilio_channel.sweep_stale_sends")
    worker_receives("twilio_channel.sweep_stale_sends")
    console = capsys.readouterr().err
    assert "[DEBUG] celery.beat: Scheduler: Sending due task twilio-sweep-stale-sends" in console
    assert "[DEBUG] celery.worker.strategy: Task twilio_channel.sweep_stale_sends[4d1f] received" in console
    assert "[DEBUG] celery.app.trace: Task twilio_channel.sweep_stale_sends[" in console


@pytest.mark.django_db
def test_a_periodic_sweep_that_did_something_and_other_tasks_keep_info(console_logging, capsys, user):
    from messaging.models import Message
    from orchestrator.tests.helpers import send_to_bot

    console_logging("INFO")
    lost = send_to_bot(user, "Its task was lost")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Message.objects.filter(pk=lost.pk).update(created_at=an_hour_ago, updated_at=an_hour_ago)
    beat_starts("orchestrator.sweep_stale_ai_messages")
    worker_receives("twilio_channel.send_message")
    console = capsys.readouterr().err
    assert "[INFO] celery.app.trace: Task orchestrator.sweep_stale_ai_messages[" in console
    assert "succeeded in" in console and "s: 1" in console
    assert "[WARNING] orchestrator: Sweeper re-enqueues 1 stale AI message(s)" in console
    assert "[INFO] celery.worker.strategy: Task twilio_channel.send_message[4d1f] received" in console


# --- litellm: one INFO line per call ("LiteLLM completion() model= ...") ---------------------------


@pytest.mark.django_db
def test_llm_calls_log_no_litellm_info_lines(console_logging, capfd, auth_client, fake_llm, settings):
    """A turn and an embedding through the loopback LLM: none of litellm's own INFO lines, neither
    through the project's console nor through the handler litellm adds to its loggers (capfd: that
    one writes to the process's own streams); LOG_LEVEL=DEBUG lets them through for debugging."""
    from knowledge.services import document_create

    settings.EMBEDDING_MODEL = "fake-embedding"
    console_logging("INFO")
    fake_llm.reply("Hello there")
    assert auth_client.post("/messages/ai", {"content": "hi"}, format="json").json()["content"] == "Hello there"
    document_create(title="Router", text="Hold the reset button.")
    # The chat completion and the embedding did go through litellm.
    assert len(fake_llm.requests) == 1 and len(fake_llm.embedding_requests) == 1
    output = "".join(capfd.readouterr())
    assert "LiteLLM" not in output, output[-2000:]

    console_logging("DEBUG")
    fake_llm.reply("Hello again")
    auth_client.post("/messages/ai", {"content": "hi again"}, format="json")
    assert "LiteLLM completion() model=" in "".join(capfd.readouterr())


def test_a_litellm_warning_is_printed_once_in_the_projects_format(tmp_path):
    """litellm puts a console handler of its own on its loggers at import; their records also reach
    the project's console, so each warning was printed twice, once in litellm's format. litellm's
    redaction of keys in its lines stays."""
    key = "sk-proj-" + "a1b2c3d4" * 5
    warn = (
        "from orchestrator.llm import map_cost; map_cost(model='gpt-4o', prompt_tokens=1, completion_tokens=1); "
        "import logging; logging.getLogger('LiteLLM').warning('The provider asks to slow down'); "
        "logging.getLogger('LiteLLM Router').warning('No deployment left for the model'); "
        f"logging.getLogger('LiteLLM').warning('Bad key {key}')"
    )
    console = manage_py_check(tmp_path, "INFO", "shell", "-c", warn)
    assert console.count("The provider asks to slow down") == 1, console[-3000:]
    assert "[WARNING] LiteLLM: The provider asks to slow down" in console
    assert console.count("No deployment left for the model") == 1, console[-3000:]
    assert "[WARNING] LiteLLM Router: No deployment left for the model" in console
    assert "[WARNING] LiteLLM: Bad key REDACTED" in console and key not in console


@pytest.mark.django_db
def test_a_body_over_the_limit_is_one_warning_without_a_traceback(console_logging, capsys, client, settings):
    """Django logs a refused request body (too large, too many fields) at ERROR with its traceback: a
    client could fill the log with them. It is the client's error, said in one WARNING line."""
    console_logging("INFO")
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client.raise_request_exception = False
    fields = "&".join(f"field{n}=1" for n in range(50))
    assert client.post("/auth/login", data=fields, content_type="application/x-www-form-urlencoded").status_code == 400
    console = capsys.readouterr().err
    assert "[WARNING] django.security.TooManyFieldsSent: The number of GET/POST parameters exceeded" in console
    assert "Traceback" not in console and "[ERROR]" not in console
