"""Logins while the shared cache is unreachable (issue 15): they keep working, throttled per process
by the fallback limiter with the same limits, and the process warns once a minute, not per request."""

import logging
import threading
import time

import pytest
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from accounts.login_guard import LocalCounts
from core import cache as core_cache
from tests.helpers import redis_cache_settings, silent_listener
from tests.processes import free_port

pytestmark = pytest.mark.django_db

THROTTLED = {"detail": "Too many failed login attempts. Try again later."}


@pytest.fixture
def cache_down(settings):
    """The cache points at a Redis port nobody listens on."""
    settings.CACHES = redis_cache_settings(f"redis://127.0.0.1:{free_port()}/0", **django_settings.REDIS_CACHE_OPTIONS)


def attempt(username: str, password: str = "wrong-password", ip: str = "10.0.0.1"):
    return APIClient().post("/auth/login", {"username": username, "password": password}, format="json", REMOTE_ADDR=ip)


def cache_warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "core.cache" and r.levelno == logging.WARNING]


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert response.json() == THROTTLED
    assert 1 <= int(response["Retry-After"]) <= django_settings.LOGIN_FAILURE_WINDOW_S


def test_login_works_with_the_right_password(cache_down, user):
    response = attempt(user.username, "secret123")
    assert response.status_code == 200
    assert response.json()["access_token"]
    assert response.json()["refresh_token"]


def test_five_failures_lock_the_username_through_the_fallback(cache_down, user):
    for _ in range(5):
        assert attempt(user.username).status_code == 401
    assert_throttled(attempt(user.username, "secret123"))


def test_fifty_failures_from_one_ip_lock_the_ip_through_the_fallback(cache_down, user):
    for i in range(50):
        assert attempt(f"spray{i}", ip="10.0.3.1").status_code == 401
    assert_throttled(attempt(user.username, "secret123", ip="10.0.3.1"))
    assert attempt(user.username, "secret123", ip="10.0.3.2").status_code == 200


def test_a_success_resets_the_username_count_in_the_fallback(cache_down, user):
    for _ in range(4):
        attempt(user.username)
    assert attempt(user.username, "secret123").status_code == 200
    for _ in range(4):
        assert attempt(user.username).status_code == 401
    assert attempt(user.username, "secret123").status_code == 200


def test_one_warning_for_many_requests_and_no_traceback(cache_down, user, caplog):
    caplog.set_level(logging.INFO)
    for _ in range(3):
        attempt(user.username)
    for _ in range(10):
        assert attempt(user.username, "secret123", ip="10.0.0.2").status_code == 200
    [warning] = cache_warnings(caplog)
    assert "Shared cache unreachable (ConnectionError)" in warning.getMessage()
    assert "per process" in warning.getMessage()
    assert not [r for r in caplog.records if r.exc_info]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_warning_repeats_after_its_interval(cache_down, user, caplog, monkeypatch):
    monkeypatch.setattr(core_cache, "WARNING_INTERVAL_S", 0)
    monkeypatch.setattr(core_cache, "RETRY_AFTER_S", 0)  # try the cache on every call
    attempt(user.username)
    attempt(user.username)
    assert len(cache_warnings(caplog)) >= 2


def test_counts_taken_during_the_outage_hold_after_the_cache_is_back(settings, user):
    working = settings.CACHES
    settings.CACHES = redis_cache_settings(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    for _ in range(5):
        attempt(user.username)
    settings.CACHES = working
    core_cache.outage.reset()
    assert_throttled(attempt(user.username, "secret123"))


def test_a_redis_that_hangs_costs_one_timeout_then_nothing(settings, user):
    """The settings' socket timeouts bound the first call; for a few seconds after it, the cache is
    not tried again, so the following logins do not wait at all."""
    with silent_listener() as port:
        settings.CACHES = redis_cache_settings(f"redis://127.0.0.1:{port}/0", **django_settings.REDIS_CACHE_OPTIONS)
        started = time.monotonic()
        assert attempt(user.username, "secret123").status_code == 200
        first = time.monotonic() - started
        started = time.monotonic()
        for _ in range(3):
            assert attempt(user.username, "secret123").status_code == 200
        following = time.monotonic() - started
    assert first < 3
    assert following < 1


# --- the admin console's login shares the guard -------------------------------------------------


def admin_login(username: str, password: str, ip: str = "10.0.0.1"):
    client = Client(REMOTE_ADDR=ip)
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": password})
    return client, response


def test_admin_login_works_and_is_throttled_with_the_cache_down(cache_down, superuser):
    client, response = admin_login(superuser.username, "secret123")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(superuser.pk)
    for _ in range(5):
        _, response = admin_login(superuser.username, "wrong-password")
        assert response.status_code == 200
    client, _ = admin_login(superuser.username, "secret123")
    assert "_auth_user_id" not in client.session
    assert_throttled(attempt(superuser.username, "secret123"))


# --- the fallback counter itself ----------------------------------------------------------------


def test_fallback_counts_expire_with_their_window():
    counts = LocalCounts(max_keys=10)
    counts.incr("k", window=60, now=1000)
    counts.incr("k", window=60, now=1030)
    assert counts.get("k", window=60, now=1059) == (2, 1000)
    assert counts.get("k", window=60, now=1060) is None
    counts.incr("k", window=60, now=1070)  # a new window
    assert counts.get("k", window=60, now=1071) == (1, 1070)


def test_fallback_counts_are_bounded():
    counts = LocalCounts(max_keys=3)
    for i in range(100):
        counts.incr(f"k{i}", window=60, now=1000 + i / 100)
    assert len(counts) == 3
    assert counts.get("k99", window=60, now=1001) == (1, 1000.99)
    assert counts.get("k0", window=60, now=1001) is None  # the oldest went first


def test_fallback_counts_drop_expired_windows_first():
    counts = LocalCounts(max_keys=3)
    counts.incr("old", window=60, now=1000)
    counts.incr("live", window=60, now=1050)
    counts.incr("live", window=60, now=1051)
    counts.incr("new", window=60, now=1070)  # "old" has expired by now
    assert len(counts) == 2
    assert counts.get("live", window=60, now=1071) == (2, 1050)


def test_fallback_counts_are_thread_safe():
    counts = LocalCounts(max_keys=10)
    now = time.time()

    def hammer():
        for _ in range(2000):
            counts.incr("k", window=60, now=now)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert counts.get("k", window=60, now=now) == (16_000, now)
