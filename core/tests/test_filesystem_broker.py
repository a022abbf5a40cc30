"""The embedded broker (`filesystem://`): a worker polling the queue folder while a message is
being written gets the whole message or nothing, and a file that does not parse is skipped."""

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from kombu import Connection
from kombu.transport import filesystem

from core.filesystem_broker import Transport
from tests.helpers import json_printed

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def folders(tmp_path):
    for name in ("queue", "processed", "control"):
        (tmp_path / name).mkdir()
    queue = str(tmp_path / "queue")
    # The transport remembers declared exchanges per process (one set of folders in a process's
    # life); each test has folders of its own.
    Transport.global_state.clear()
    yield {
        "data_folder_in": queue,
        "data_folder_out": queue,
        "processed_folder": str(tmp_path / "processed"),
        "control_folder": str(tmp_path / "control"),
        "store_processed": False,
    }
    Transport.global_state.clear()


def connect(folders: dict) -> Connection:
    return Connection("filesystem://", transport=Transport, transport_options=folders)


@pytest.fixture
def slow_writers(monkeypatch):
    """kombu locks a file it writes between creating and writing it: a pause before each writer's
    lock widens the moment in which another process found the file empty."""
    kombu_lock = filesystem.lock

    def slow_lock(file, flags):
        if flags & filesystem.LOCK_EX:
            time.sleep(0.05)
        kombu_lock(file, flags)

    monkeypatch.setattr(filesystem, "lock", slow_lock)


def test_a_worker_polling_while_messages_are_written_gets_each_whole(folders, slow_writers):
    count = 10
    received: list[int] = []
    errors: list[BaseException] = []

    def worker():
        with connect(folders) as connection:
            queue = connection.SimpleQueue("jobs")
            deadline = time.monotonic() + 30
            while len(received) < count and time.monotonic() < deadline:
                try:
                    message = queue.get(block=False)
                except queue.Empty:
                    time.sleep(0.001)
                    continue
                except Exception as exc:  # what stopped the worker
                    errors.append(exc)
                    return
                received.append(message.payload["n"])
                message.ack()

    with connect(folders) as connection:
        queue = connection.SimpleQueue("jobs")
        polling = threading.Thread(target=worker)
        polling.start()
        for n in range(count):
            queue.put({"n": n})
        polling.join(timeout=40)

    assert errors == []
    assert sorted(received) == list(range(count))
    assert not [name for name in os.listdir(folders["data_folder_in"]) if not name.startswith(".")]


def test_a_file_that_does_not_parse_is_dropped_and_the_next_message_delivered(folders, caplog):
    with connect(folders) as connection:
        queue = connection.SimpleQueue("jobs")
        queue.put({"n": 1})
        first = sorted(os.listdir(folders["data_folder_in"]))[0]
        stamp = first.split("_", 1)[0]
        # Older than the whole message, so a poll meets it first: an empty file, as a release
        # before the fix could leave.
        Path(folders["data_folder_in"], f"{int(stamp) - 1}_cut-short.jobs.msg").write_bytes(b"")
        with caplog.at_level(logging.ERROR, logger="core.filesystem_broker"):
            message = queue.get(timeout=5)
        assert message.payload == {"n": 1}
    assert "A message file of queue jobs could not be parsed; it was dropped" in caplog.text


def test_the_embedded_default_broker_uses_this_transport():
    code = (
        "import json, django; django.setup(); from config.celery import app; "
        "connection = app.connection_for_write(); "
        "print(json.dumps(type(connection.transport).__module__))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "LOG_TO_FILES": "false"}
    env.update(dict.fromkeys(["REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL", "CACHE_URL"], ""))
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert json_printed(result) == "core.filesystem_broker"


def test_a_process_reading_an_exchange_table_while_it_is_made_finds_it_whole(folders, slow_writers):
    """A publish looks its queue up in the exchange's table file, which the first binding creates:
    a reader in between parsed an empty file (the publish failed, or a worker starting up stopped)."""
    errors: list[BaseException] = []
    bound = threading.Event()

    def reader():
        with connect(folders) as connection:
            channel = connection.default_channel
            while not bound.is_set():
                try:
                    channel.get_table("jobs")
                except Exception as exc:
                    errors.append(exc)
                    return

    polling = threading.Thread(target=reader)
    polling.start()
    try:
        with connect(folders) as connection:
            connection.SimpleQueue("jobs").put({"n": 1})  # declares the queue: binds it, making the table
            table = connection.default_channel.get_table("jobs")
    finally:
        bound.set()
        polling.join(timeout=10)
    assert errors == []
    assert [entry.queue for entry in table] == ["jobs"]
    assert sorted(os.listdir(folders["control_folder"])) == ["jobs.exchange"]
