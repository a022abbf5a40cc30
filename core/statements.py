"""Queries the ORM compiles once per process: for the hot paths (the inbound webhook), where
compiling a query cost more CPU than running it (docs/PERFORMANCE.md, "The acknowledgement, third
pass"). The ORM still writes every statement and prepares every value; only its work that does not
depend on the values is done once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections, models

from core.db import rows_updated

_TEXT = {"CharField", "TextField", "SlugField", "EmailField"}
_INTEGER = {"AutoField", "BigAutoField", "IntegerField", "BigIntegerField", "PositiveIntegerField", "SmallIntegerField"}


def _stand_in(field: models.Field, index: int) -> object:
    """A value of `field`'s type that no real call passes and no other stand-in equals."""
    kind = (getattr(field, "target_field", field) if field.is_relation else field).get_internal_type()
    if kind in _TEXT:
        return f"\x1fstand-in {index}\x1f"
    if kind == "DateTimeField":
        return datetime(1901, 2, 3, tzinfo=UTC) + timedelta(seconds=index + 1)
    if kind in _INTEGER:
        return -1000 - index  # no key is negative; small enough for any integer column's range check
    raise TypeError(f"Compiled has no stand-in for a {kind}")


class Compiled:
    """A query whose SQL the ORM writes once per database and shape, run again with other values.

    `build(using, shape, **values)` returns the ORM's `(sql, params)` on database `using` for a
    query of the named `fields`' values; it is called once per database and shape with stand-in
    values, and each call then puts its own values, prepared by the same field method the ORM uses
    (`get_db_prep_value`), where the stand-ins were. Anything that changes the SQL itself goes in
    `shape` (a slice's LIMIT; which optional values are given is part of it too); a None would
    (`IS NULL`), so it is refused."""

    def __init__(self, build: Callable[..., tuple[str, Sequence]], **fields: Any) -> None:  # model fields
        self._build = build
        self._fields = fields
        self._statements: dict[tuple, tuple[str, list[tuple[str | None, Any]]]] = {}
        self._lock = threading.Lock()

    def _compile(self, using: str, shape: Hashable, names: list[str]) -> tuple[str, list[tuple[str | None, Any]]]:
        connection = connections[using]
        stand_ins = {name: _stand_in(self._fields[name], index) for index, name in enumerate(names)}
        sql, params = self._build(using, shape, **stand_ins)
        prepared = {name: self._fields[name].get_db_prep_value(value, connection) for name, value in stand_ins.items()}
        slots: list[tuple[str | None, Any]] = []
        for param in params:
            matches = [name for name, value in prepared.items() if type(value) is type(param) and value == param]
            if len(matches) > 1:
                raise TypeError(f"Compiled: parameter {param!r} is more than one value")
            slots.append((matches[0], None) if matches else (None, param))
        unused = set(names) - {name for name, _ in slots}
        if unused:  # the query does not use it, or prepares it in a way of its own: not safe to bind
            raise TypeError(f"Compiled: no parameter holds {', '.join(sorted(unused))}")
        return sql, slots

    def sql(self, *, using: str, shape: Hashable = (), **values: Any) -> tuple[str, list]:
        """The statement and its parameters for `values` (the names of `fields` this shape uses)."""
        if any(value is None for value in values.values()):
            raise ValueError("Compiled takes no None: it would change the SQL")
        connection = connections[using]
        key = (using, connection.vendor, shape, tuple(values))
        statement = self._statements.get(key)
        if statement is None:
            with self._lock:
                statement = self._statements.get(key) or self._compile(using, shape, list(values))
                self._statements[key] = statement
        sql, slots = statement
        prepared = {name: self._fields[name].get_db_prep_value(value, connection) for name, value in values.items()}
        return sql, [constant if name is None else prepared[name] for name, constant in slots]

    def row(self, *, using: str, shape: Hashable = (), **values: Any) -> tuple | None:
        """Run the statement (a SELECT, or a statement with RETURNING) for `values`: its first row
        as the database returns it, or None."""
        sql, params = self.sql(using=using, shape=shape, **values)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()

    def execute(self, *, using: str, shape: Hashable = (), **values: Any) -> int:
        """Run the statement (an UPDATE) for `values` as update() runs one: the number of rows it
        matched, the transaction marked for rollback when it fails."""
        return rows_updated(*self.sql(using=using, shape=shape, **values), using=using)
