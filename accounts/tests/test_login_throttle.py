"""Login throttle: per username and per client IP, shared through the cache (CONTRACT §8.7, §9.2 point 3)."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from accounts import login_guard
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

THROTTLED = {"detail": "Too many failed login attempts. Try again later."}
PROJECT_DIR = Path(__file__).resolve().parents[2]


def attempt(username: str, password: str = "wrong-password", ip: str = "10.0.0.1"):
    return APIClient().post("/auth/login", {"username": username, "password": password}, format="json", REMOTE_ADDR=ip)


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert response.json() == THROTTLED
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 30 * 60


def test_five_failures_for_a_username_lock_it_even_for_the_right_password(user):
    for _ in range(5):
        assert attempt(user.username).status_code == 401
    assert_throttled(attempt(user.username, "secret123"))
    assert_throttled(attempt(user.username))


def test_failures_from_another_address_never_lock_the_user_out(user):
    # Was: five failures anywhere locked the username everywhere, so anyone could lock anyone out.
    for _ in range(5):
        assert attempt(user.username, ip="10.6.6.6").status_code == 401
    assert_throttled(attempt(user.username, "secret123", ip="10.6.6.6"))
    assert attempt(user.username, "secret123", ip="10.9.9.9").status_code == 200


def test_a_username_has_a_ceiling_over_all_addresses(user, settings):
    assert settings.LOGIN_FAILURES_PER_USERNAME == 100
    for address in range(20):
        for _ in range(5):
            assert attempt(user.username, ip=f"10.0.1.{address}").status_code == 401
    assert_throttled(attempt(user.username, "secret123", ip="10.9.9.9"))


def test_a_success_does_not_lift_the_username_ceiling(user, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 10
    for address in range(2):
        for _ in range(4):
            attempt(user.username, ip=f"10.0.8.{address}")
    assert attempt(user.username, "secret123", ip="10.0.8.9").status_code == 200
    attempt(user.username, ip="10.0.8.5")
    attempt(user.username, ip="10.0.8.5")
    assert_throttled(attempt(user.username, "secret123", ip="10.0.8.9"))


def test_the_limits_are_settings(user, settings):
    settings.LOGIN_FAILURES_PER_USERNAME_AND_IP = 2
    for _ in range(2):
        attempt(user.username)
    assert_throttled(attempt(user.username, "secret123"))


def test_x_forwarded_for_is_not_trusted_without_proxies(user, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for i in range(5):
        APIClient().post(
            "/auth/login",
            {"username": user.username, "password": "wrong-password"},
            format="json",
            REMOTE_ADDR="10.0.9.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}",
        )
    assert_throttled(attempt(user.username, "secret123", ip="10.0.9.1"))


def test_behind_a_trusted_proxy_the_forwarded_address_counts(user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        APIClient().post(
            "/auth/login",
            {"username": user.username, "password": "wrong-password"},
            format="json",
            REMOTE_ADDR="10.0.9.2",
            HTTP_X_FORWARDED_FOR="192.0.2.66",
        )
    other_client = APIClient().post(
        "/auth/login",
        {"username": user.username, "password": "secret123"},
        format="json",
        REMOTE_ADDR="10.0.9.2",
        HTTP_X_FORWARDED_FOR="192.0.2.77",
    )
    assert other_client.status_code == 200


def test_username_lock_does_not_touch_other_users(user, other_user):
    for i in range(5):
        attempt(user.username, ip=f"10.0.2.{i}")
    assert attempt(other_user.username, "secret123", ip="10.0.2.9").status_code == 200


def test_four_failures_are_not_yet_throttled(user):
    for _ in range(4):
        attempt(user.username)
    assert attempt(user.username, "secret123").status_code == 200


def test_unknown_usernames_are_counted_too():
    for _ in range(5):
        assert attempt("ghost").status_code == 401
    assert_throttled(attempt("ghost"))


def test_fifty_failures_from_one_ip_over_many_usernames(user):
    for i in range(50):
        assert attempt(f"spray{i}", ip="10.0.3.1").status_code == 401
    assert_throttled(attempt("spray-next", ip="10.0.3.1"))
    assert_throttled(attempt(user.username, "secret123", ip="10.0.3.1"))
    # Another address is not affected.
    assert attempt(user.username, "secret123", ip="10.0.3.2").status_code == 200


def test_success_resets_the_username_count(user):
    for _ in range(4):
        attempt(user.username)
    assert attempt(user.username, "secret123").status_code == 200
    for _ in range(4):
        assert attempt(user.username).status_code == 401
    assert attempt(user.username, "secret123").status_code == 200


def test_success_does_not_reset_the_ip_count(user):
    for i in range(49):
        attempt(f"spray{i}", ip="10.0.4.1")
    assert attempt(user.username, "secret123", ip="10.0.4.1").status_code == 200
    assert attempt("spray-last", ip="10.0.4.1").status_code == 401
    assert_throttled(attempt(user.username, "secret123", ip="10.0.4.1"))


def test_throttled_attempt_records_nothing(user):
    for _ in range(5):
        attempt(user.username)
    for _ in range(10):
        attempt(user.username)
    # The IP count stayed at 5: 45 more failures from other usernames are still allowed.
    for i in range(44):
        assert attempt(f"spray{i}").status_code == 401


@pytest.mark.redis
def test_throttle_is_shared_across_processes(settings):
    """Failures recorded by another process (another web worker) lock this one out."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }
    user = UserFactory()
    username = user.username + uuid.uuid4().hex[:8]
    user.username = username
    user.save()
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    script = (
        "import django, json, sys; django.setup()\n"
        "from accounts.login_guard import login_failure_record\n"
        "username, ip = json.loads(sys.argv[1])\n"
        "for _ in range(5):\n"
        "    login_failure_record(username=username, ip=ip)\n"
    )
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings.test"}
    subprocess.run(
        [sys.executable, "-c", script, json.dumps([username, ip])],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        timeout=60,
    )
    assert login_guard.login_retry_after(username=username, ip=ip) is not None
    assert_throttled(attempt(username, "secret123", ip=ip))


# --- the admin console's login shares the same counters -------------------------------------


def admin_login(username: str, password: str, ip: str = "10.0.0.1"):
    from django.test import Client

    client = Client(REMOTE_ADDR=ip)
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": password})
    return client, response


def test_admin_login_is_throttled_like_the_api(superuser):
    for _ in range(5):
        _, response = admin_login(superuser.username, "wrong-password")
        assert response.status_code == 200  # the form again, with an error
    client, response = admin_login(superuser.username, "secret123")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert_throttled(attempt(superuser.username, "secret123"))


def test_api_failures_lock_the_admin_login_too(superuser):
    for _ in range(5):
        attempt(superuser.username)
    client, _ = admin_login(superuser.username, "secret123")
    assert "_auth_user_id" not in client.session


def test_admin_login_success_resets_the_username_count(superuser):
    for _ in range(4):
        admin_login(superuser.username, "wrong-password")
    client, response = admin_login(superuser.username, "secret123")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(superuser.pk)
    for _ in range(4):
        attempt(superuser.username)
    assert attempt(superuser.username, "secret123").status_code == 200
