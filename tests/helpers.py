"""Helpers that tests import (fixtures live in the conftest files)."""

import logging
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

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
