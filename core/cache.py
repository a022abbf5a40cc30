"""The shared cache (Redis in production, a file cache embedded) while it is unreachable: the one
place that knows the cache backends' errors (README "When a part is down").

A use that can do without the shared cache for a while goes through `cache_or_fallback`: a failed
call runs its in-process fallback instead, the process logs one warning a minute (never a traceback
per request), and for a few seconds after a failure the cache is not tried at all, so a Redis that
is down costs no connection attempt per request. An API view whose cache call fails outside this
helper answers a JSON 503 with Retry-After (core.api.errors), never an HTML 500.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Unreachable, timed out, refused, or answering garbage: redis-py raises RedisError (its
# ConnectionError and TimeoutError included); the file cache raises OSError.
CACHE_ERRORS: tuple[type[Exception], ...] = (redis.RedisError, OSError)
WARNING_INTERVAL_S = 60.0
RETRY_AFTER_S = 5  # after a failure, callers go straight to their fallback for this long


class CacheOutage:
    """What this process knows about the shared cache: when a call last failed, and when it last
    warned about it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failed_at: float | None = None
        self._warned_at: float | None = None
        self._announced = False  # a warning went out and the recovery has not been logged yet

    def skipping(self) -> bool:
        """True for RETRY_AFTER_S after a failed call: do not try the cache yet."""
        failed_at = self._failed_at
        return failed_at is not None and time.monotonic() - failed_at < RETRY_AFTER_S

    def failed(self, exc: BaseException, *, fallback: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._failed_at = now
            warn = self._warned_at is None or now - self._warned_at >= WARNING_INTERVAL_S
            if warn:
                self._warned_at = now
                self._announced = True
        if warn:
            # The class name only: a message could name the server.
            logger.warning(
                "Shared cache unreachable (%s); %s. Logged at most once a minute per process.",
                type(exc).__name__,
                fallback,
            )

    def succeeded(self) -> None:
        if self._failed_at is None:
            return
        with self._lock:
            self._failed_at = None
            announce, self._announced = self._announced, False
        if announce:
            logger.info("Shared cache reachable again.")

    def reset(self) -> None:
        with self._lock:
            self._failed_at = self._warned_at = None
            self._announced = False


outage = CacheOutage()


def cache_or_fallback(use_cache: Callable[[], T], fallback: Callable[[], T], *, fallback_name: str) -> T:
    """`use_cache()`, or `fallback()` when the shared cache is unreachable; `fallback_name` says in
    the warning what the process does instead."""
    if outage.skipping():
        return fallback()
    try:
        result = use_cache()
    except CACHE_ERRORS as exc:
        outage.failed(exc, fallback=fallback_name)
        return fallback()
    outage.succeeded()
    return result


def is_cache_outage(exc: BaseException) -> bool:
    """An error that escaped from a cache call made outside `cache_or_fallback` (a DRF throttle,
    say). Only Redis's errors count: outside a cache call an OSError can mean anything."""
    return isinstance(exc, redis.RedisError)
