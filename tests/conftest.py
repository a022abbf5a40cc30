"""Fixtures for the cross-cutting tests in this folder: real server processes (tests/processes.py)."""

import os

import pytest

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
