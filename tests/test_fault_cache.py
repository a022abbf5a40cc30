"""Fault test (issue 15): a real Redis serving as the shared cache and the broker goes away and comes
back. Logins keep working through the fallback limiter, readiness says which part is down, and it
is ready again once Redis is back.

Runs in the PostgreSQL + Redis pass of `.ci/run` (the `postgres` marker): it starts a redis-server
of its own on a free port, so the embedded pass needs nothing installed; the machine's Redis is
never touched."""

import time

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from tests.helpers import redis_cache_settings

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

WAIT_S = 10


@pytest.fixture
def redis_backed(settings, redis_server):
    settings.CACHES = redis_cache_settings(redis_server.url(2), **django_settings.REDIS_CACHE_OPTIONS)
    settings.CELERY_BROKER_URL = redis_server.url(0)  # only readiness uses it: tasks run eagerly here
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    return redis_server


def login(username: str, password: str = "secret123"):
    return APIClient().post("/auth/login", {"username": username, "password": password}, format="json")


def ready(client):
    response = client.get("/ready")
    return response.status_code, response.json()


def wait_until_ready(client, timeout: float = WAIT_S) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status, body = ready(client)
        if status == 200 or time.monotonic() > deadline:
            assert status == 200, body
            return body
        time.sleep(0.2)


def test_logins_survive_redis_going_away_and_readiness_follows_it(client, redis_backed, user):
    import redis

    shared = redis.Redis.from_url(redis_backed.url(2), socket_timeout=2)

    # Redis up: ready, and failures are counted in the shared cache.
    assert login(user.username).status_code == 200
    assert login(user.username, "wrong-password").status_code == 401
    assert shared.keys("*login-fail*")
    wait_until_ready(client)

    redis_backed.stop()

    # Redis gone: logins still work (the fallback limiter counts), readiness names cache and broker.
    started = time.monotonic()
    assert login(user.username).status_code == 200
    assert time.monotonic() - started < 5
    status, body = ready(client)
    assert status == 503
    assert body["status"] == "not ready"
    assert body["checks"]["cache"] == {"ok": False, "error": "unreachable"}
    assert body["checks"]["broker"] == {"ok": False, "error": "unreachable"}
    assert body["checks"]["database"]["ok"] is True
    for _ in range(5):
        assert login(user.username, "wrong-password").status_code == 401
    throttled = login(user.username)
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) >= 1
    assert client.get("/health").status_code == 200

    # Redis back on the same port: ready again.
    redis_backed.start()
    body = wait_until_ready(client)
    assert body["checks"]["cache"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
