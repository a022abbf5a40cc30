"""Messages that come from outside (SMS, WhatsApp, Telegram, ...): stored in their thread, answered within the
flood limit."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.db import row_insert
from core.redact import mask_phone
from messaging.enums import ConversationKind, ConversationMode, Direction, ModeReason, ReplyState
from messaging.models import CONTENT_MAX_LENGTH, Message
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
    over the flood limit (`_automatic_reply_allowed`) gets no reply: the message is stored
    `skipped` and its conversation handed to staff (human mode)."""
    bot = settings.AI_BOT_USER_ID
    at = created_at or timezone.now()
    flooded = reply is not None and not _automatic_reply_allowed(number=number, channel=channel, at=at)
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
            source="automatic reply limit",
        )
    logger.info(
        "Inbound %s message %s stored in conversation %s (reply: %s)", channel, message.pk, conversation.pk, reply
    )
    return message


# Inbound messages that were given an automatic reply (queued, being answered or answered).
_ANSWERED_STATES = (ReplyState.PENDING, ReplyState.PROCESSING, ReplyState.DONE, ReplyState.FAILED)


def _automatic_reply_allowed(*, number: str, channel: str, at: datetime) -> bool:
    """The flood limit (issue 22, point 4): a contact (a number on a channel) gets at most
    AUTO_REPLY_LIMIT_PER_CONTACT automatic replies (AI, auto-reply, chat engine) in any
    AUTO_REPLY_LIMIT_WINDOW_S. Every channel stores its inbound messages here, so every channel
    gets the same limit. The delivery's transaction holds the contact's row (its touch), so two
    deliveries from one contact count one after the other."""
    limit = settings.AUTO_REPLY_LIMIT_PER_CONTACT
    since = at - timedelta(seconds=settings.AUTO_REPLY_LIMIT_WINDOW_S)
    answered = Message.objects.filter(
        participant_number=number,
        channel=channel,
        direction=Direction.INBOUND,
        created_at__gt=since,
        reply_state__in=_ANSWERED_STATES,
    )
    if answered[:limit].count() < limit:  # counts no further than the limit
        return True
    logger.warning(
        "%s contact %s is over %s automatic replies in %s s: stored unanswered, handed to staff",
        channel,
        mask_phone(number),
        limit,
        settings.AUTO_REPLY_LIMIT_WINDOW_S,
    )
    return False
