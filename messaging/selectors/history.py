"""The AI context of a conversation, derived from the Message table, and what the
user sees of it."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from messaging.context import NOT_MODEL_CONTEXT
from messaging.enums import ConversationKind, Direction, ReplyState
from messaging.models import Conversation, Message
from messaging.selectors.keys import ai_conversation_key


def ai_history(*, conversation: Conversation, before: Message | None = None, limit: int | None = None) -> list[dict]:
    """The model's context: the newest `limit` (CHAT_HISTORY_MAX) turns after the last clear,
    oldest first, as `{"role", "content"}`. With `before` (the message being answered): turns
    earlier than it, plus the replies to earlier messages even when they were stored after it (a
    message that arrived while the previous one was answered sees that exchange); never the
    message itself, and never the user's later messages, nor what the server answered in the
    model's place (messaging.context): "I apologize, ..." is not context worth sending back.

    `user` turns are messages to the bot, the conversation owner's, and the external party's inbound
    messages; the bot's replies and staff replies in human mode are `assistant` turns. A chat under a
    custom id has no `user` owner, so the bot's address decides there."""
    rows = _history_rows(conversation).exclude(NOT_MODEL_CONTEXT)
    if conversation.kind == ConversationKind.PHONE:
        # A contact's thread is what went over the channel; nothing a user wrote in the panel or API
        # (before the key space was reserved, messaging.keys) is the contact's turn.
        rows = rows.filter(direction__in=[Direction.INBOUND, Direction.OUTBOUND])
    if before is not None:
        rows = rows.filter(
            Q(created_at__lt=before.created_at)
            | Q(created_at=before.created_at, id__lt=before.pk)
            | Q(in_reply_to_id__lt=before.pk)
        )
    turns = rows.values("sender_id", "recipient_id", "direction", "content")[: limit or settings.CHAT_HISTORY_MAX]
    return [{"role": _history_role(conversation, row), "content": row["content"]} for row in reversed(list(turns))]


def ai_history_for_display(*, conversation: Conversation) -> list[dict]:
    """What the user sees of the same turns: failed ones too, their fallback reply marked
    `failed`, so a client that polls the history learns that no answer is coming."""
    turns = _history_rows(conversation).values(
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


def _history_rows(conversation: Conversation) -> QuerySet[Message]:
    """The conversation's turns since the last clear, newest first."""
    rows = Message.objects.filter(conversation=conversation).exclude(content="")
    if conversation.context_reset_at is not None:
        rows = rows.filter(created_at__gt=conversation.context_reset_at)
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
