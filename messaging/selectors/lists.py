"""The public API's lists: message windows and the conversation list."""

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Left

from accounts.models import User
from core.lists import Window
from messaging import access
from messaging.enums import ReplyState
from messaging.models import Conversation, Message


def chronological(queryset: QuerySet[Message], window: Window, columns: Sequence[str] | None = None) -> list[Any]:
    """List order: the newest `limit` rows after `skip`, returned oldest first. With
    `columns`, each row is a tuple of those values instead of a Message: for output that needs no
    model (the API's lists, where building the instances cost more than the query)."""
    ordered = queryset.order_by("-created_at", "-id")
    rows = ordered.values_list(*columns) if columns else ordered.select_related("conversation")
    return list(reversed(list(window.apply(rows))))


@functools.cache
def _newest_visible_ids_sql(vendor: str, alias: str) -> str:
    table = connections[alias].ops.quote_name(Message._meta.db_table)
    newest = "ORDER BY created_at DESC, id DESC LIMIT %s"
    return (
        f"(SELECT id FROM {table} WHERE sender_id = %s {newest}) UNION ALL "  # noqa: S608
        f"(SELECT id FROM {table} WHERE recipient_id = %s AND sender_id IS DISTINCT FROM %s {newest})"
    )


def _newest_visible(*, user_id: int, window: Window) -> QuerySet[Message]:
    """The user's messages, narrowed to what can be in `window`, read without the rest of their
    history. "Sent or received" as one condition makes PostgreSQL collect and sort every message the
    user ever had before taking 50; the newest `skip + limit` sent and the newest `skip + limit`
    received (notes to oneself counted once) are each one backward scan of an index, and the window's
    rows are among them. The rule is `access.participant_q`'s (sent or received; the tests compare
    the two): repeating it on the outer query would lead PostgreSQL back to the whole history.
    Written as SQL: the ORM's union of two sliced querysets cost the web process
    more to build than the whole list query."""
    if connection.vendor != "postgresql":  # SQLite: no LIMIT inside a compound; the one condition
        return access.messages_visible_to(user_id=user_id)
    newest = window.skip + window.limit  # the SQL is constant; every value is a parameter
    sql = _newest_visible_ids_sql(connection.vendor, connection.alias)
    ids = RawSQL(sql, (user_id, newest, user_id, user_id, newest))  # noqa: S611
    return Message.objects.filter(pk__in=ids)


def message_list(
    *, user_id: int, window: Window, unread_only: bool = False, columns: Sequence[str] | None = None
) -> list[Any]:
    if unread_only:  # unread means unread *received*: your own sent messages are never "unread" to you
        rows = Message.objects.filter(recipient_id=user_id, is_read=False)
    else:
        rows = _newest_visible(user_id=user_id, window=window)
    return chronological(rows, window, columns)


def message_list_sent(*, user_id: int, window: Window, columns: Sequence[str] | None = None) -> list[Any]:
    return chronological(Message.objects.filter(sender_id=user_id), window, columns)


def message_list_received(
    *, user_id: int, window: Window, unread_only: bool = False, columns: Sequence[str] | None = None
) -> list[Any]:
    rows = Message.objects.filter(recipient_id=user_id)
    if unread_only:
        rows = rows.filter(is_read=False)
    return chronological(rows, window, columns)


def message_unread_count(*, user_id: int) -> int:
    return Message.objects.filter(recipient_id=user_id, is_read=False).count()


def conversation_messages(
    *, user_id: int, conversation_key: str, window: Window, columns: Sequence[str] | None = None
) -> list[Any]:
    """Only the caller's own messages in the thread; an unknown key is simply empty."""
    rows = access.messages_visible_to(user_id=user_id).filter(conversation__key=conversation_key)
    return chronological(rows, window, columns)


@dataclass(frozen=True)
class ConversationSummary:
    conversation_id: str
    other_user_id: int | None
    other_user_name: str
    last_message: str
    last_message_at: datetime
    last_message_failed: bool
    unread_count: int
    mode: str


def conversation_list(*, user_id: int, window: Window) -> list[ConversationSummary]:
    """A24: one row per conversation the caller wrote or received a message in, newest first, in
    three queries whatever the number of conversations (conversations, last messages, users)."""
    mine = access.messages_visible_to(user_id=user_id)
    last = mine.filter(conversation=OuterRef("pk")).order_by("-created_at", "-id")
    unread = (
        Message.objects.filter(conversation=OuterRef("pk"), recipient_id=user_id, is_read=False)
        .order_by()
        .values("conversation")
        .annotate(n=Count("id"))
        .values("n")
    )
    conversations = window.apply(
        Conversation.objects.filter(pk__in=mine.filter(conversation__isnull=False).values("conversation_id"))
        .annotate(
            last_id=Subquery(last.values("id")[:1]),
            last_at=Subquery(last.values("created_at")[:1]),
            unread=Coalesce(Subquery(unread), 0),
        )
        .order_by("-last_at", "-id")
        .only("id", "key", "mode", "participant_number")
    )
    conversations = list(conversations)
    last_messages = {
        row["id"]: row
        for row in Message.objects.filter(pk__in=[c.last_id for c in conversations])
        .annotate(preview=Left("content", 100))
        .order_by()
        .values("id", "sender_id", "recipient_id", "preview", "in_reply_to__reply_state")
    }

    def counterpart(message: dict) -> int | None:
        return message["recipient_id"] if message["sender_id"] == user_id else message["sender_id"]

    other_ids = [other for m in last_messages.values() if (other := counterpart(m)) is not None]
    names = dict(User.objects.filter(pk__in=other_ids).order_by().values_list("id", "username")) if other_ids else {}
    bot = settings.AI_BOT_USER_ID
    rows = []
    for conversation in conversations:
        message = last_messages.get(conversation.last_id)
        if message is None:  # deleted between the two queries
            continue
        other = counterpart(message)
        if other == bot:
            name = settings.AI_BOT_DISPLAY_NAME
        elif other is None:
            name = conversation.participant_number or "Unknown"
        else:
            name = names.get(other, "Unknown")
        rows.append(
            ConversationSummary(
                conversation_id=conversation.key,
                other_user_id=other,
                other_user_name=name,
                last_message=message["preview"],
                last_message_at=conversation.last_at,
                last_message_failed=message["in_reply_to__reply_state"] == ReplyState.FAILED,
                unread_count=conversation.unread,
                mode=conversation.mode,
            )
        )
    return rows
