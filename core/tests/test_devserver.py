"""`manage.py devserver`: the process list it builds, and one real start-up (CONTRACT §9.1 point 5)."""

import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management.base import CommandError
from django.test import override_settings

from core.management.commands.devserver import (
    STOP_GRACE_S,
    build_processes,
    child_environment,
    process_manager,
    project_python,
    public_url,
)

SMOKE_DEADLINE_S = 55


def test_builds_the_procfile_set_with_this_python():
    with override_settings(AI_MESSAGE_HOST="127.0.0.1", AI_MESSAGE_PORT=9123, AI_MESSAGE_SSL=False):
        processes = build_processes()
    assert list(processes) == ["web", "worker", "worker_ai", "beat"]
    assert all(argv[0] == sys.executable for argv in processes.values())
    assert processes["web"] == [
        sys.executable,
        str(Path(settings.BASE_DIR) / "manage.py"),
        "runserver",
        "127.0.0.1:9123",
    ]
    worker = processes["worker"]
    assert worker[1:6] == ["-m", "celery", "-A", "config", "worker"]
    assert worker[worker.index("-Q") + 1] == "default,sends"
    worker_ai = processes["worker_ai"]
    assert worker_ai[worker_ai.index("-Q") + 1] == "ai"
    assert worker_ai[worker_ai.index("-P") + 1] == "threads"
    assert int(worker_ai[worker_ai.index("-c") + 1]) >= 16
    # Two workers on one host need distinct node names.
    assert worker[worker.index("-n") + 1] != worker_ai[worker_ai.index("-n") + 1]
    beat = processes["beat"]
    assert beat[1:6] == ["-m", "celery", "-A", "config", "beat"]
    schedule = Path(beat[beat.index("-s") + 1])
    assert schedule.parent == Path(settings.BASE_DIR) / "var"


def test_switches_leave_processes_out():
    assert list(build_processes(worker=False, worker_ai=False)) == ["web", "beat"]
    assert list(build_processes(web=False, beat=False)) == ["worker", "worker_ai"]
    assert "--noreload" in build_processes(reload=False)["web"]
    assert build_processes(python="/srv/app/venv/bin/python")["worker"][0] == "/srv/app/venv/bin/python"


def test_ipv6_bind_and_browser_url():
    with override_settings(AI_MESSAGE_HOST="::1", AI_MESSAGE_PORT=8001, AI_MESSAGE_SSL=False):
        assert build_processes()["web"][-1] == "[::1]:8001"
        assert public_url(settings) == "http://[::1]:8001/"
    with override_settings(AI_MESSAGE_HOST="0.0.0.0", AI_MESSAGE_PORT=8000, AI_MESSAGE_SSL=False):
        assert public_url(settings) == "http://localhost:8000/"


def test_ssl_serves_gunicorn_with_the_certificate(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("cert")
    key.write_text("key")
    with override_settings(
        AI_MESSAGE_SSL=True,
        AI_MESSAGE_SSL_CERT=str(cert),
        AI_MESSAGE_SSL_KEY=str(key),
        AI_MESSAGE_PORT=8443,
        DEBUG=False,
    ):
        web = build_processes()["web"]
        assert public_url(settings).startswith("https://")
    assert web[:4] == [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
    assert web[web.index("--certfile") + 1] == str(cert)
    assert web[web.index("--keyfile") + 1] == str(key)
    assert web[web.index("--bind") + 1].endswith(":8443")
    assert int(web[web.index("--timeout") + 1]) > getattr(settings, "AI_SYNC_TIMEOUT_S", 60)
    with override_settings(AI_MESSAGE_SSL=True, AI_MESSAGE_SSL_CERT=str(cert), AI_MESSAGE_SSL_KEY=str(key), DEBUG=True):
        # DEBUG keeps the admin's and Swagger's static files working, as runserver does.
        assert build_processes()["web"][3] == "core.management.devserver_wsgi:application"


def test_ssl_without_certificate_files_is_a_clear_error(tmp_path):
    with (
        override_settings(
            AI_MESSAGE_SSL=True, AI_MESSAGE_SSL_CERT="ssl/missing-cert.pem", AI_MESSAGE_SSL_KEY="ssl/nope.pem"
        ),
        pytest.raises(CommandError, match=r"AI_MESSAGE_SSL_CERT=.*missing-cert\.pem.*AI_MESSAGE_SSL_KEY"),
    ):
        build_processes()


def test_children_inherit_the_settings_module(monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "config.settings.local")
    assert child_environment()["DJANGO_SETTINGS_MODULE"] == "config.settings.local"
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    assert child_environment()["DJANGO_SETTINGS_MODULE"] == settings.SETTINGS_MODULE


def test_the_python_to_type_is_the_projects_own(tmp_path):
    project = tmp_path / "project"
    (project / ".venv" / "bin").mkdir(parents=True)
    with override_settings(BASE_DIR=project):
        assert project_python(python=str(project / ".venv" / "bin" / "python")) == ".venv/bin/python"
        assert project_python(python=str(project / "env" / "bin" / "python3")) == "env/bin/python3"
        # An interpreter outside the project: the project's .venv when there is one, …
        (project / ".venv" / "bin" / "python").touch()
        assert project_python(python="/usr/bin/python3") == ".venv/bin/python"
    with override_settings(BASE_DIR=tmp_path / "elsewhere"):
        # … else the interpreter itself, by its full path.
        assert project_python(python="/usr/bin/python3") == "/usr/bin/python3"


def test_sigkill_waits_for_the_grace_period(monkeypatch):
    from honcho.manager import Manager
    from honcho.printer import Printer

    signalled: list[bool] = []  # force=False: SIGTERM, force=True: SIGKILL
    monkeypatch.setattr(Manager, "_killall", lambda self, force=False: signalled.append(force))
    manager = process_manager(Printer(io.StringIO()), grace_s=0.3)
    manager.terminate()
    manager.kill()  # what honcho's loop does 5 s after the first process stopped
    assert signalled == [False]
    time.sleep(0.35)
    manager.kill()
    assert signalled == [False, True]


@pytest.mark.django_db  # the WSGI handler sends request_started, which closes old DB connections
def test_static_handler_for_https_debug_serves_swagger_assets():
    from wsgiref.util import setup_testing_defaults

    from core.management.devserver_wsgi import application

    environ = {"PATH_INFO": "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css"}
    setup_testing_defaults(environ)
    statuses = []
    body = b"".join(application(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    assert statuses == ["200 OK"]
    assert b".swagger-ui" in body


# --- one real start-up ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _embedded_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = os.environ.copy()
    for name in (
        "DATABASE_URL", "AI_MESSAGE_DATABASE_URL", "REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND", "CELERY_TASK_ALWAYS_EAGER", "AI_MESSAGE_SSL", "APP_HOST", "APP_PORT",
    ):  # fmt: skip
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        AI_MESSAGE_HOST="127.0.0.1",
        AI_MESSAGE_PORT=str(port),
        LOG_TO_FILES="false",
        PYTHONUNBUFFERED="1",
    )
    return env


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.smoke
@pytest.mark.timeout(SMOKE_DEADLINE_S + 20)
def test_devserver_starts_web_and_workers_then_stops_cleanly(tmp_path):
    deadline = time.monotonic() + SMOKE_DEADLINE_S
    port = _free_port()
    env = _embedded_env(tmp_path, port)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=settings.BASE_DIR, env=env, check=True, timeout=SMOKE_DEADLINE_S, capture_output=True,
    )  # fmt: skip

    server = subprocess.Popen(
        [sys.executable, "manage.py", "devserver", "--noreload"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True, text=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(server.stdout.readline, "")), daemon=True)
    reader.start()
    output = ""

    def children() -> list[int]:
        return [int(pid) for pid in re.findall(r"\w+ started \(pid=(\d+)\)", "".join(lines))]

    try:
        healthy = False
        while time.monotonic() < deadline and server.poll() is None:
            output = "".join(lines)
            if not healthy:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                        healthy = response.status == 200
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
            if healthy and re.search(r"default@\S+ ready\.", output) and re.search(r"ai@\S+ ready\.", output):
                break
            time.sleep(0.3)
        output = "".join(lines)
        assert healthy, f"GET /health never answered 200:\n{output[-4000:]}"
        assert re.search(r"default@\S+ ready\.", output), f"worker did not start:\n{output[-4000:]}"
        assert re.search(r"ai@\S+ ready\.", output), f"worker_ai did not start:\n{output[-4000:]}"
        assert "concurrency: 32 (thread)" in output
        assert "beat started" in output
        assert "using settings 'config.settings.local'" in output  # the children got the settings module
        assert f"http://127.0.0.1:{port}/admin/" in output
        assert f"First superuser: {project_python()} manage.py createsuperuser" in output
        started = children()
        assert len(started) == 4

        # Ctrl+C: the terminal sends SIGINT to the foreground process group, which is devserver
        # alone (honcho starts each child in a session of its own).
        stop_requested = time.monotonic()
        os.killpg(server.pid, signal.SIGINT)
        returncode = server.wait(timeout=max(1.0, deadline - time.monotonic() + 10))
        stopped_after = time.monotonic() - stop_requested
        reader.join(timeout=5)
        output = "".join(lines)
        assert returncode == 0, output[-4000:]
        assert "SIGINT received" in output
        assert not [pid for pid in started if _alive(pid)]
        # Both workers finished a warm shutdown within the grace period: nothing was killed, and no
        # pool process got a signal of its own.
        assert "SIGKILL" not in output, output[-4000:]
        assert "exited with 'signal" not in output, output[-4000:]
        assert re.search(r"system\s+\| worker stopped \(rc=0\)", output), output[-4000:]
        assert re.search(r"system\s+\| worker_ai stopped \(rc=0\)", output), output[-4000:]
        assert stopped_after < STOP_GRACE_S
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        for pid in children():
            if _alive(pid):
                os.killpg(pid, signal.SIGKILL)
