"""Liveness (`/health`, no I/O) and readiness (`/ready`: database, cache and broker one by one, each
within a short deadline), and the API's answer to a cache failure it meets unprepared (issue 15)."""

import logging
import time

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from core import readiness
from tests.helpers import redis_cache_settings, silent_listener
from tests.processes import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _memory_broker(settings):
    # The CI pass configures the machine's Redis as the broker; these tests bring their own parts.
    settings.CELERY_BROKER_URL = "memory://"
    readiness.transitions.reset()
    yield
    readiness.transitions.reset()


def unreachable_redis(db: int = 0, password: str = "") -> str:
    auth = f":{password}@" if password else ""
    return f"redis://{auth}127.0.0.1:{free_port()}/{db}"


def get_ready(client):
    response = client.get("/ready")
    assert response["Content-Type"] == "application/json"
    return response, response.json()


def test_ready_when_every_part_answers(client):
    response, body = get_ready(client)
    assert response.status_code == 200
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    for check in body["checks"].values():
        assert check["ok"] is True
        assert isinstance(check["ms"], float)
    assert response["Cache-Control"] == "no-store"


def test_not_ready_while_the_cache_is_unreachable(client, settings):
    settings.CACHES = redis_cache_settings(unreachable_redis(), **django_settings.REDIS_CACHE_OPTIONS)
    response, body = get_ready(client)
    assert response.status_code == 503
    assert body["status"] == "not ready"
    assert body["checks"]["cache"] == {"ok": False, "error": "unreachable"}
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    # Liveness does not care.
    assert client.get("/health").status_code == 200


def test_a_cache_that_hangs_is_reported_within_the_deadline(client, settings):
    with silent_listener() as port:
        settings.CACHES = redis_cache_settings(f"redis://127.0.0.1:{port}/0", socket_timeout=10)
        started = time.monotonic()
        response, body = get_ready(client)
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert body["checks"]["cache"] == {"ok": False, "error": "timeout"}
    assert elapsed < readiness.CHECK_TIMEOUT_S + 1


def test_not_ready_while_the_database_is_unreachable(client, monkeypatch):
    def refuse(self):
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
    response, body = get_ready(client)
    assert response.status_code == 503
    assert body["checks"]["database"] == {"ok": False, "error": "unreachable"}
    assert body["checks"]["cache"]["ok"] is True


def test_an_unreachable_redis_broker_names_no_password(client, settings, caplog):
    settings.CELERY_BROKER_URL = unreachable_redis(password="s3cret-broker-pw")
    caplog.set_level(logging.INFO)
    response, body = get_ready(client)
    assert response.status_code == 503
    assert body["checks"]["broker"] == {"ok": False, "error": "unreachable"}
    assert "s3cret" not in response.content.decode()
    assert "s3cret" not in caplog.text
    assert "127.0.0.1" not in response.content.decode()


def test_the_filesystem_broker_needs_its_folders(client, settings, tmp_path):
    folders = {name: tmp_path / name for name in ("data_folder_in", "data_folder_out", "processed_folder")}
    for folder in folders.values():
        folder.mkdir()
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {name: str(path) for name, path in folders.items()}
    response, body = get_ready(client)
    assert response.status_code == 200, body
    folders["processed_folder"].rmdir()
    response, body = get_ready(client)
    assert response.status_code == 503
    assert body["checks"]["broker"] == {"ok": False, "error": "queue folder missing or not writable"}


def test_a_failing_check_is_logged_once_until_it_recovers(client, settings, caplog):
    working = settings.CACHES
    settings.CACHES = redis_cache_settings(unreachable_redis(), socket_connect_timeout=0.5)
    caplog.set_level(logging.INFO, logger="core.readiness")
    for _ in range(3):
        get_ready(client)
    settings.CACHES = working
    get_ready(client)
    messages = [r.getMessage() for r in caplog.records if r.name == "core.readiness"]
    assert messages == ["Readiness: cache check failed (unreachable)", "Readiness: cache check ok again"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no line per probe


def test_ready_answers_get_only(client):
    assert client.post("/ready").status_code == 405


# --- a cache call outside core.cache.cache_or_fallback --------------------------------------------


class AnyThrottle(AnonRateThrottle):
    rate = "1000/min"


def test_an_unguarded_cache_call_in_an_api_view_is_a_json_503(settings, monkeypatch):
    # DRF's throttles call the cache directly; none are configured today, this one stands in.
    monkeypatch.setattr(APIView, "throttle_classes", [AnyThrottle])
    settings.CACHES = redis_cache_settings(unreachable_redis(), socket_connect_timeout=0.5)
    for path in ("/auth/login", "/api/v1/auth/login"):
        response = APIClient().post(path, {"username": "a", "password": "b"}, format="json")
        assert response.status_code == 503
        assert response.json() == {"detail": "Service temporarily unavailable. Try again later."}
        assert int(response["Retry-After"]) >= 1


def test_a_503_speaks_the_error_dialect_on_staff_api_paths(rf):
    import redis

    from core.api.errors import exception_handler

    response = exception_handler(redis.ConnectionError("down"), {"request": rf.get("/api/messages")})
    assert response.status_code == 503
    assert response.data == {"error": "Service temporarily unavailable. Try again later."}
    assert response["Retry-After"]
