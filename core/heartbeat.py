"""Claims kept alive while a process works on them (an AI turn's conversation lease, a Twilio send's
delivery): the claim is short, so one left by a process that died lapses soon and a sweeper hands
the work to another; a heartbeat renews it while the work runs, so live work is never taken away."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


class Heartbeat:
    """Every `interval()` seconds, one `renew(keys)` for all the keys this process holds. One daemon
    thread per heartbeat and process, alive only while something is held. A missed beat (the
    database unreachable) is logged and the next one tries again: a claim outlives a few beats."""

    thread_name = "heartbeat"
    what = "claim(s)"
    log = logger

    def __init__(self) -> None:
        self._keys: set[Hashable] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def interval(self) -> float:
        raise NotImplementedError

    def renew(self, keys: list) -> int:
        """Renew the claims of `keys` in one statement; how many were renewed."""
        raise NotImplementedError

    @contextmanager
    def holding(self, key: Hashable) -> Iterator[None]:
        with self._lock:
            self._keys.add(key)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._keys.discard(key)

    def _run(self) -> None:
        while True:
            time.sleep(self.interval())
            with self._lock:
                keys = list(self._keys)
                if not keys:
                    self._thread = None
                    return
            self.beat(keys)

    def beat(self, keys: list) -> int:
        try:
            return self.renew(keys)
        except DatabaseError as exc:
            self.log.warning("%s could not renew %s %s: %s", self.thread_name, len(keys), self.what, type(exc).__name__)
            return 0
        finally:
            connection.close()  # hand the connection back (pool) between beats
