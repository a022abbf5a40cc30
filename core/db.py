import functools
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connection, connections, models, transaction
from django.db.models import F, QuerySet, Value, signals
from django.db.models.functions import Coalesce, Greatest
from django.db.models.sql import UpdateQuery

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)


def release_db_connection() -> None:
    """Hand this thread's database connection back before a long network wait (an LLM call).

    The AI worker keeps many turns in flight on threads; without this each would hold a connection
    for the whole call and exhaust the server's limit. With the PostgreSQL pool, `close()` returns the
    connection to the pool. Inside a transaction it does nothing: no network call runs inside one,
    and tests wrap each test in one."""
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


def later_of(field: str, at: datetime) -> Greatest:
    """An UPDATE value for the time column `field` that never moves it backwards: `at`, unless the
    row already holds a later time (a later message stored first, an older one imported later)."""
    return Greatest(Coalesce(F(field), Value(at)), Value(at))


@functools.cache
def _row_converters(model: type[models.Model], vendor: str, alias: str) -> list[tuple[models.Field, Any, list]]:
    """Per concrete field of `model`, in column order, its column and the converters the ORM
    applies to what the database returns (SQLite keeps booleans, datetimes and decimals as text)."""
    connection = connections[alias]
    table = model._meta.db_table
    selected = []
    for field in model._meta.concrete_fields:
        column = field.get_col(table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)  # type: ignore[attr-defined]  # not in django-stubs
        selected.append((field, column, converters))
    return selected


def model_from_row(model: type[M], row: Sequence, *, using: str) -> M:
    """An instance of `model` from a row of its concrete columns in field order (as `SELECT` of
    every column or `RETURNING` gives them), converted as the ORM converts a query's values."""
    connection = connections[using]
    selected = _row_converters(model, connection.vendor, using)
    values = []
    for value, (_field, column, converters) in zip(row, selected, strict=True):
        for convert in converters:  # as the ORM calls them: with the column read (a decimal's places)
            value = convert(value, column, connection)
        values.append(value)
    return model.from_db(using, [field.attname for field, _, _ in selected], values)


def update_sql(rows: QuerySet, **values: Any) -> tuple[str, Sequence]:
    """The statement `rows.update(**values)` runs and its parameters, for a queryset of the model's
    own rows (no parent's fields, no filter through a join: update() would then select the keys
    first)."""
    model = rows.model
    rows = rows.all()
    rows._for_write = True  # type: ignore[attr-defined]  # as update() does: the database for writes
    query = cast(UpdateQuery, rows.query.chain(UpdateQuery))
    query.add_update_values(values)
    if query.related_updates:  # a parent's field (multi-table inheritance) takes a second UPDATE
        raise TypeError(f"update_sql() sets fields of {model.__name__} only")
    if query.count_active_tables() > 1:  # as update() tells: a join, so it would select the keys first
        raise TypeError("update_sql() takes a filter on the model's own columns only")
    return query.get_compiler(rows.db).as_sql()


def related_from_row(model: type[M], row: Sequence, *, related: Sequence[str], using: str) -> M:
    """An instance of `model` from a row of `select_related("a__b")` (`related` = ("a", "b"), a
    chain of forward relations): its concrete columns in field order, then each related model's;
    each related instance cached on the one before as the ORM's select_related caches it (None when
    its key is NULL: the outer join found no row)."""
    end = len(model._meta.concrete_fields)
    instance = model_from_row(model, row[:end], using=using)
    owner: models.Model = instance
    for name in related:
        field = cast(models.ForeignKey, owner._meta.get_field(name))
        target = cast(type[models.Model], field.related_model)
        start, end = end, end + len(target._meta.concrete_fields)
        columns = row[start:end]
        found = columns[target._meta.concrete_fields.index(target._meta.pk)] is not None
        related_row = model_from_row(target, columns, using=using) if found else None
        field.set_cached_value(owner, related_row)
        if related_row is None:
            break
        owner = related_row
    return instance


def rows_updated(sql: str, params: Sequence, *, using: str) -> int:
    """Run an UPDATE (`update_sql`'s, or one compiled from it) as update() runs it: the number of
    rows it changed, and an error marks a surrounding transaction for rollback."""
    with transaction.mark_for_rollback_on_error(using=using), connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def update_returning_sql(rows: QuerySet, **values: Any) -> tuple[str, Sequence]:
    """The statement of `update_returning(rows, **values)` and its parameters."""
    rows = rows.all()
    rows._for_write = True  # type: ignore[attr-defined]  # as update() does: the database for writes
    sql, params = update_sql(rows, **values)
    connection = connections[rows.db]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in rows.model._meta.concrete_fields)
    return f"{sql} RETURNING {columns}", params


def row_returned(model: type[M], sql: str, params: Sequence, *, using: str) -> M | None:
    """Run a statement that returns at most one row of `model`'s concrete columns in field order
    (`update_returning_sql`'s), and read that row as the ORM reads one; None when there is none."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else model_from_row(model, row, using=using)


def update_returning(rows: QuerySet[M], **values: Any) -> M | None:
    """`rows.update(**values)` for a queryset of at most one row, returning that row as the
    database now holds it (`UPDATE ... RETURNING`, read as the ORM reads a row): one statement
    where update() and a read took two. None when no row matched."""
    rows = rows.all()
    rows._for_write = True  # type: ignore[attr-defined]  # as update() does: the database for writes
    sql, params = update_returning_sql(rows, **values)
    return row_returned(rows.model, sql, params, using=rows.db)


def _insert_fields(model: type[models.Model]) -> list[models.Field]:
    """The columns a new row of `model` is inserted with: every local concrete field but its auto key."""
    meta = model._meta
    return [field for field in meta.local_concrete_fields if field is not meta.auto_field]


@functools.cache
def _insert_statement(model: type[models.Model], vendor: str, alias: str) -> tuple[str, list[models.Field]]:
    """The INSERT ... RETURNING of `row_insert` for one model, and the fields of its parameters.
    Built once per model and database: compiling the ORM's INSERT costs more CPU than running it."""
    meta = model._meta
    quote = connections[alias].ops.quote_name
    fields = _insert_fields(model)
    columns = ", ".join(quote(field.column) for field in fields)
    # Identifiers from the model's metadata, quoted; the values are parameters.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(meta.pk.column)}"
    )
    return sql, fields


def row_insert(instance: models.Model, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """`instance.save()` for a new row of a model with an auto primary key, in one prepared
    statement: the same field preparation (defaults, `auto_now`, adaptation), the same pre_save
    and post_save signals when anything listens, the key read back. For the hot write paths
    (docs/PERFORMANCE.md); validation stays the caller's (`full_clean`), as with `save()`. A model
    with its own `save()` is refused: this would skip it."""
    model = type(instance)
    if model.save is not models.Model.save:
        raise TypeError(f"{model.__name__} overrides save(): row_insert() would skip it")
    connection = connections[using]
    if signals.pre_save.has_listeners(model):
        signals.pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=None)
    sql, fields = _insert_statement(model, connection.vendor, using)
    parameters = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        (instance.pk,) = cursor.fetchone()
    instance._state.adding = False  # stored, as save() marks it
    instance._state.db = using
    if signals.post_save.has_listeners(model):
        signals.post_save.send(
            sender=model, instance=instance, created=True, update_fields=None, raw=False, using=using
        )


@functools.cache
def _insert_after_update_statement(
    model: type[models.Model], link: str, update: str, vendor: str, alias: str
) -> tuple[str, list[models.Field]]:
    """The statement of `insert_after_update` for one model, link and UPDATE; and the fields of the
    INSERT's parameters. Built once per model, UPDATE and database, as `row_insert`'s."""
    meta = model._meta
    quote = connections[alias].ops.quote_name
    fields = _insert_fields(model)
    parent_pk = quote(meta.get_field(link).target_field.column)  # type: ignore[union-attr]  # a foreign key
    values = ", ".join(f"u.{parent_pk}" if field.name == link else "%s" for field in fields)
    pk = quote(meta.pk.column)
    # Identifiers from the model's metadata, quoted; the values are parameters.
    sql = (
        f"WITH u AS ({update}), i AS (INSERT INTO {quote(meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(field.column) for field in fields)}) SELECT {values} FROM u RETURNING {pk}) "
        f"SELECT i.{pk}, u.* FROM u, i"
    )
    return sql, [field for field in fields if field.name != link]


def insert_after_update(
    instance: models.Model, *, link: str, update: str, update_params: Sequence, using: str = DEFAULT_DB_ALIAS
) -> models.Model | None:
    """PostgreSQL only: run `update` (a statement built once: an UPDATE of at most one row of the
    model `instance.<link>` points to, RETURNING all its concrete columns in field order) and
    `row_insert(instance)` with `instance.<link>` set to the updated row, as one statement (a
    data-modifying WITH), so it needs no transaction of its own: one round trip where BEGIN, the
    UPDATE, the INSERT and COMMIT took four. Returns the updated row; None, with nothing written,
    when no row matched. It sends no save signals: a caller steps aside (to `row_insert`) when
    `save_signals_listen`."""
    model = type(instance)
    if model.save is not models.Model.save:
        raise TypeError(f"{model.__name__} overrides save(): insert_after_update() would skip it")
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise TypeError("insert_after_update() needs PostgreSQL (a WITH holding an UPDATE)")
    sql, fields = _insert_after_update_statement(model, link, update, connection.vendor, using)
    insert_params = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*update_params, *insert_params])
        row = cursor.fetchone()
    if row is None:
        return None
    parent = model_from_row(model._meta.get_field(link).related_model, row[1:], using=using)  # type: ignore[arg-type]  # a foreign key's model
    instance.pk = row[0]
    setattr(instance, link, parent)
    instance._state.adding = False  # stored, as save() marks it
    instance._state.db = using
    return parent


def save_signals_listen(model: type[models.Model]) -> bool:
    """Whether anything listens to `model`'s pre_save or post_save."""
    return signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model)
