"""Reads for messaging. The AI context is derived from the Message table (CONTRACT §4.2)."""

from django.conf import settings

from messaging.enums import Direction
from messaging.models import Conversation, Message


def ai_conversation_key(*, user_id: int) -> str:
    bot = settings.AI_BOT_USER_ID
    return f"conv_{min(bot, user_id)}_{max(bot, user_id)}"


def ai_history(
    *, conversation: Conversation, exclude_message_id: int | None = None, limit: int | None = None
) -> list[dict]:
    """The newest `limit` (CHAT_HISTORY_MAX) turns after the last clear, oldest first, as
    `{"role", "content"}`; the message being answered is excluded so it is never sent twice."""
    limit = limit or settings.CHAT_HISTORY_MAX
    bot = settings.AI_BOT_USER_ID
    rows = Message.objects.filter(conversation=conversation).exclude(content="")
    if exclude_message_id is not None:
        rows = rows.exclude(pk=exclude_message_id)
    if conversation.context_reset_at is not None:
        rows = rows.filter(created_at__gt=conversation.context_reset_at)
    rows = rows.order_by("-created_at", "-id").values("sender_id", "direction", "content")[:limit]
    history = []
    for row in reversed(list(rows)):
        from_assistant = row["sender_id"] == bot or row["direction"] == Direction.OUTBOUND
        history.append({"role": "assistant" if from_assistant else "user", "content": row["content"]})
    return history
