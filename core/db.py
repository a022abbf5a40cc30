import functools
import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection, models
from django.db.models import signals

T = TypeVar("T")


def release_db_connection() -> None:
    """Hand this thread's database connection back before a long network wait (an LLM call).

    The AI worker keeps many turns in flight on threads; without this each would hold a connection
    for the whole call and exhaust the server's limit. With the PostgreSQL pool, `close()` returns the
    connection to the pool. Inside a transaction it does nothing: no network call runs inside one
    (CONTRACT §9.1 point 3), and tests wrap each test in one."""
    if not connection.in_atomic_block:
        connection.close()


def connection_lost(exc: BaseException) -> bool:
    """Whether a database error says the connection itself died (the server restarted or failed
    over, `pg_terminate_backend`, the network): psycopg's client-side errors (no SQLSTATE: "server
    closed the connection unexpectedly", "the connection is closed") and the server's connection
    exceptions (08...) and shutdowns (57P01-57P03). Not a deadlock, a serialization failure or a
    lock or statement timeout, nor the pool timing out (no connection to be had: a second try would
    only double the wait), nor anything from SQLite."""
    cause = exc.__cause__
    if cause is None or type(cause).__name__ == "PoolTimeout":
        return False
    sqlstate = getattr(cause, "sqlstate", "")  # psycopg errors have it (None when client-side)
    return sqlstate is None or sqlstate.startswith(("08", "57P01", "57P02", "57P03"))


def once_more_on_new_connection(call: Callable[[], T], *, logger_name: str = __name__) -> T:
    """Run `call`, and once more on a new connection when the one it ran on died under it: its
    transaction died with the connection, so nothing of the first try is left. Only outside a
    transaction, and only for work that a second run cannot double (the caller's to ensure)."""
    try:
        return call()
    except (OperationalError, InterfaceError) as exc:
        if connection.in_atomic_block or not connection_lost(exc):
            raise
        logging.getLogger(logger_name).warning(
            "Database connection lost (%s); trying once more on a new connection", type(exc.__cause__).__name__
        )
        connection.close()
        return call()


def insert_fields(model: type[models.Model]) -> list[models.Field]:
    """The columns a new row of `model` is inserted with: every local concrete field but its auto key."""
    meta = model._meta
    return [field for field in meta.local_concrete_fields if field is not meta.auto_field]


def insert_parameters(instance: models.Model, fields: list[models.Field]) -> list:
    """The values `save()` would insert for these fields of a new instance: defaults, `auto_now`,
    each field's adaptation for this connection."""
    return [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]


def save_signals_listen(model: type[models.Model]) -> bool:
    return signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model)


def saved(instance: models.Model) -> None:
    """Mark an instance written by a prepared INSERT as stored, as `save()` does."""
    instance._state.adding = False
    instance._state.db = connection.alias


@functools.cache
def _insert_statement(model: type[models.Model], vendor: str) -> tuple[str, list[models.Field]]:
    """The INSERT ... RETURNING of `row_insert` for one model, and the fields of its parameters.
    Built once per model: compiling the ORM's INSERT costs more CPU than running it."""
    meta = model._meta
    quote = connection.ops.quote_name
    fields = insert_fields(model)
    columns = ", ".join(quote(field.column) for field in fields)
    # Identifiers from the model's metadata, quoted; the values are parameters.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(meta.pk.column)}"
    )
    return sql, fields


def row_insert(instance: models.Model) -> None:
    """`instance.save()` for a new row of a model with an auto primary key, in one prepared
    statement: the same field preparation (defaults, `auto_now`, adaptation), the same pre_save
    and post_save signals when anything listens, the key read back. For the hot write paths
    (docs/PERFORMANCE.md); validation stays the caller's (`full_clean`), as with `save()`."""
    model = type(instance)
    if signals.pre_save.has_listeners(model):
        signals.pre_save.send(sender=model, instance=instance, raw=False, using=connection.alias, update_fields=None)
    sql, fields = _insert_statement(model, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, insert_parameters(instance, fields))
        (instance.pk,) = cursor.fetchone()
    saved(instance)
    if signals.post_save.has_listeners(model):
        signals.post_save.send(
            sender=model, instance=instance, created=True, update_fields=None, raw=False, using=connection.alias
        )
