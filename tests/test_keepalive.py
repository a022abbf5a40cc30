"""gunicorn keeps an idle keep-alive connection open longer than the load balancers in front of it
(60 s is common): a proxy that reuses a connection gunicorn has just closed gets a reset and answers
502, and proxies do not retry a POST, so a Twilio webhook would be lost. The real gunicorn with the
project's gunicorn.conf.py, and a client that reuses its one socket without checking it."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time

import pytest

from tests.processes import ROOT, free_port
from tests.test_deploy import PROD, SERVICE_VARS, gunicorn_settings, strong_secret

pytestmark = pytest.mark.timeout(120)

PAUSES_S = (2, 5, 30)


@pytest.fixture
def gunicorn_port(tmp_path):
    port = free_port()
    env = {**os.environ, **dict.fromkeys(SERVICE_VARS, ""), "DJANGO_SETTINGS_MODULE": PROD, "LOG_TO_FILES": "false"}
    env.pop("DJANGO_ALLOWED_HOSTS", None)
    env.pop("WEB_KEEPALIVE_S", None)
    env.update(
        DJANGO_SECRET_KEY=strong_secret(),
        REDIS_URL="redis://127.0.0.1:6379/11",  # never connected to: /health touches nothing
        WEB_CONCURRENCY="1",
        WEB_THREADS="2",
    )
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as output:
        # The config file as the Procfile passes it; only the address is the test's own (loopback).
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "config.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", "/health")
                probe.getresponse().read()
                probe.close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = log.read_text(errors="replace")[-3000:]
                    raise AssertionError(f"gunicorn did not start:\n{output}") from None
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_one_connection_survives_idle_pauses_of_2_5_and_30_seconds(gunicorn_port):
    connection = http.client.HTTPConnection("127.0.0.1", gunicorn_port, timeout=10)
    connection.request("GET", "/health")
    first = connection.getresponse()
    assert (first.status, first.read()) == (200, b'{"status": "healthy"}')
    sock = connection.sock

    for pause in PAUSES_S:
        time.sleep(pause)
        # No check of the socket before reuse, as a proxy's upstream pool does.
        connection.request("GET", "/health")
        response = connection.getresponse()
        assert (pause, response.status, response.read()) == (pause, 200, b'{"status": "healthy"}')
        assert connection.sock is sock, f"a new connection after {pause} s"
    connection.close()


def test_the_keepalive_is_above_common_idle_timeouts_and_configurable(monkeypatch):
    assert gunicorn_settings(monkeypatch)["keepalive"] == 75
    assert gunicorn_settings(monkeypatch, WEB_KEEPALIVE_S="120")["keepalive"] == 120
