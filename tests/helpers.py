"""Helpers that tests import (fixtures live in the conftest files)."""

import json
import logging
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from django.db import connection
from rest_framework.test import APIClient

from accounts.tests.factories import PASSWORD as DEFAULT_PASSWORD


def login(client: APIClient, username: str, password: str = DEFAULT_PASSWORD) -> dict:
    response = client.post("/auth/login", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def client_for(user, password: str = DEFAULT_PASSWORD) -> APIClient:
    """An API client logged in as `user` with a bearer token; its tokens are on `client.tokens`."""
    client = APIClient()
    tokens = login(client, user.username, password)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    client.tokens = tokens
    return client


@contextmanager
def silent_listener() -> Iterator[int]:
    """A loopback port that accepts TCP connections (the kernel's backlog does) and never answers:
    a server that hangs. Yields the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]


def redis_cache_settings(url: str, **options: float) -> dict:
    """A CACHES setting with the Redis cache at `url`."""
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "OPTIONS": options}}


@contextmanager
def capturing(caplog, *names: str, level: int = logging.DEBUG) -> Iterator:
    """Records of the project's named loggers (`orchestrator`, `messages`, ...) in `caplog`: they do
    not propagate to the root logger, where caplog listens (core/logging.py)."""
    loggers = [logging.getLogger(name) for name in names]
    for logger in loggers:
        logger.addHandler(caplog.handler)
    try:
        with ExitStack() as levels:
            for name in names:
                levels.enter_context(caplog.at_level(level, logger=name))
            yield caplog
    finally:
        for logger in loggers:
            logger.removeHandler(caplog.handler)


def at_once(calls: list[Callable[[], Any]], timeout: float = 30) -> list[Any]:
    """Run each call in a thread of its own, all released together (the race a test wants), each
    closing its thread's database connection; returns their results in the calls' order, or raises
    the first exception one of them raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a call did not end in time"
    if errors:
        raise errors[0]
    return results


def queued_calls(monkeypatch, task) -> list[tuple[Any, dict]]:
    """The (args, options) of every `apply_async` of `task` from now on; the task still runs (eagerly
    in tests), so a spy sees what was queued without changing what happens."""
    queued: list[tuple[Any, dict]] = []
    apply_async = task.apply_async

    def spy(args=None, kwargs=None, **options):
        queued.append((args, options))
        return apply_async(args, kwargs, **options)

    monkeypatch.setattr(task, "apply_async", spy)
    return queued


def json_printed(result: subprocess.CompletedProcess) -> Any:
    """What a Python subprocess printed last, as JSON, once it exited 0 (its stderr's tail if not)."""
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
