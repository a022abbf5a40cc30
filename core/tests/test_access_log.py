"""Phone numbers in request paths are masked in the access logs (README "Browser hardening"):
gunicorn's access log (the Procfile's web process, through gunicorn.conf.py), runserver's access
lines and django.request's warnings."""

import contextlib
import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.test import Client

from tests.processes import free_port

NUMBER = "+15551234567"
MASKED = "+15*****567"


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def captured():
    handlers = {}

    def on(name: str) -> Capture:
        handlers[name] = Capture()
        logging.getLogger(name).addHandler(handlers[name])
        return handlers[name]

    yield on
    for name, handler in handlers.items():
        logging.getLogger(name).removeHandler(handler)


def test_gunicorns_access_log_masks_numbers_in_the_path_query_and_referrer(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "2",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi",
                "--bind", f"127.0.0.1:{port}",
                "--no-control-socket",  # gunicorn's default socket is one per home, shared by every run
            ],
            cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/health", timeout=2).read()
                    break
                except OSError:
                    assert server.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                    time.sleep(0.2)
            paths = (f"/chat/{NUMBER}", "/chat/whatsapp:%2B15551234567/messages", "/api/messages?to=%2B15551234567")
            for path in paths:
                request = urllib.request.Request(base + path, headers={"Referer": f"{base}/chat/{NUMBER}"})
                with contextlib.suppress(urllib.error.HTTPError):  # a 401: only the log line matters
                    urllib.request.urlopen(request, timeout=10).read()
            time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(timeout=30)
    access = [line for line in log.read_text().splitlines() if '"GET /' in line and "/health" not in line]
    assert len(access) >= 3, log.read_text()[-3000:]  # the three, and the login page they redirect to
    for line in access:
        assert "5551234567" not in line, line
        assert MASKED in line, line
    assert f'"http://127.0.0.1:{port}/chat/{MASKED}"' in access[0]  # the referrer too


def test_runservers_access_lines_are_masked(captured):
    lines = captured("django.server").lines
    # What django.core.servers.basehttp.WSGIRequestHandler.log_message logs for each request.
    logging.getLogger("django.server").info('"%s" %s %s', f"GET /chat/{NUMBER}/messages HTTP/1.1", "200", "512")
    assert lines == [f'"GET /chat/{MASKED}/messages HTTP/1.1" 200 512']


@pytest.mark.django_db
def test_djangos_request_warnings_are_masked(captured, user):
    lines = captured("django.request").lines
    client = Client()
    client.force_login(user)
    assert client.get(f"/chat/{NUMBER}", HTTP_ACCEPT="text/html").status_code == 403
    assert lines and all(NUMBER not in line for line in lines), lines
    assert any(f"/chat/{MASKED}" in line for line in lines), lines
