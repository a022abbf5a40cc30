"""Login and sign-up limits (issue 22): fixed-window counters in the
shared cache, so every web process sees the same counts.

Login failures count three ways over LOGIN_FAILURE_WINDOW_S. The lockout is per (username, client
address): a stranger's wrong passwords elsewhere never lock a user out. A much higher per-username
ceiling stops guessing spread over many addresses, and a per-address ceiling stops one address
trying many usernames (a wrong `X-API-Key` counts there too). Sign-ups count per address over
REGISTRATION_WINDOW_S.

While the shared cache is unreachable, the same limits hold per process: the counts go to each
counter's `fallback` instead (core.cache.cache_or_fallback). Counts taken there keep applying for
their window after the cache is back."""

import hashlib
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache

from core.cache import cache_or_fallback

LOGIN_THROTTLED = "Too many failed login attempts. Try again later."
FALLBACK = "login failures are counted per process until it is back"
FALLBACK_MAX_KEYS = 20_000  # three keys per failed attempt at most; a few MB


Limits = list[tuple[str, int]]  # (cache key, how many in a window)


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]  # no usernames or IPs in cache keys
    return f"login-fail:{kind}:{digest}"


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


class WindowCounter:
    """Counts per key over a fixed window of `window_setting` seconds, in the shared cache or, while
    it is down, in this process (`fallback`, whose windows all have the same length)."""

    def __init__(self, *, window_setting: str, fallback_name: str) -> None:
        self._window_setting = window_setting
        self._fallback_name = fallback_name
        self.fallback = LocalCounts(max_keys=FALLBACK_MAX_KEYS)

    @property
    def window(self) -> float:
        return getattr(settings, self._window_setting)

    def _wait(self, count: int, started: float, *, limit: int, now: float) -> int | None:
        if count < limit:
            return None
        return max(1, int(started + self.window - now))

    def _shared_waits(self, limits: Limits, now: float) -> list[int]:
        values = cache.get_many([name for key, _limit in limits for name in (key, f"{key}:start")])  # one trip
        waits = []
        for key, limit in limits:
            wait = self._wait(values.get(key, 0), values.get(f"{key}:start", now), limit=limit, now=now)
            if wait is not None:
                waits.append(wait)
        return waits

    def _fallback_waits(self, limits: Limits, now: float) -> list[int]:
        waits = []
        for key, limit in limits:
            entry = self.fallback.get(key, window=self.window, now=now)
            wait = None if entry is None else self._wait(*entry, limit=limit, now=now)
            if wait is not None:
                waits.append(wait)
        return waits

    def retry_after(self, limits: Limits) -> int | None:
        """Seconds until every count of `limits` is below its limit again, or None when it is now."""
        now = time.time()
        shared: list[int] = cache_or_fallback(
            lambda: self._shared_waits(limits, now), lambda: [], fallback_name=self._fallback_name
        )
        waits = shared + self._fallback_waits(limits, now)
        return max(waits) if waits else None

    def _shared_record(self, keys: list[str]) -> None:
        window = self.window
        for key in keys:
            cache.add(f"{key}:start", time.time(), window)
            cache.add(key, 0, window)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, window)

    def _fallback_record(self, keys: list[str]) -> None:
        for key in keys:
            self.fallback.incr(key, window=self.window, now=time.time())

    def record(self, limits: Limits) -> None:
        keys = [key for key, _limit in limits]
        cache_or_fallback(
            lambda: self._shared_record(keys), lambda: self._fallback_record(keys), fallback_name=self._fallback_name
        )

    def reset(self, key: str) -> None:
        self.fallback.delete(key)
        cache_or_fallback(
            lambda: cache.delete_many([key, f"{key}:start"]), lambda: None, fallback_name=self._fallback_name
        )


login_failures = WindowCounter(window_setting="LOGIN_FAILURE_WINDOW_S", fallback_name=FALLBACK)
registrations = WindowCounter(
    window_setting="REGISTRATION_WINDOW_S", fallback_name="sign-ups are counted per process until it is back"
)
fallback_counts = login_failures.fallback  # what conftest clears between tests, with the one below
registration_fallback_counts = registrations.fallback


def _pair_key(username: str, ip: str) -> str:
    return _key("pair", f"{username.strip().lower()}\n{ip}")


def _login_limits(*, username: str | None, ip: str) -> Limits:
    """The per-address ceiling; with a username also its lockout at this address and its ceiling."""
    limits = [(_key("ip", ip), settings.LOGIN_FAILURES_PER_IP)]
    if username is not None:
        limits += [
            (_pair_key(username, ip), settings.LOGIN_FAILURES_PER_USERNAME_AND_IP),
            (_key("user", username.strip().lower()), settings.LOGIN_FAILURES_PER_USERNAME),
        ]
    return limits


def login_retry_after(*, username: str | None, ip: str) -> int | None:
    """Seconds until another attempt is allowed, or None when the caller may try now. Without a
    username (an `X-API-Key`), only the address's ceiling applies."""
    return login_failures.retry_after(_login_limits(username=username, ip=ip))


def login_failure_record(*, username: str | None, ip: str) -> None:
    login_failures.record(_login_limits(username=username, ip=ip))


def login_success_record(*, username: str, ip: str) -> None:
    # Only the lockout at this address is lifted: the per-address count must not hide password
    # spraying, nor the per-username one guessing spread over other addresses.
    login_failures.reset(_pair_key(username, ip))


def _registration_limits(ip: str) -> Limits:
    return [(_key("signup", ip), settings.REGISTRATIONS_PER_IP)]


def registration_retry_after(*, ip: str) -> int | None:
    return registrations.retry_after(_registration_limits(ip))


def registration_record(*, ip: str) -> None:
    registrations.record(_registration_limits(ip))
