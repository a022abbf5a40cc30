"""A message read by its id with what a turn needs of it, in one SELECT compiled once per process
(core.statements): the inbox's answer and the AI turn read every message they handle this way, and
building the query cost more than running it."""

from __future__ import annotations

from django.db import router

from core.db import related_from_row
from core.statements import Compiled
from messaging.models import Message

WITH_OWNER = ("conversation", "user")  # the conversation, and the user who owns it (a web thread)


def _message_sql(using: str, related: tuple[str, ...], *, pk: int):
    rows = Message.objects.using(using).select_related("__".join(related)).filter(pk=pk).order_by()
    return rows.query.get_compiler(using).as_sql()


_MESSAGE = Compiled(_message_sql, pk=Message._meta.get_field("id"))


def message_with(message_id: int, *, related: tuple[str, ...] = ("conversation",)) -> Message | None:
    """The message with its `related` chain of forward relations (as `select_related("a__b")`
    caches them), or None when it is gone."""
    using = router.db_for_read(Message)
    row = _MESSAGE.row(using=using, shape=related, pk=message_id)
    return None if row is None else related_from_row(Message, row, related=related, using=using)
