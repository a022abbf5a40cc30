"""Login throttle (CONTRACT §8.7, §9.2 point 3): failures counted in the shared cache per username
and per client IP over a fixed window, so every web process sees the same counts."""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]  # no usernames or IPs in cache keys
    return f"login-fail:{kind}:{digest}"


def _limits(*, username: str, ip: str) -> list[tuple[str, int]]:
    return [
        (_key("user", username.strip().lower()), settings.LOGIN_FAILURES_PER_USERNAME),
        (_key("ip", ip), settings.LOGIN_FAILURES_PER_IP),
    ]


def login_retry_after(*, username: str, ip: str) -> int | None:
    """Seconds until another attempt is allowed, or None when the caller may try now."""
    now = time.time()
    waits = []
    for key, limit in _limits(username=username, ip=ip):
        values = cache.get_many([key, f"{key}:start"])
        if values.get(key, 0) >= limit:
            started = values.get(f"{key}:start", now)
            waits.append(max(1, int(started + settings.LOGIN_FAILURE_WINDOW_S - now)))
    return max(waits) if waits else None


def login_failure_record(*, username: str, ip: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_S
    for key, _limit in _limits(username=username, ip=ip):
        cache.add(f"{key}:start", time.time(), window)
        cache.add(key, 0, window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)


def login_success_record(*, username: str) -> None:
    # The per-IP count is kept on purpose: a success must not hide password spraying.
    key = _key("user", username.strip().lower())
    cache.delete_many([key, f"{key}:start"])
