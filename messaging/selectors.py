"""Reads for messaging. The AI context is derived from the Message table (CONTRACT §4.2)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Left

from accounts.models import User
from core.lists import Window
from messaging import access
from messaging.enums import Channel, Direction, ReplyState
from messaging.models import Conversation, Message


def pair_key(a: int, b: int) -> str:
    """Seed 1's default conversation id for two participants: `conv_{min}_{max}`."""
    return f"conv_{min(a, b)}_{max(a, b)}"


def phone_conversation_key(*, number: str, channel: str) -> str:
    """The thread of an external number: SMS and WhatsApp threads of one number stay apart."""
    return f"{'whatsapp' if channel == Channel.WHATSAPP else 'phone'}:{number}"


def ai_conversation_key(*, user_id: int) -> str:
    return pair_key(settings.AI_BOT_USER_ID, user_id)


def ai_history(*, conversation: Conversation, before: Message | None = None, limit: int | None = None) -> list[dict]:
    """The model's context: the newest `limit` (CHAT_HISTORY_MAX) turns after the last clear,
    oldest first, as `{"role", "content"}`. With `before` (the message being answered): turns
    earlier than it, plus the replies to earlier messages even when they were stored after it (a
    message that arrived while the previous one was answered sees that exchange, §8.2); never the
    message itself, and never the user's later messages, nor the fallback replies of failed turns:
    "I apologize, ..." is not context worth sending back (seed 1 never added it either).

    `user` turns are messages to the bot, the conversation owner's, and the external party's inbound
    messages; the bot's replies and staff replies in human mode are `assistant` turns. A chat under a
    custom id has no `user` owner, so the bot's address decides there."""
    rows = _history_rows(conversation).exclude(in_reply_to__reply_state=ReplyState.FAILED)
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


# --- seed-1 lists (CONTRACT §2.0, §2.1 A24–A25, §2.2 M1–M4) ---------------------------------


def chronological(queryset: QuerySet[Message], window: Window) -> list[Message]:
    """Seed 1's list order: the newest `limit` rows after `skip`, returned oldest first."""
    rows = window.apply(queryset.select_related("conversation").order_by("-created_at", "-id"))
    return list(reversed(list(rows)))


def message_list(*, user_id: int, window: Window, unread_only: bool = False) -> list[Message]:
    if unread_only:  # unread means unread *received*: your own sent messages are never "unread" to you
        rows = Message.objects.filter(recipient_id=user_id, is_read=False)
    else:
        rows = access.messages_visible_to(user_id=user_id)
    return chronological(rows, window)


def message_list_sent(*, user_id: int, window: Window) -> list[Message]:
    return chronological(Message.objects.filter(sender_id=user_id), window)


def message_list_received(*, user_id: int, window: Window, unread_only: bool = False) -> list[Message]:
    rows = Message.objects.filter(recipient_id=user_id)
    if unread_only:
        rows = rows.filter(is_read=False)
    return chronological(rows, window)


def message_unread_count(*, user_id: int) -> int:
    return Message.objects.filter(recipient_id=user_id, is_read=False).count()


def conversation_messages(*, user_id: int, conversation_key: str, window: Window) -> list[Message]:
    """Only the caller's own messages in the thread; an unknown key is simply empty."""
    rows = access.messages_visible_to(user_id=user_id).filter(conversation__key=conversation_key)
    return chronological(rows, window)


def ai_conversation_get(*, user_id: int) -> Conversation | None:
    return Conversation.objects.filter(key=ai_conversation_key(user_id=user_id)).first()


def ai_history_for_user(*, user_id: int) -> list[dict]:
    conversation = ai_conversation_get(user_id=user_id)
    return [] if conversation is None else ai_history_for_display(conversation=conversation)


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
