"""Reads for messaging. The AI context is derived from the Message table (CONTRACT §4.2)."""

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Left, TruncDate

from accounts.models import User
from core.lists import Window
from messaging import access
from messaging.context import NOT_MODEL_CONTEXT
from messaging.enums import Channel, ConversationKind, ConversationMode, Direction, ReplyState
from messaging.keys import channel_conversation_key
from messaging.models import Conversation, Message


def pair_key(a: int, b: int) -> str:
    """Seed 1's default conversation id for two participants: `conv_{min}_{max}`."""
    return f"conv_{min(a, b)}_{max(a, b)}"


def phone_conversation_key(*, number: str, channel: str) -> str:
    """The thread of an external number: SMS and WhatsApp threads of one number stay apart."""
    return channel_conversation_key(
        number=number, channel=Channel.WHATSAPP if channel == Channel.WHATSAPP else Channel.SMS
    )


def ai_conversation_key(*, user_id: int) -> str:
    return pair_key(settings.AI_BOT_USER_ID, user_id)


def ai_history(*, conversation: Conversation, before: Message | None = None, limit: int | None = None) -> list[dict]:
    """The model's context: the newest `limit` (CHAT_HISTORY_MAX) turns after the last clear,
    oldest first, as `{"role", "content"}`. With `before` (the message being answered): turns
    earlier than it, plus the replies to earlier messages even when they were stored after it (a
    message that arrived while the previous one was answered sees that exchange, §8.2); never the
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


# --- seed-1 lists (CONTRACT §2.0, §2.1 A24–A25, §2.2 M1–M4) ---------------------------------


def chronological(queryset: QuerySet[Message], window: Window, columns: Sequence[str] | None = None) -> list[Any]:
    """Seed 1's list order: the newest `limit` rows after `skip`, returned oldest first. With
    `columns`, each row is a tuple of those values instead of a Message: for output that needs no
    model (the API's lists, where building the instances cost more than the query)."""
    ordered = queryset.order_by("-created_at", "-id")
    rows = ordered.values_list(*columns) if columns else ordered.select_related("conversation")
    return list(reversed(list(window.apply(rows))))


@functools.cache
def _newest_visible_ids_sql() -> str:
    table = connection.ops.quote_name(Message._meta.db_table)
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
    ids = RawSQL(_newest_visible_ids_sql(), (user_id, newest, user_id, user_id, newest))  # noqa: S611
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


# --- the web panel (CONTRACT §5.2) -----------------------------------------------------------


def conversation_get_for_member(*, user_id: int, conversation_key: str) -> Conversation | None:
    """The conversation when the user is one of its members (messaging.access), else None: the
    panel answers a stranger's thread as it answers a missing one."""
    conversation = Conversation.objects.filter(key=conversation_key).first()
    if conversation is None or not access.conversation_is_member(user_id=user_id, conversation=conversation):
        return None
    return conversation


def conversation_counterpart_id(*, conversation: Conversation, user_id: int) -> int | None:
    """Whom the user writes to in this thread: the bot in an AI thread, the other owner of a direct
    one, otherwise the other side of the newest message; None when there is nobody (a phone thread)."""
    if conversation.kind == ConversationKind.AI:
        return settings.AI_BOT_USER_ID
    if conversation.kind == ConversationKind.DIRECT and conversation.user_a_id and conversation.user_b_id:
        return conversation.user_b_id if conversation.user_a_id == user_id else conversation.user_a_id
    if conversation.kind == ConversationKind.PHONE:
        return None
    last = (
        access.messages_visible_to(user_id=user_id)
        .filter(conversation=conversation)
        .order_by("-created_at", "-id")
        .values("sender_id", "recipient_id")
        .first()
    )
    if last is None:
        return None
    return last["recipient_id"] if last["sender_id"] == user_id else last["sender_id"]


def ai_reply_awaited(*, user_id: int, conversation_key: str) -> bool:
    """True while a message of the user's to the bot in this thread waits for its AI turn (the
    panel shows "the assistant is typing" and polls until it is answered)."""
    return Message.objects.filter(
        conversation__key=conversation_key,
        sender_id=user_id,
        recipient_id=settings.AI_BOT_USER_ID,
        reply_state__in=[ReplyState.PENDING, ReplyState.PROCESSING],
    ).exists()


def user_names(*, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Username by id for the senders shown on a page, in one query."""
    ids = {pk for pk in user_ids if pk is not None and pk > 0}
    return dict(User.objects.filter(pk__in=ids).order_by().values_list("id", "username")) if ids else {}


# --- staff: the handoff inbox and the AI usage report (CONTRACT §8.5) ------------------------


@dataclass(frozen=True)
class HandoffSummary:
    conversation: Conversation
    last_customer_at: datetime | None  # the newest message of the person (inbound, or the AI thread's owner)
    last_answer_at: datetime | None  # the newest answer to them (outbound, staff, the bot)
    total_messages: int

    @property
    def waiting_since(self) -> datetime | None:
        """When the person started waiting for an answer; None when the newest message is an answer."""
        if self.last_customer_at is None:
            return None
        if self.last_answer_at is not None and self.last_answer_at >= self.last_customer_at:
            return None
        return self.last_customer_at


def _from_customer(prefix: str = "messages__") -> Q:
    # A phone contact writes inbound; in a web AI thread the person is the thread's owner.
    return Q(**{f"{prefix}direction": Direction.INBOUND}) | Q(
        **{f"{prefix}direction": Direction.INTERNAL, f"{prefix}sender_id": F("user_id")}
    )


def handoff_conversation_list(*, limit: int) -> list[HandoffSummary]:
    """Conversations in human mode over every channel (phone threads and users' AI threads), the
    longest waiting first, then those answered most recently; one query."""
    rows = (
        Conversation.objects.filter(mode=ConversationMode.HUMAN)
        .annotate(
            last_customer_at=Max("messages__created_at", filter=_from_customer()),
            last_answer_at=Max("messages__created_at", filter=~_from_customer()),
            total_messages=Count("messages"),
        )
        .select_related("user")
        .order_by(F("last_customer_at").asc(nulls_last=True), "-id")[:limit]
    )
    summaries = [
        HandoffSummary(
            conversation=row,
            last_customer_at=row.last_customer_at,
            last_answer_at=row.last_answer_at,
            total_messages=row.total_messages,
        )
        for row in rows
    ]
    waiting = sorted(
        ((since, s) for s in summaries if (since := s.waiting_since) is not None), key=lambda pair: pair[0]
    )
    answered = [s for s in summaries if s.waiting_since is None]  # still in the query's order
    return [s for _, s in waiting] + answered


def conversation_get(*, conversation_id: int) -> Conversation | None:
    return Conversation.objects.select_related("user").filter(pk=conversation_id).first()


def conversation_thread(*, conversation: Conversation, limit: int) -> list[Message]:
    """The newest `limit` messages of a conversation, oldest first, for the staff who answer it."""
    newest = Message.objects.filter(conversation=conversation).order_by("-created_at", "-id")[:limit]
    return list(reversed(list(newest)))


@dataclass(frozen=True)
class TokenUsageRow:
    day: Any  # a date
    model: str
    replies: int
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def ai_token_usage_daily(*, since: datetime | None = None) -> list[TokenUsageRow]:
    """The AI replies' token counts per day (UTC) and model, newest day first: every message that
    records a model (web AI turns, Twilio AI replies, the staff's AI helpers)."""
    rows = Message.objects.exclude(model="")
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    grouped = (
        rows.annotate(day=TruncDate("created_at"))
        .values("day", "model")
        .annotate(
            reply_count=Count("id"),
            prompt=Coalesce(Sum("prompt_tokens"), 0),
            completion=Coalesce(Sum("completion_tokens"), 0),
        )
        .order_by("-day", "model")
    )
    return [
        TokenUsageRow(
            day=row["day"],
            model=row["model"],
            replies=row["reply_count"],
            prompt_tokens=row["prompt"],
            completion_tokens=row["completion"],
        )
        for row in grouped
    ]
