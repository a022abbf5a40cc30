"""The AI context of a conversation, derived from the Message table, and what the
user sees of it."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.models import Q, QuerySet

from core.statements import Compiled
from messaging.context import NOT_MODEL_CONTEXT
from messaging.enums import ConversationKind, Direction, ReplyState
from messaging.models import Conversation, Message
from messaging.selectors.keys import ai_conversation_key

_HISTORY_COLUMNS = ("sender_id", "recipient_id", "direction", "content")


def _history_sql(
    using: str,
    shape: tuple[bool, int],
    *,
    conversation_id: int,
    reset_at: datetime | None = None,
    before_at: datetime | None = None,
    before_id: int | None = None,
):
    phone, limit = shape
    rows = _history_rows(Message.objects.using(using).filter(conversation_id=conversation_id), reset_at=reset_at)
    rows = rows.exclude(NOT_MODEL_CONTEXT)
    if phone:
        # A contact's thread is what went over the channel; nothing a user wrote in the panel or API
        # (before the key space was reserved, messaging.keys) is the contact's turn.
        rows = rows.filter(direction__in=[Direction.INBOUND, Direction.OUTBOUND])
    if before_id is not None:
        rows = rows.filter(
            Q(created_at__lt=before_at) | Q(created_at=before_at, id__lt=before_id) | Q(in_reply_to_id__lt=before_id)
        )
    return rows.values(*_HISTORY_COLUMNS)[:limit].query.get_compiler(using).as_sql()


_HISTORY = Compiled(
    _history_sql,
    conversation_id=Message._meta.get_field("conversation"),
    reset_at=Message._meta.get_field("created_at"),
    before_at=Message._meta.get_field("created_at"),
    before_id=Message._meta.get_field("id"),
)


def ai_history(*, conversation: Conversation, before: Message | None = None, limit: int | None = None) -> list[dict]:
    """The model's context: the newest `limit` (CHAT_HISTORY_MAX) turns after the last clear,
    oldest first, as `{"role", "content"}`. With `before` (the message being answered): turns
    earlier than it, plus the replies to earlier messages even when they were stored after it (a
    message that arrived while the previous one was answered sees that exchange); never the
    message itself, and never the user's later messages, nor what the server answered in the
    model's place (messaging.context): "I apologize, ..." is not context worth sending back.

    `user` turns are messages to the bot, the conversation owner's, and the external party's inbound
    messages; the bot's replies and staff replies in human mode are `assistant` turns. A chat under a
    custom id has no `user` owner, so the bot's address decides there.

    One SELECT compiled once per shape (core.statements): building it cost more than running it."""
    values: dict[str, object] = {"conversation_id": conversation.pk}
    if conversation.context_reset_at is not None:
        values["reset_at"] = conversation.context_reset_at
    if before is not None:
        values.update(before_at=before.created_at, before_id=before.pk)
    shape = (conversation.kind == ConversationKind.PHONE, limit or settings.CHAT_HISTORY_MAX)
    using = router.db_for_read(Message)
    sql, params = _HISTORY.sql(using=using, shape=shape, **values)
    with connections[using].cursor() as cursor:  # integers and text: no converter changes them
        cursor.execute(sql, params)
        turns = [dict(zip(_HISTORY_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    return [{"role": _history_role(conversation, row), "content": row["content"]} for row in reversed(turns)]


def ai_history_for_display(*, conversation: Conversation) -> list[dict]:
    """What the user sees of the same turns: failed ones too, their fallback reply marked
    `failed`, so a client that polls the history learns that no answer is coming."""
    rows = Message.objects.filter(conversation=conversation)
    turns = _history_rows(rows, reset_at=conversation.context_reset_at).values(
        "sender_id", "recipient_id", "direction", "content", "in_reply_to__reply_state"
    )[: settings.CHAT_HISTORY_MAX]
    return [
        {
            "role": _history_role(conversation, row),
            "content": row["content"],
            "failed": row["in_reply_to__reply_state"] == ReplyState.FAILED,
        }
        for row in reversed(list(turns))
    ]


def _history_rows(rows: QuerySet[Message], *, reset_at: datetime | None) -> QuerySet[Message]:
    """A conversation's turns (`rows`, its messages) since the last clear (`reset_at`), newest first."""
    rows = rows.exclude(content="")
    if reset_at is not None:
        rows = rows.filter(created_at__gt=reset_at)
    return rows.order_by("-created_at", "-id")


def _history_role(conversation: Conversation, row: Mapping[str, Any]) -> str:
    if row["direction"] == Direction.INBOUND:
        return "user"
    if row["direction"] == Direction.OUTBOUND:
        return "assistant"
    bot = settings.AI_BOT_USER_ID
    if row["sender_id"] == bot:
        return "assistant"
    if row["recipient_id"] == bot:
        return "user"
    owner = conversation.user_id or conversation.user_a_id
    return "user" if row["sender_id"] == owner else "assistant"


def ai_conversation_get(*, user_id: int) -> Conversation | None:
    return Conversation.objects.filter(key=ai_conversation_key(user_id=user_id)).first()


def ai_history_for_user(*, user_id: int) -> list[dict]:
    conversation = ai_conversation_get(user_id=user_id)
    return [] if conversation is None else ai_history_for_display(conversation=conversation)
