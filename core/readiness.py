"""Readiness (`GET /ready`): can this process serve its requests? The database, the shared cache and
the broker, checked side by side, each within CHECK_TIMEOUT_S, and reported one by one (README
"Liveness and readiness"). `/health` is the liveness probe and touches nothing.

A report names a failure by its kind ("unreachable", "timeout", ...), never by a server address or
URL, which can hold a password."""

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kombu
import redis
from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connections, transaction
from kombu.exceptions import OperationalError as BrokerError

from core.apps import FILESYSTEM_BROKER_FOLDERS
from core.cache import CACHE_ERRORS

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 1.0
TIMEOUT_ERRORS: tuple[type[Exception], ...] = (TimeoutError, redis.TimeoutError)
UNREACHABLE_ERRORS: tuple[type[Exception], ...] = (DatabaseError, BrokerError, *CACHE_ERRORS)
# A check stuck past its deadline keeps its thread until its own timeout (the database pool's, say);
# a few threads bound how many can pile up, and a check that finds none free reports "timeout".
_executor = ThreadPoolExecutor(max_workers=6, thread_name_prefix="readiness")


class CheckFailed(Exception):
    """A check's own verdict, e.g. a broker folder that is not writable."""


def check_database() -> None:
    connection = connections["default"]
    try:
        if connection.vendor == "postgresql":
            # SET LOCAL ends with the transaction: the pooled connection keeps no timeout.
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {int(CHECK_TIMEOUT_S * 1000)}")
                cursor.execute("SELECT 1")
                cursor.fetchone()
        else:
            # No transaction: on SQLite it would begin IMMEDIATE, waiting for the write lock.
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
    finally:
        connection.close()  # this thread's connection (back to the pool, if there is one)


def check_cache() -> None:
    cache = caches["default"]
    key, token = f"readiness-probe:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, token, timeout=10)
    value = cache.get(key)
    cache.delete(key)
    if value != token:
        raise CheckFailed("probe not read back")


def check_broker() -> None:
    url: str = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):
        return  # in this process
    options: dict[str, Any] = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {})
    if url.startswith("filesystem://"):
        for name in FILESYSTEM_BROKER_FOLDERS:
            folder = options.get(name)
            if folder and not (Path(folder).is_dir() and os.access(folder, os.W_OK | os.X_OK)):
                raise CheckFailed("queue folder missing or not writable")
        return
    options |= {"socket_connect_timeout": CHECK_TIMEOUT_S, "socket_timeout": CHECK_TIMEOUT_S}
    with kombu.Connection(url, connect_timeout=CHECK_TIMEOUT_S, transport_options=options) as connection:
        connection.ensure_connection(max_retries=0, timeout=CHECK_TIMEOUT_S)


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    ms: float | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        if self.ok:
            return {"ok": True, "ms": self.ms}
        return {"ok": False, "error": self.error}


@dataclass(frozen=True)
class ReadinessReport:
    checks: dict[str, CheckResult]

    @property
    def ready(self) -> bool:
        return all(result.ok for result in self.checks.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "not ready",
            "checks": {name: result.as_dict() for name, result in self.checks.items()},
        }


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, CheckFailed):
        return str(exc)
    if isinstance(exc, TIMEOUT_ERRORS):
        return "timeout"
    if isinstance(exc, UNREACHABLE_ERRORS):
        return "unreachable"
    return f"error ({type(exc).__name__})"


def _run(check: Callable[[], None]) -> CheckResult:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:
        return CheckResult(ok=False, error=_error_kind(exc))
    return CheckResult(ok=True, ms=round((time.perf_counter() - started) * 1000, 1))


class _Transitions:
    """Logs a check going down and coming back, once each, not on every probe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down: set[str] = set()

    def note(self, name: str, result: CheckResult) -> None:
        with self._lock:
            was_down = name in self._down
            if result.ok:
                self._down.discard(name)
            else:
                self._down.add(name)
        if not result.ok and not was_down:
            logger.warning("Readiness: %s check failed (%s)", name, result.error)
        elif result.ok and was_down:
            logger.info("Readiness: %s check ok again", name)

    def reset(self) -> None:
        with self._lock:
            self._down.clear()


transitions = _Transitions()


def readiness_report() -> ReadinessReport:
    deadline = time.monotonic() + CHECK_TIMEOUT_S
    futures: dict[str, Future[CheckResult]] = {name: _executor.submit(_run, check) for name, check in CHECKS.items()}
    checks = {}
    for name, future in futures.items():
        try:
            result = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeoutError:
            future.cancel()  # if it never started
            result = CheckResult(ok=False, error="timeout")
        transitions.note(name, result)
        checks[name] = result
    return ReadinessReport(checks=checks)
