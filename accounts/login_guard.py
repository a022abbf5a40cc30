"""Login throttle (CONTRACT §8.7, §9.2 point 3): failures counted in the shared cache per username
and per client IP over a fixed window, so every web process sees the same counts.

While the shared cache is unreachable, the same limits hold per process: failures are counted in
`fallback_counts` instead (core.cache.cache_or_fallback). Counts taken there keep applying for
their window after the cache is back."""

import hashlib
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache

from core.cache import cache_or_fallback

FALLBACK = "login failures are counted per process until it is back"
FALLBACK_MAX_KEYS = 20_000  # two keys per failed attempt at most; a few MB


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]  # no usernames or IPs in cache keys
    return f"login-fail:{kind}:{digest}"


def _limits(*, username: str, ip: str) -> list[tuple[str, int]]:
    return [
        (_key("user", username.strip().lower()), settings.LOGIN_FAILURES_PER_USERNAME),
        (_key("ip", ip), settings.LOGIN_FAILURES_PER_IP),
    ]


class LocalCounts:
    """Fixed-window counters in this process: thread-safe, at most `max_keys` keys. Windows all have
    the same length and keys are kept in the order their windows started, so the expired ones are
    at the front; when full of live windows, the oldest goes first."""

    def __init__(self, *, max_keys: int) -> None:
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._counts: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key -> (count, started)

    def get(self, key: str, *, window: float, now: float) -> tuple[int, float] | None:
        with self._lock:
            entry = self._counts.get(key)
        if entry is None or entry[1] + window <= now:
            return None
        return entry

    def incr(self, key: str, *, window: float, now: float) -> None:
        with self._lock:
            entry = self._counts.get(key)
            if entry is not None and entry[1] + window > now:
                self._counts[key] = (entry[0] + 1, entry[1])
                return
            self._counts.pop(key, None)
            while self._counts:
                _, (_, started) = next(iter(self._counts.items()))
                if started + window > now and len(self._counts) < self._max_keys:
                    break
                self._counts.popitem(last=False)
            self._counts[key] = (1, now)

    def delete(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()

    def __len__(self) -> int:
        return len(self._counts)


fallback_counts = LocalCounts(max_keys=FALLBACK_MAX_KEYS)


def _wait(count: int, started: float, *, limit: int, now: float) -> int | None:
    if count < limit:
        return None
    return max(1, int(started + settings.LOGIN_FAILURE_WINDOW_S - now))


def _shared_waits(limits: list[tuple[str, int]], now: float) -> list[int]:
    waits = []
    for key, limit in limits:
        values = cache.get_many([key, f"{key}:start"])
        wait = _wait(values.get(key, 0), values.get(f"{key}:start", now), limit=limit, now=now)
        if wait is not None:
            waits.append(wait)
    return waits


def _fallback_waits(limits: list[tuple[str, int]], now: float) -> list[int]:
    waits = []
    for key, limit in limits:
        entry = fallback_counts.get(key, window=settings.LOGIN_FAILURE_WINDOW_S, now=now)
        wait = None if entry is None else _wait(*entry, limit=limit, now=now)
        if wait is not None:
            waits.append(wait)
    return waits


def login_retry_after(*, username: str, ip: str) -> int | None:
    """Seconds until another attempt is allowed, or None when the caller may try now."""
    now = time.time()
    limits = _limits(username=username, ip=ip)
    shared: list[int] = cache_or_fallback(lambda: _shared_waits(limits, now), lambda: [], fallback_name=FALLBACK)
    waits = shared + _fallback_waits(limits, now)
    return max(waits) if waits else None


def _shared_record(limits: list[tuple[str, int]]) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_S
    for key, _limit in limits:
        cache.add(f"{key}:start", time.time(), window)
        cache.add(key, 0, window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)


def _fallback_record(limits: list[tuple[str, int]]) -> None:
    for key, _limit in limits:
        fallback_counts.incr(key, window=settings.LOGIN_FAILURE_WINDOW_S, now=time.time())


def login_failure_record(*, username: str, ip: str) -> None:
    limits = _limits(username=username, ip=ip)
    cache_or_fallback(lambda: _shared_record(limits), lambda: _fallback_record(limits), fallback_name=FALLBACK)


def login_success_record(*, username: str) -> None:
    # The per-IP count is kept on purpose: a success must not hide password spraying.
    key = _key("user", username.strip().lower())
    fallback_counts.delete(key)
    cache_or_fallback(lambda: cache.delete_many([key, f"{key}:start"]), lambda: None, fallback_name=FALLBACK)
