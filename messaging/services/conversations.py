"""Writes of conversations: found or created for a send, touched, marked read, switched between
the AI and a human. Log lines carry ids only, never content."""

import logging
import re
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import router, transaction
from django.utils import timezone

from accounts.models import User
from core.db import later_of, row_returned, update_returning_sql
from core.exceptions import ApplicationError, ForbiddenError
from core.statements import Compiled
from messaging import access
from messaging.detach import reserved_key_detach
from messaging.enums import Channel, ConversationKind, ModeReason
from messaging.keys import channel_of_key, is_reserved_key
from messaging.models import CONVERSATION_KEY_MAX_LENGTH, Conversation, Message, ModeChange
from messaging.selectors.keys import ai_conversation_key, phone_conversation_key

logger = logging.getLogger("messages")


RECIPIENT_NOT_IN_CONVERSATION = "Recipient is not part of this conversation"


_PAIR_KEY = re.compile(r"^conv_(-?\d+)_(-?\d+)$")


def _conversation_defaults(*, key: str, sender: User, recipient_id: int) -> dict:
    """Kind and owners of a new conversation. A `conv_{a}_{b}` key must name the sender, so nobody
    can squat on another pair's default thread before its owners write to it."""
    bot = settings.AI_BOT_USER_ID
    match = _PAIR_KEY.match(key)
    if match is None:
        return {"kind": ConversationKind.CUSTOM, "user_a": sender}
    ids = {int(match.group(1)), int(match.group(2))}
    if sender.pk not in ids:
        raise ForbiddenError(access.NOT_MEMBER)
    if bot in ids:
        return {"kind": ConversationKind.AI, "user": sender}
    if ids == {sender.pk, recipient_id}:
        recipient = sender if recipient_id == sender.pk else User.objects.get(pk=recipient_id)
        low, high = sorted([sender, recipient], key=lambda u: u.pk)
        return {"kind": ConversationKind.DIRECT, "user_a": low, "user_b": high}
    return {"kind": ConversationKind.CUSTOM, "user_a": sender}


def _touch_by_key_sql(using: str, shape: object, *, key: str, at: datetime, **owned_by: object):
    rows = Conversation.objects.using(using).filter(key=key, **owned_by)
    return update_returning_sql(rows, last_message_at=later_of("last_message_at", at))


_TOUCH_BY_KEY = Compiled(
    _touch_by_key_sql,
    **{name: Conversation._meta.get_field(name) for name in ("key", "kind", "participant_number", "user_id")},
    at=Conversation._meta.get_field("last_message_at"),
)


def conversation_touch_by_key(*, key: str, at: datetime, owned_by: dict | None = None) -> Conversation | None:
    """A send finds its conversation and moves its last message time (never backwards) in one
    statement instead of a SELECT and an UPDATE, compiled once (core.statements). None when there
    is none yet, or (with `owned_by`, field name -> value) when the conversation under the key does
    not have those values."""
    using = router.db_for_write(Conversation)
    sql, params = _TOUCH_BY_KEY.sql(using=using, key=key, at=at, **(owned_by or {}))
    return row_returned(Conversation, sql, params, using=using)


def conversation_proves_recipient(conversation: Conversation | None, *, sender_id: int, recipient_id: int) -> bool:
    """A direct thread of exactly these two users proves the recipient exists (its user columns are
    foreign keys, and the touch holds the row until commit), which saves the existence query."""
    return (
        conversation is not None
        and conversation.kind == ConversationKind.DIRECT
        and {sender_id, recipient_id} == {conversation.user_a_id, conversation.user_b_id}
    )


def conversation_check_for_send(
    conversation: Conversation, *, sender: User, recipient_id: int, conversation_key: str | None
) -> Conversation:
    if conversation_key:  # a derived key names the sender, so only a supplied one needs the check
        access.conversation_require_member(user_id=sender.pk, conversation=conversation)
        _require_pair(conversation, sender_id=sender.pk, recipient_id=recipient_id)
    return conversation


def conversation_create_for_send(
    *, key: str, sender: User, recipient_id: int, conversation_key: str | None
) -> Conversation:
    """The first message of a thread: create its conversation (or take the one a concurrent send
    just created, with the same checks as an existing one)."""
    if len(key) > CONVERSATION_KEY_MAX_LENGTH:
        raise DjangoValidationError(
            {"conversation_id": [f"Ensure this field has no more than {CONVERSATION_KEY_MAX_LENGTH} characters."]}
        )
    defaults = _conversation_defaults(key=key, sender=sender, recipient_id=recipient_id)
    conversation, created = Conversation.objects.get_or_create(key=key, defaults=defaults)
    if created:
        _require_pair(conversation, sender_id=sender.pk, recipient_id=recipient_id)
        return conversation
    return conversation_check_for_send(
        conversation, sender=sender, recipient_id=recipient_id, conversation_key=conversation_key
    )


def _require_pair(conversation: Conversation, *, sender_id: int, recipient_id: int) -> None:
    """A user's AI thread holds only that user and the bot, a direct thread only its two users:
    nobody can pull a third party into them (and so into the AI's context) with a supplied id."""
    if conversation.kind == ConversationKind.AI:
        allowed = sender_id == conversation.user_id and recipient_id == settings.AI_BOT_USER_ID
    elif conversation.kind == ConversationKind.DIRECT:
        allowed = {sender_id, recipient_id} == {conversation.user_a_id, conversation.user_b_id}
    else:
        return
    if not allowed:
        raise ApplicationError(RECIPIENT_NOT_IN_CONVERSATION)


def conversation_touch(*, conversation: Conversation, at: datetime) -> None:
    """Move a known conversation's last message time to `at`, never backwards."""
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=later_of("last_message_at", at))
    if conversation.last_message_at is None or conversation.last_message_at < at:
        conversation.last_message_at = at


def channel_thread(*, number: str, channel: str) -> tuple[str, dict]:
    """The key of an external number's thread on a channel, and the fields that make a
    conversation that thread."""
    return phone_conversation_key(number=number, channel=channel), {
        "kind": ConversationKind.PHONE,
        "participant_number": number,
    }


def conversation_own_get(*, key: str, owner: dict) -> Conversation | None:
    """The conversation under `key` with the `owner` fields, created when there is none. Anything
    else under a channel's key (a user's conversation from before the key space was reserved) is
    moved off it first (messaging.detach); under another key it is never used: None."""
    conversation, created = Conversation.objects.get_or_create(key=key, defaults=owner)
    if created or all(getattr(conversation, name) == value for name, value in owner.items()):
        return conversation
    if not is_reserved_key(key):
        logger.warning("Conversation %s is not the thread its key names: not used", conversation.pk)
        return None
    logger.warning("Conversation %s under a channel key is not the channel's own: detached", conversation.pk)
    thread = reserved_key_detach(conversation)
    if thread is None:
        thread, _ = Conversation.objects.get_or_create(key=key, defaults=owner)
    return thread


def channel_conversation_get(*, number: str, channel: str) -> Conversation:
    """The thread of an external number on a channel (SMS, WhatsApp), created on first use: the
    one conversation the channel's messages, in and out, are stored in."""
    key, owner = channel_thread(number=number, channel=channel)
    conversation = conversation_own_get(key=key, owner=owner)
    if conversation is None:  # never: a channel's key is always given to its own thread
        raise RuntimeError(f"No thread for conversation key {key[:12]}…")
    return conversation


@transaction.atomic
def conversation_mark_read(*, user: User, conversation_key: str, up_to_id: int | None = None) -> int:
    """Marks what was addressed to the caller only, so a stranger's call changes nothing. With
    `up_to_id` (the newest message a page showed), a message stored after the page read the thread
    stays unread: nobody has seen it yet."""
    rows = Message.objects.filter(conversation__key=conversation_key, recipient_id=user.pk, is_read=False)
    if up_to_id is not None:
        rows = rows.filter(pk__lte=up_to_id)
    count = rows.update(is_read=True, updated_at=timezone.now())
    logger.info("User %s marked %s messages as read in a conversation", user.pk, count)
    return count


@transaction.atomic
def ai_history_clear(*, user: User) -> Conversation:
    """History is derived from the Message table: clearing moves the reset marker, so the
    messages stay visible in lists but leave the AI context."""
    conversation, _ = Conversation.objects.get_or_create(
        key=ai_conversation_key(user_id=user.pk), defaults={"kind": ConversationKind.AI, "user": user}
    )
    conversation.context_reset_at = timezone.now()
    conversation.save(update_fields=["context_reset_at", "updated_at"])
    logger.info("AI history cleared for user %s (conversation %s)", user.pk, conversation.pk)
    return conversation


def conversation_channel_name(conversation: Conversation) -> str:
    """The channel a conversation is on: its key space's (sms, whatsapp, telegram, ...), else web."""
    channel = channel_of_key(conversation.key)
    if channel is None and conversation.kind == ConversationKind.PHONE and ":" in conversation.key:
        channel = conversation.key.split(":", 1)[0]  # a channel outside the enum (the tests' own)
    return channel or Channel.WEB


def conversation_mode_set(
    *, conversation: Conversation, mode: str, reason: str, source: str = "", channel: str | None = None
) -> bool:
    """Set the mode; True when it changed, and then the change is recorded with its reason
    (ModeReason: asked, loop, budget, staff) for the handoff inbox and the insights. A plain
    UPDATE, so it never races a concurrent turn's other writes to the row; only the caller whose
    UPDATE changed the row records the change. `channel`: the channel of the message that caused it
    (a known user's SMS in their AI thread is an SMS), else the conversation's."""
    if reason not in ModeReason.values:
        raise ValueError(f"unknown mode change reason {reason!r}")
    now = timezone.now()
    changed = Conversation.objects.filter(pk=conversation.pk).exclude(mode=mode).update(mode=mode, updated_at=now)
    conversation.mode = mode
    if changed:
        ModeChange.objects.create(
            conversation=conversation,
            mode=mode,
            reason=reason,
            channel=channel or conversation_channel_name(conversation),
            source=source[:100],
            created_at=now,
        )
        logger.info("Conversation %s switched to %s mode (%s: %s)", conversation.pk, mode, reason, source)
    return bool(changed)


@transaction.atomic
def ai_conversation_mode_set(*, user: User, mode: str) -> Conversation:
    """The user asks for a human in their AI thread, or hands it back to the AI, from the
    panel; the thread is created when the user never wrote to the assistant yet."""
    conversation, _ = Conversation.objects.get_or_create(
        key=ai_conversation_key(user_id=user.pk), defaults={"kind": ConversationKind.AI, "user": user}
    )
    conversation_mode_set(
        conversation=conversation, mode=mode, reason=ModeReason.ASKED, source=f"user {user.pk} in the panel"
    )
    return conversation
