"""`python manage.py devserver`: the Procfile's process set in one terminal.

Web (runserver, or gunicorn with TLS when AI_MESSAGE_SSL=true), the Celery worker for the
`default` and `sends` queues, the thread-pool worker for the `ai` queue and beat run side by side
under honcho's process manager: one Ctrl+C stops them all, and if one dies the others are stopped.
With --demo a fifth process runs the demo model and the Twilio stand-in (the `demo` package) and every
process gets settings pointing at them (`demo_environment`): no AI or Twilio account needed.
"""

import contextlib
import os
import shlex
import signal
import socket
import sys
import time
from pathlib import Path

from django.conf import settings as django_settings
from django.core.management.base import BaseCommand, CommandError

MAIN_QUEUES = "default,sends"
AI_QUEUE = "ai"
AI_THREADS = 32
# The worker for `default,sends` runs short tasks; a few processes are plenty on a laptop.
WORKER_CONCURRENCY = 16
WEB_THREADS = 8
GUNICORN_TIMEOUT_MARGIN_S = 30
SIGNAL_EXIT_CODES = {130, 143}  # SIGINT, SIGTERM: a requested stop, not a failure
# Seconds between the stop request (SIGTERM) and honcho's SIGKILL. An idle Celery worker on the
# filesystem broker needs about 5 s for its warm shutdown: its blocking loop polls the broker in 2 s
# rounds and notices the stop only between two of them. honcho's own 5 s leave no margin on a busy
# machine, and none for a task still running.
STOP_GRACE_S = 20


def _resolve(settings, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else Path(settings.BASE_DIR) / path


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def public_url(settings) -> str:
    """The URL to open in a browser: a wildcard bind address is reached through localhost."""
    host = settings.AI_MESSAGE_HOST
    if host in {"", "0.0.0.0", "::"}:  # noqa: S104 - a bind address, compared, not bound
        host = "localhost"
    scheme = "https" if settings.AI_MESSAGE_SSL else "http"
    return f"{scheme}://{_bind(host, settings.AI_MESSAGE_PORT)}/"


def web_command(settings, *, python: str, reload: bool = True) -> list[str]:
    bind = _bind(settings.AI_MESSAGE_HOST, settings.AI_MESSAGE_PORT)
    if not settings.AI_MESSAGE_SSL:
        command = [python, str(Path(settings.BASE_DIR) / "manage.py"), "runserver", bind]
        return command if reload else [*command, "--noreload"]
    cert = _resolve(settings, settings.AI_MESSAGE_SSL_CERT)
    key = _resolve(settings, settings.AI_MESSAGE_SSL_KEY)
    missing = [
        f"{name}={path}"
        for name, path in (("AI_MESSAGE_SSL_CERT", cert), ("AI_MESSAGE_SSL_KEY", key))
        if not path.is_file()
    ]
    if missing:
        raise CommandError(
            "AI_MESSAGE_SSL=true but these files do not exist: "
            + ", ".join(missing)
            + ". Point AI_MESSAGE_SSL_CERT/AI_MESSAGE_SSL_KEY at a certificate and its key, or make a "
            "self-signed pair: mkdir -p ssl && openssl req -x509 -newkey rsa:2048 -nodes -days 365 "
            "-subj /CN=localhost -keyout ssl/key.pem -out ssl/cert.pem"
        )
    timeout = int(getattr(settings, "AI_SYNC_TIMEOUT_S", 60)) + GUNICORN_TIMEOUT_MARGIN_S
    # runserver serves static files itself; under gunicorn, DEBUG gets the same handler.
    app = "core.management.devserver_wsgi:application" if settings.DEBUG else "config.wsgi:application"
    command = [
        python, "-m", "gunicorn", app,
        "--bind", bind,
        "--certfile", str(cert),
        "--keyfile", str(key),
        "--worker-class", "gthread",
        "--threads", str(WEB_THREADS),
        "--timeout", str(timeout),
        "--access-logfile", "-",
        "--logger-class", "core.access_log.PhoneMaskingLogger",  # phone numbers masked in paths
    ]  # fmt: skip
    return [*command, "--reload"] if reload else command


def build_processes(
    settings=django_settings,
    *,
    python: str | None = None,
    web: bool = True,
    worker: bool = True,
    worker_ai: bool = True,
    beat: bool = True,
    reload: bool = True,
    ai_threads: int = AI_THREADS,
    concurrency: int = WORKER_CONCURRENCY,
    demo_ports: tuple[int, int] | None = None,
) -> dict[str, list[str]]:
    """Process name -> argv, the same set as the Procfile (web, worker, worker_ai, beat), and with
    `demo_ports` (the demo model's, the Twilio stand-in's) the `demo` process that serves both."""
    python = python or sys.executable
    celery = [python, "-m", "celery", "-A", "config"]
    processes: dict[str, list[str]] = {}
    if web:
        processes["web"] = web_command(settings, python=python, reload=reload)
    if worker:
        # Sends wait on the provider's API (0.1-0.5 s for Twilio) far longer than they compute:
        # threads keep many in flight, where two processes sent two at a time (docs/PERFORMANCE.md).
        processes["worker"] = [
            *celery, "worker", "-Q", MAIN_QUEUES, "-n", "default@%h", "-P", "threads", "-c", str(concurrency),
            "-l", "INFO",
        ]  # fmt: skip
    if worker_ai:
        # AI turns wait on the LLM far longer than they compute: threads keep many calls in flight.
        processes["worker_ai"] = [
            *celery, "worker", "-Q", AI_QUEUE, "-n", "ai@%h", "-P", "threads", "-c", str(ai_threads), "-l", "INFO",
        ]  # fmt: skip
    if beat:
        processes["beat"] = [*celery, "beat", "-s", str(settings.CELERY_BEAT_SCHEDULE_FILENAME), "-l", "INFO"]
    if processes and demo_ports is not None:
        llm_port, twilio_port = demo_ports
        processes["demo"] = [python, "-m", "demo", "--llm-port", str(llm_port), "--twilio-port", str(twilio_port)]
    return processes


def project_python(settings=django_settings, *, python: str | None = None) -> str:
    """How to call this Python from the project root: relative when it lives in the project (the
    `.venv/` that ./scripts/run.sh makes), else the project's `.venv/bin/python` when there is one,
    else the interpreter's full path. A bare `python` may not be the one with the requirements."""
    base = Path(settings.BASE_DIR)
    executable = Path(python or sys.executable).absolute()  # not resolve(): a venv's python is a symlink
    if executable.is_relative_to(base):
        return str(executable.relative_to(base))
    if (base / ".venv" / "bin" / "python").exists():
        return str(Path(".venv", "bin", "python"))
    return str(executable)


def child_environment(settings=django_settings) -> dict[str, str]:
    environ = os.environ.copy()
    environ["DJANGO_SETTINGS_MODULE"] = environ.get("DJANGO_SETTINGS_MODULE") or settings.SETTINGS_MODULE
    environ["PYTHONUNBUFFERED"] = "1"  # lines reach the console as they are written
    return environ


DEMO_FROM_NUMBER = "+15005550006"  # Twilio's test number: never a real subscriber's


def demo_refusal(settings=django_settings) -> str | None:
    """Why demo mode may not run with these settings (None: it may)."""
    module = settings.SETTINGS_MODULE or ""
    if module.endswith(".production") or not settings.DEBUG:
        return (
            "Demo mode is for trying the project on one machine: it is refused with production settings "
            f"({module or 'unknown'}, DEBUG={settings.DEBUG}). Use config.settings.local (the default)."
        )
    return None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def demo_environment(settings=django_settings, *, llm_port: int, twilio_port: int) -> dict[str, str]:
    """The variables every process gets in demo mode. They replace the AI and Twilio ones of the
    environment and .env, so nothing reaches a real account (an AIConfig row's own key and model
    still win for the AI: the panel shows them)."""
    from demo.model import DEMO_EMBEDDING_MODEL, DEMO_MODEL_NAME
    from demo.twilio_server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

    return {
        "DEMO_MODE": "true",
        "LITELLM_BASEURL": f"http://127.0.0.1:{llm_port}/v1",
        "LITELLM_API_KEY": "demo",  # a placeholder: the demo model takes any
        "LITELLM_MODEL": DEMO_MODEL_NAME,
        "EMBEDDING_MODEL": DEMO_EMBEDDING_MODEL,  # the knowledge base's semantic search, on the stand-in
        "TWILIO_API_BASE_URL": f"http://127.0.0.1:{twilio_port}",
        "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
        "TWILIO_DEFAULT_FROM": DEMO_FROM_NUMBER,
        "TWILIO_MESSAGING_SERVICE_SID": "",
        "TWILIO_VALIDATE_SIGNATURE": "true",  # the stand-in signs its callbacks as Twilio does
        # Where the stand-in posts status callbacks: this server.
        "PUBLIC_BASE_URL": public_url(settings).rstrip("/"),
    }


def process_manager(printer, *, grace_s: float = STOP_GRACE_S):
    """A honcho Manager that stops its processes the way a Celery worker needs (honcho 2.0).

    * SIGTERM goes to each process, not to its process group as honcho does: the group of a
      prefork worker holds its pool processes, which die at once on a signal of their own, in the
      middle of their tasks, instead of finishing them in the worker's warm shutdown. Each process
      stops its own children (runserver's reloader, gunicorn's workers, Celery's pool).
    * SIGKILL, to the whole group, only after `grace_s` seconds, where honcho waits 5.
    """
    from honcho.compat import ON_WINDOWS, ProcessManager
    from honcho.manager import Manager

    class LeaderSignals(ProcessManager):
        def terminate(self, pid: int) -> None:
            with contextlib.suppress(ProcessLookupError, PermissionError):  # gone already
                os.kill(pid, signal.SIGTERM)

    class DevManager(Manager):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            if not ON_WINDOWS:
                self._procmgr = LeaderSignals()  # honcho's one hook for how processes are signalled
            self.stop_requested_at: float | None = None

        def terminate(self) -> None:
            if self.stop_requested_at is None:
                self.stop_requested_at = time.monotonic()
            super().terminate()

        def kill(self) -> None:
            # honcho's loop calls this over and over once its own 5 s are up; wait out ours first.
            if self.stop_requested_at is not None and time.monotonic() - self.stop_requested_at < grace_s:
                return
            super().kill()

    return DevManager(printer=printer)


class Command(BaseCommand):
    help = "Run the web server, both Celery workers and beat together (Ctrl+C stops all of them)."
    requires_system_checks: list = []  # each child runs the checks it needs

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-web", dest="web", action="store_false", help="Do not start the web server.")
        parser.add_argument("--no-worker", dest="worker", action="store_false", help="Do not start the workers.")
        parser.add_argument("--no-beat", dest="beat", action="store_false", help="Do not start Celery beat.")
        parser.add_argument("--noreload", dest="reload", action="store_false", help="Web: no auto-reload.")
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Also run the demo model and a Twilio stand-in, and point everything at them (no accounts).",
        )
        parser.add_argument("--ai-threads", type=int, default=AI_THREADS, help="Threads of the `ai` worker.")
        parser.add_argument(
            "--concurrency", type=int, default=WORKER_CONCURRENCY, help="Threads of the default,sends worker."
        )

    def handle(self, *args, **options) -> None:
        from honcho.printer import Printer

        demo_ports = None
        if options["demo"]:
            refusal = demo_refusal()
            if refusal:
                raise CommandError(refusal)
            demo_ports = (free_port(), free_port())
        processes = build_processes(
            web=options["web"],
            worker=options["worker"],
            worker_ai=options["worker"],
            beat=options["beat"],
            reload=options["reload"],
            ai_threads=options["ai_threads"],
            concurrency=options["concurrency"],
            demo_ports=demo_ports,
        )
        if not processes:
            raise CommandError("Nothing to run: every process was switched off.")
        environ = child_environment()
        if demo_ports is not None:
            environ.update(demo_environment(llm_port=demo_ports[0], twilio_port=demo_ports[1]))
        self._print_banner(processes)

        manager = process_manager(Printer(sys.stdout))
        for name, argv in processes.items():
            # honcho runs each command through `sh -c`; `exec` makes the shell become the process, so
            # honcho's signals reach it and no child outlives the shell.
            manager.add_process(name, f"exec {shlex.join(argv)}", env=environ, cwd=str(django_settings.BASE_DIR))
        manager.loop()
        if manager.returncode not in {0, None, *SIGNAL_EXIT_CODES}:
            raise CommandError(
                "A process stopped unexpectedly; everything was shut down.", returncode=manager.returncode
            )

    def _print_banner(self, processes: dict[str, list[str]]) -> None:
        url = public_url(django_settings)
        lines = [f"Starting {', '.join(processes)} (Ctrl+C stops everything)."]
        if "web" in processes:
            lines += [
                f"  App:       {url}",
                f"  Admin:     {url}admin/",
                f"  API docs:  {url}docs",
            ]
        if "demo" in processes:
            lines += [
                "  Demo mode: a demo model answers and SMS go to a local Twilio stand-in (no accounts).",
                f"  Phone simulator (superusers): {url}?tab=simulator",
            ]
        lines.append(
            f"  First superuser: {project_python()} manage.py createsuperuser  (in {django_settings.BASE_DIR})"
        )
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
