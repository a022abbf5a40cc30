"""Messages that come from outside (SMS, WhatsApp, Telegram, ...): stored in their thread, answered unless
the loop breaker stops automatic replies to the contact."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models.functions import Left
from django.utils import timezone

from accounts.models import User
from core.db import row_insert
from core.redact import mask_phone
from core.statements import Compiled
from messaging.enums import ConversationKind, ConversationMode, Direction, ModeReason, ReplyState
from messaging.models import CONTENT_MAX_LENGTH, Conversation, Message, ModeChange
from messaging.selectors.keys import ai_conversation_key
from messaging.services.conversations import (
    channel_conversation_get,
    channel_thread,
    conversation_mode_set,
    conversation_own_get,
    conversation_touch,
    conversation_touch_by_key,
)
from messaging.services.messages import bot_turn_queue

logger = logging.getLogger("messages")


@transaction.atomic(savepoint=False)
def external_message_receive(
    *,
    external_id: str,
    channel: str,
    from_number: str,
    to_number: str,
    number: str,
    content: str,
    status: str,
    media: list[dict],
    user: User | None,
    reply: str | None,
    created_at: datetime | None = None,
) -> Message:
    """Store a message that came from outside (the inbox's receive). An external id stored before on
    its channel (a redelivery, even a concurrent one: the unique constraint decides) raises IntegrityError and
    queues nothing. There is no savepoint around the INSERT: the duplicate spoils the caller's
    transaction, which rolls back whatever it did for that delivery and then reads the stored row
    (inbox.services.receive). `reply`: "bot" queues the AI turn (the user's AI thread for a
    known user, else the number's own thread); "channel" leaves it pending for the channel's own
    reply (auto-reply, chat engine); None stores it without a reply (opt-out, human mode, ...).
    `created_at`: when it was received, for a message imported later (the Twilio sync). A contact
    the loop breaker stops (`_loop_detected`: too many messages, or one text again and again) gets
    no reply: the message is stored `skipped` and its conversation handed to staff (human mode,
    reason "loop")."""
    bot = settings.AI_BOT_USER_ID
    at = created_at or timezone.now()
    if user is not None and reply == "bot":
        key, owner = ai_conversation_key(user_id=user.pk), {"kind": ConversationKind.AI, "user_id": user.pk}
    else:
        key, owner = channel_thread(number=number, channel=channel)
    # Found and touched in one statement, as for a web message, when it is the thread this message
    # belongs in; only a first message creates it.
    conversation = conversation_touch_by_key(key=key, at=at, owned_by=owner)
    touched = conversation is not None
    if conversation is None:
        conversation = conversation_own_get(key=key, owner=owner)
    if conversation is None:  # an AI key held by anything but the user's AI thread: never used
        conversation = channel_conversation_get(number=number, channel=channel)
    flooded = reply is not None and _loop_detected(
        number=number, channel=channel, at=at, content=content, conversation=conversation
    )
    if flooded:
        reply = None  # stored, not answered: staff take it from the handoff inbox
    message = Message(
        conversation=conversation,
        sender_id=user.pk if user is not None else None,
        recipient_id=bot if reply == "bot" else None,
        content=content[:CONTENT_MAX_LENGTH],
        channel=channel,
        direction=Direction.INBOUND,
        from_number=from_number,
        to_number=to_number,
        participant_number=number,
        external_id=external_id,
        status=status or "received",
        num_media=len(media),
        media=media,
        reply_state=ReplyState.PENDING if reply else ReplyState.SKIPPED if flooded else ReplyState.NONE,
        created_at=at,
    )
    row_insert(message)
    if not touched:
        conversation_touch(conversation=conversation, at=at)
    if reply == "bot":
        bot_turn_queue(message)
    if flooded:
        conversation_mode_set(
            conversation=conversation,
            mode=ConversationMode.HUMAN,
            reason=ModeReason.LOOP,
            source="loop breaker",
            channel=channel,
        )
    logger.info(
        "Inbound %s message %s stored in conversation %s (reply: %s)", channel, message.pk, conversation.pk, reply
    )
    return message


_COMPARED_CHARS = 1600  # of a text, for the repeat check


def _same_text(text: str) -> str:
    return " ".join(text.split()).casefold()


def _loop_detected(*, number: str, channel: str, at: datetime, content: str, conversation: Conversation) -> bool:
    """The loop breaker (issue 27, point 2; it replaces issue 22's flood limit): a contact (an address
    on a channel) who sent AUTO_REPLY_LIMIT_PER_CONTACT messages in the last AUTO_REPLY_LIMIT_WINDOW_S
    and sends another, or who sends the same text for the
    LOOP_REPEAT_LIMIT-th time in a row (another bot answering ours), gets no more. Counted since the
    staff last handed the conversation back to the AI, so a switch back is a fresh start. Every
    channel stores its inbound messages here, so every channel gets it. The delivery's transaction
    holds the contact's row (its touch), so two deliveries from one contact count one after the other."""
    since = at - timedelta(seconds=settings.AUTO_REPLY_LIMIT_WINDOW_S)
    reason = _loop_kind(number=number, channel=channel, since=since, content=content)
    if reason is not None:  # the rare path: a staff member's switch back starts the count again
        handed_back = (
            ModeChange.objects.filter(conversation=conversation, mode=ConversationMode.AI, created_at__gt=since)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if handed_back is not None:
            reason = _loop_kind(number=number, channel=channel, since=handed_back, content=content)
    if reason is None:
        return False
    logger.warning("%s contact %s: %s; stored unanswered, handed to staff", channel, mask_phone(number), reason)
    return True


def _newest_inbound_sql(using: str, limit: int, *, number: str, channel: str, since: datetime):
    inbound = Message.objects.using(using).filter(direction=Direction.INBOUND, created_at__gt=since)
    rows = (
        inbound.filter(participant_number=number, channel=channel)
        .order_by("-created_at", "-id")
        .values_list(Left("content", _COMPARED_CHARS), flat=True)[:limit]
    )
    return rows.query.get_compiler(using).as_sql()


_NEWEST_INBOUND = Compiled(
    _newest_inbound_sql,
    number=Message._meta.get_field("participant_number"),
    channel=Message._meta.get_field("channel"),
    since=Message._meta.get_field("created_at"),
)


def _loop_kind(*, number: str, channel: str, since: datetime, content: str) -> str | None:
    """Why the contact's automatic replies stop (for the log), or None. One query, compiled once
    (core.statements): the contact's newest messages since `since`, as many as either check needs
    (their first characters only: texts that long and equal, again and again, are a loop)."""
    limit, repeats = settings.AUTO_REPLY_LIMIT_PER_CONTACT, settings.LOOP_REPEAT_LIMIT
    using = router.db_for_read(Message)
    sql, params = _NEWEST_INBOUND.sql(
        using=using, shape=max(limit, repeats - 1, 1), number=number, channel=channel, since=since
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        newest = [text for (text,) in cursor.fetchall()]
    if len(newest) >= limit:
        return f"over {limit} messages in {settings.AUTO_REPLY_LIMIT_WINDOW_S} s"
    text = _same_text(content[:_COMPARED_CHARS])
    previous = newest[: repeats - 1]
    if repeats >= 2 and text and len(previous) == repeats - 1 and all(_same_text(o) == text for o in previous):
        return f"the same text {repeats} times in a row"
    return None
