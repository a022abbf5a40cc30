"""The floor benchmarks run: `bench/celery_floor.py` end to end (a few tasks through the test Redis)
and `bench/web_floor.py`'s peer, the second seed app's webhook as a WSGI callable. Their numbers are
measured by hand (docs/PERFORMANCE.md, "The whole turn after the fifth session"), never asserted here."""

import importlib
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEADLINE_S = 120


@pytest.mark.redis
@pytest.mark.timeout(DEADLINE_S + 10)
def test_the_celery_floor_publishes_and_runs_its_tasks_and_reports_both_sides():
    env = dict(os.environ, CELERY_BROKER_URL=os.environ["REDIS_URL"], DJANGO_SETTINGS_MODULE="config.settings.local")
    result = subprocess.run(
        [sys.executable, "bench/celery_floor.py", "--tasks", "20", "--rate", "200", "--rounds", "1",
         "--concurrency", "2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=DEADLINE_S,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert len(report["rounds"]) == 1 and report["tasks"] == 20
    # the worker took CPU for the tasks (it drained the queue), the publisher for its publishes
    assert report["median"]["publish_ms"] > 0 and report["median"]["worker_ms"] > 0
    assert report["python_loop_10m_s"] > 0


def test_the_peer_stores_the_inbound_message_and_answers_empty_twiml(tmp_path, monkeypatch):
    database = tmp_path / "peer.sqlite3"
    monkeypatch.setenv("BENCH_PEER_DB", str(database))
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    peer = importlib.reload(importlib.import_module("web_floor_app"))
    body = urlencode({"MessageSid": "SM1", "From": "+48600100200", "To": "+15005550006", "Body": "Hi"}).encode()
    answered = []

    response = peer.peer_app(
        {"CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)},
        lambda status, headers: answered.append((status, dict(headers))),
    )

    assert answered == [("200 OK", {"Content-Type": "text/xml", "Content-Length": str(len(peer.PEER_TWIML))})]
    assert b"".join(response) == peer.PEER_TWIML
    rows = sqlite3.connect(database).execute("SELECT sid, from_number, to_number, body, direction FROM messages")
    assert rows.fetchall() == [("SM1", "+48600100200", "+15005550006", "Hi", "inbound")]
    assert peer.PEER_REPLIES.get_nowait()["MessageSid"] == "SM1"  # the auto-reply switch is on: queued
