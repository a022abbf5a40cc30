"""Fixtures for the cross-cutting tests in this folder: real server processes (tests/processes.py)."""

import os

import pytest

from tests.fakes.twilio_server import FakeTwilioServer
from tests.processes import RedisServer


def _own_redis_server():
    """A running redis-server of the test's own, removed afterwards. Without the binary the test
    skips, and fails in CI (CONTRACT §9.1 point 7)."""
    if not RedisServer.available():
        reason = "needs the redis-server binary to start a Redis of its own"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (required in CI)")
        pytest.skip(reason)
    server = RedisServer().start()
    yield server
    server.close()


@pytest.fixture
def redis_server():
    """A redis-server for this test alone (stop and start it as the test needs)."""
    yield from _own_redis_server()


@pytest.fixture(scope="module")
def module_redis_server():
    """One redis-server for a module whose tests share processes started on it."""
    yield from _own_redis_server()


@pytest.fixture(scope="session")
def fake_twilio_server():
    """One Twilio-compatible fake (tests/fakes/twilio_server.py) for the whole session."""
    server = FakeTwilioServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake_twilio(fake_twilio_server):
    """The session's Twilio fake, emptied before and after the test (messages, requests, faults,
    latency, credentials). `twilio_client_for(fake_twilio)` gives an SDK client pointed at it."""
    fake_twilio_server.reset()
    yield fake_twilio_server
    fake_twilio_server.reset()
