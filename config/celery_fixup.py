"""Celery's Django fix-up, keeping each worker process's database connections across tasks.

Celery's own fix-up (celery.fixups.django) closes every connection before and after each task,
and in a prefork worker closes the connection pool as well, so each task of the `default,sends`
worker opened a new pool and a new PostgreSQL backend (issue 29: 1,556 backends in 5 s of a
webhook run). Around a task this one does what Django does around a request instead:
`close_old_connections()`, which hands a connection back to the process's pool (CONN_MAX_AGE is 0
with the pool) or drops one left unusable or outside autocommit. The pool then checks a connection
before handing it out (core.postgresql), so one the server ended meanwhile is replaced, and
psycopg's pool rolls back a transaction a task left open. A prefork child still closes the pool it
inherited from the parent once, at its start (the pool's threads do not survive a fork)."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.fixups.django import DjangoFixup, DjangoWorkerFixup


class ConnectionKeepingWorkerFixup(DjangoWorkerFixup):
    def close_database(self, **kwargs: Any) -> None:
        from django.db import close_old_connections

        close_old_connections()


class ConnectionKeepingFixup(DjangoFixup):
    @property
    def worker_fixup(self) -> DjangoWorkerFixup:
        if self._worker_fixup is None:  # built on first use: it reads the app's configuration
            self._worker_fixup = ConnectionKeepingWorkerFixup(self.app)
        return self._worker_fixup

    @worker_fixup.setter
    def worker_fixup(self, value: DjangoWorkerFixup) -> None:
        self._worker_fixup = value


def fixup(app: Celery, env: str = "DJANGO_SETTINGS_MODULE") -> DjangoFixup | None:
    """As `celery.fixups.django.fixup`: only when a Django settings module is set."""
    if os.environ.get(env) and "django" not in app.loader_cls.lower():
        return ConnectionKeepingFixup(app).install()
    return None
