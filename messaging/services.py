"""Writes for web/API messaging (CONTRACT §2.1 A26–A27, §2.2, §9.2 point 5). Access checks go
through `messaging.access`; log lines carry ids only, never content."""

import functools
import logging
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.db.models import F, Max, Q, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.models import User
from core.db import row_insert
from core.exceptions import ApplicationError, ForbiddenError, NotFoundError
from core.redact import mask_phone
from core.tasks import enqueue_on_commit
from messaging import access
from messaging.bot import bot_responder
from messaging.channels import channel_sender
from messaging.detach import reserved_key_detach
from messaging.enums import Channel, ConversationKind, ConversationMode, Direction, ReplyState
from messaging.keys import RESERVED_KEY, is_reserved_key
from messaging.models import CONTENT_MAX_LENGTH, CONVERSATION_KEY_MAX_LENGTH, Conversation, Message
from messaging.selectors import ai_conversation_key, pair_key, phone_conversation_key

logger = logging.getLogger("messages")

RECIPIENT_NOT_FOUND = "Recipient not found"
RECIPIENT_NOT_IN_CONVERSATION = "Recipient is not part of this conversation"
_PAIR_KEY = re.compile(r"^conv_(-?\d+)_(-?\d+)$")


def _check_content(content: str) -> None:
    if len(content) > CONTENT_MAX_LENGTH:
        raise DjangoValidationError(
            {"content": [f"Ensure this field has no more than {CONTENT_MAX_LENGTH} characters."]}
        )


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


@functools.cache
def _conversation_columns() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {field.attname: quote(field.column) for field in Conversation._meta.concrete_fields}


@functools.cache
def _conversation_converters() -> list:
    """Per column of a conversation row, its field and the converters the ORM would apply (SQLite
    keeps datetimes as text)."""
    table = Conversation._meta.db_table
    selected = []
    for field in Conversation._meta.concrete_fields:
        converters = connection.ops.get_db_converters(field.get_col(table))
        converters += field.get_db_converters(connection)  # type: ignore[attr-defined]  # not in django-stubs
        selected.append((field, converters))
    return selected


def _conversation_from_row(row) -> Conversation:
    selected = _conversation_converters()
    values = []
    for value, (field, converters) in zip(row, selected, strict=True):
        for convert in converters:
            value = convert(value, field, connection)
        values.append(value)
    return Conversation.from_db(connection.alias, [field.attname for field, _ in selected], values)


@functools.cache
def _touch_update(condition: str = "") -> str:
    """UPDATE ... RETURNING of the conversation with a key (parameters: the time twice, the key),
    moving its last message time, never backwards; `condition` narrows the row further. Built once
    per condition."""
    column = _conversation_columns()
    last = column["last_message_at"]
    table = connection.ops.quote_name(Conversation._meta.db_table)
    # Identifiers from the model's metadata, quoted; the values are parameters.
    return (
        f"UPDATE {table} "  # noqa: S608
        f"SET {last} = CASE WHEN {last} IS NULL OR {last} < %s THEN %s ELSE {last} END "
        f"WHERE {column['key']} = %s{condition} RETURNING {', '.join(column.values())}"
    )


def _conversation_touch(*, key: str, at: datetime, owned_by: dict | None = None) -> Conversation | None:
    """A send finds its conversation and moves its last message time (never backwards) in one
    statement instead of a SELECT and an UPDATE. None when there is none yet, or (with `owned_by`,
    field name -> value) when the conversation under the key does not have those values. The
    statement is built once per set of fields: the ORM's raw() cost as much CPU again as the
    statement itself."""
    value = connection.ops.adapt_datetimefield_value(at)  # a raw parameter skips the field's adaptation
    owned_by = owned_by or {}
    column = _conversation_columns()
    condition = "".join(f" AND {column[name]} = %s" for name in owned_by)
    with connection.cursor() as cursor:
        cursor.execute(_touch_update(condition), [value, value, key, *owned_by.values()])
        row = cursor.fetchone()
    return None if row is None else _conversation_from_row(row)


def _recipient_in(conversation: Conversation | None, *, sender_id: int, recipient_id: int) -> bool:
    """A direct thread of exactly these two users proves the recipient exists (its user columns are
    foreign keys, and the touch holds the row until commit), which saves the existence query."""
    return (
        conversation is not None
        and conversation.kind == ConversationKind.DIRECT
        and {sender_id, recipient_id} == {conversation.user_a_id, conversation.user_b_id}
    )


def _conversation_checked(
    conversation: Conversation, *, sender: User, recipient_id: int, conversation_key: str | None
) -> Conversation:
    if conversation_key:  # a derived key names the sender, so only a supplied one needs the check
        access.conversation_require_member(user_id=sender.pk, conversation=conversation)
        _require_pair(conversation, sender_id=sender.pk, recipient_id=recipient_id)
    return conversation


def _conversation_create(*, key: str, sender: User, recipient_id: int, conversation_key: str | None) -> Conversation:
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
    return _conversation_checked(
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


def last_message_at_moved_to(at):
    """An UPDATE value for `Conversation.last_message_at`: `at`, but never backwards (a later
    message of the conversation may already be stored)."""
    return Greatest(Coalesce(F("last_message_at"), Value(at)), Value(at))


def _touch(conversation: Conversation, at) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=last_message_at_moved_to(at))
    if conversation.last_message_at is None or conversation.last_message_at < at:
        conversation.last_message_at = at


def _message_store(
    *,
    sender: User,
    recipient_id: int,
    content: str,
    conversation_key: str | None,
    channel: str,
    allow_bot: bool = True,
) -> Message:
    if conversation_key and is_reserved_key(conversation_key):
        # Only the channel pipeline writes there (messaging.keys): checked before anything is read.
        raise DjangoValidationError({"conversation_id": [RESERVED_KEY]})
    bot = settings.AI_BOT_USER_ID
    to_bot = recipient_id == bot
    if to_bot and not allow_bot:
        raise NotFoundError(RECIPIENT_NOT_FOUND)
    key = conversation_key or pair_key(sender.pk, recipient_id)
    at = timezone.now()
    # Touched before the checks below: the callers' transaction undoes it when one of them fails.
    conversation = _conversation_touch(key=key, at=at) if len(key) <= CONVERSATION_KEY_MAX_LENGTH else None
    if (
        not to_bot
        and not _recipient_in(conversation, sender_id=sender.pk, recipient_id=recipient_id)
        and not User.objects.filter(pk=recipient_id).exists()
    ):
        raise NotFoundError(RECIPIENT_NOT_FOUND)
    _check_content(content)
    touched = conversation is not None
    if conversation is None:
        conversation = _conversation_create(
            key=key, sender=sender, recipient_id=recipient_id, conversation_key=conversation_key
        )
    else:
        _conversation_checked(conversation, sender=sender, recipient_id=recipient_id, conversation_key=conversation_key)
    message = _message_new(sender_id=sender.pk, recipient_id=recipient_id, content=content, channel=channel, at=at)
    message.conversation = conversation
    if to_bot:
        message.reply_state = ReplyState.PENDING
    message.full_clean(exclude=["conversation"])  # just read or created above: no existence query
    row_insert(message)
    if not touched:
        _touch(conversation, message.created_at)
    _message_logged(message)
    return message


def _message_new(*, sender_id: int, recipient_id: int, content: str, channel: str, at: datetime) -> Message:
    return Message(
        sender_id=sender_id,
        recipient_id=recipient_id,
        content=content,
        channel=channel,
        direction=Direction.INTERNAL,
        reply_state=ReplyState.NONE,
        created_at=at,
    )


def _message_logged(message: Message) -> None:
    logger.info(
        "Message %s sent by user %s to %s in conversation %s (%s)",
        message.pk,
        message.sender_id,
        message.recipient_id,
        message.conversation_id,
        message.channel,
    )


def message_send(
    *,
    sender: User,
    recipient_id: int,
    content: str,
    conversation_key: str | None = None,
    channel: str = Channel.WEB,
    allow_bot: bool = True,
) -> Message:
    """Store a user's message to another user, to themselves, or to the AI bot (-1). A message to
    the bot is left `pending` and its AI turn is queued once this transaction commits."""
    with transaction.atomic():
        message = _message_store(
            sender=sender,
            recipient_id=recipient_id,
            content=content,
            conversation_key=conversation_key,
            channel=channel,
            allow_bot=allow_bot,
        )
        if message.reply_state == ReplyState.PENDING:
            _bot_turn_queue(message)
    return message


def _bot_turn_queue(message: Message) -> None:
    """The one way a stored message reaches the AI: its turn is queued once the transaction commits."""
    enqueue_on_commit(bot_responder().turn_task, message.pk)


@transaction.atomic(savepoint=False)
def external_message_receive(
    *,
    twilio_sid: str,
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
    """Store a message that came from outside (SMS, WhatsApp). A MessageSid stored before (a
    redelivery, even a concurrent one: the unique constraint decides) raises IntegrityError and
    queues nothing. There is no savepoint around the INSERT: the duplicate spoils the caller's
    transaction, which rolls back whatever it did for that delivery and then reads the stored row
    (twilio_channel.services.inbound.inbound_receive). `reply`: "bot" queues the AI turn (the user's AI thread for a
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
        key, owner = _channel_thread(number=number, channel=channel)
    # Found and touched in one statement, as for a web message, when it is the thread this message
    # belongs in; only a first message creates it.
    conversation = _conversation_touch(key=key, at=at, owned_by=owner)
    touched = conversation is not None
    if conversation is None:
        conversation = _own_conversation(key=key, owner=owner)
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
        twilio_sid=twilio_sid,
        status=status or "received",
        num_media=len(media),
        media=media,
        reply_state=ReplyState.PENDING if reply else ReplyState.SKIPPED if flooded else ReplyState.NONE,
        created_at=at,
    )
    row_insert(message)
    if not touched:
        _touch(conversation, at)
    if reply == "bot":
        _bot_turn_queue(message)
    if flooded:
        conversation_mode_set(conversation=conversation, mode=ConversationMode.HUMAN, source="automatic reply limit")
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


def _channel_thread(*, number: str, channel: str) -> tuple[str, dict]:
    """The key of an external number's thread on a channel, and the fields that make a
    conversation that thread."""
    return phone_conversation_key(number=number, channel=channel), {
        "kind": ConversationKind.PHONE,
        "participant_number": number,
    }


def _own_conversation(*, key: str, owner: dict) -> Conversation | None:
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
    key, owner = _channel_thread(number=number, channel=channel)
    conversation = _own_conversation(key=key, owner=owner)
    if conversation is None:  # never: a channel's key is always given to its own thread
        raise RuntimeError(f"No thread for conversation key {key[:12]}…")
    return conversation


def message_send_to_bot_and_wait(
    *, sender: User, content: str, conversation_key: str | None = None, channel: str = Channel.WEB
) -> Message:
    """The blocking chat: store the user's message to the bot, then answer it inline (no queued
    turn). Returns the bot's reply, or the user's own message when the AI stays silent."""
    with transaction.atomic():
        message = _message_store(
            sender=sender,
            recipient_id=settings.AI_BOT_USER_ID,
            content=content,
            conversation_key=conversation_key,
            channel=channel,
        )
    return bot_responder().reply_now(message_id=message.pk)


def reply_state_move(
    *, message_id: int, source: str, target: str, condition: Q | Combinable | None = None, at: datetime | None = None
) -> bool:
    """Compare-and-set of a message's reply state (`source` → `target`, `condition` holding too):
    True for the one caller that moved it, so concurrent workers never both act on a message."""
    rows = Message.objects.filter(pk=message_id, reply_state=source)
    if condition is not None:
        rows = rows.filter(condition)
    return bool(rows.update(reply_state=target, updated_at=at or timezone.now()))


def ai_reply_store(
    *,
    message: Message,
    text: str,
    ok: bool = True,
    agent: str = "",
    model: str = "",
    prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
    sticky_agent: bool = False,
    lease_token: str | None = None,
) -> Message | None:
    """Finish a claimed (`processing`) message and store the bot's reply in one transaction, or
    store nothing and return None when the turn no longer owns the message: the claim was lost, or
    (with `lease_token`) the conversation's lease was taken over by another worker. The lease is
    released by the same UPDATE that records the reply. With `sticky_agent` the conversation
    remembers the agent for routing."""
    state = ReplyState.DONE if ok else ReplyState.FAILED
    conversation = message.conversation
    with transaction.atomic():
        if not reply_state_move(message_id=message.pk, source=ReplyState.PROCESSING, target=state):
            logger.warning("Message %s was no longer claimed when its AI reply was ready; dropped", message.pk)
            return None
        ai_fields = {
            "agent": agent,
            "model": model[:100],
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
        }
        external = message.direction == Direction.INBOUND
        reply = Message(
            conversation=conversation,
            sender_id=settings.AI_BOT_USER_ID,
            recipient_id=message.sender_id,
            content=text[:CONTENT_MAX_LENGTH],
            channel=message.channel,
            direction=Direction.INTERNAL,
            is_read=False,
            in_reply_to=message,
            **ai_fields,
        )
        if conversation is not None:
            at = timezone.now()
            reply.created_at = at
            fields: dict = {"updated_at": at, "last_message_at": last_message_at_moved_to(at)}
            if sticky_agent:
                fields.update(last_agent=agent, last_agent_at=at)
            this = Conversation.objects.filter(pk=conversation.pk)
            if lease_token:
                if not this.filter(ai_lease_token=lease_token).update(**fields, ai_lease_until=None, ai_lease_token=""):
                    transaction.set_rollback(True)  # the message stays claimed by the worker that took over
                    logger.warning(
                        "AI lease of message %s was taken over before its reply was stored; dropped", message.pk
                    )
                    return None
            else:
                this.update(**fields)
        if external:  # an SMS or WhatsApp message: the reply goes back through its channel
            reply = channel_sender(message.channel).reply(
                to_message=message, text=reply.content, sender_id=settings.AI_BOT_USER_ID, **ai_fields
            )
        else:
            # Both foreign keys are rows the caller just read: skip their existence queries.
            reply.full_clean(exclude=["conversation", "in_reply_to"])
            reply.save()
    message.reply_state = state
    logger.info(
        "AI reply %s to message %s stored (%s, agent=%s, model=%s, tokens=%s/%s)",
        reply.pk,
        message.pk,
        state,
        agent or "-",
        model or "-",
        prompt_tokens,
        completion_tokens,
    )
    return reply


@transaction.atomic
def message_update(*, user: User, message_id: int, content: str | None = None) -> Message:
    """Only the sender edits; a missing or null `content` is a no-op (seed 1's `{}` returns 200)."""
    message = access.message_get_for_update(user_id=user.pk, message_id=message_id)
    if content is None:
        return message
    _check_content(content)
    message.content = content
    message.save(update_fields=["content", "updated_at"])
    logger.info("Message %s updated by user %s", message.pk, user.pk)
    return message


@transaction.atomic
def message_mark_read(*, user: User, message_id: int) -> Message:
    message = access.message_get_for_mark_read(user_id=user.pk, message_id=message_id)
    if not message.is_read:
        message.is_read = True
        message.save(update_fields=["is_read", "updated_at"])
    return message


@transaction.atomic
def message_delete(*, user: User, message_id: int) -> None:
    """Hard delete for both sides (seed 1); the conversation's `last_message_at` follows."""
    message = access.message_get_for_delete(user_id=user.pk, message_id=message_id)
    conversation_id = message.conversation_id
    message.delete()
    if conversation_id is not None:
        newest = Message.objects.filter(conversation_id=conversation_id).aggregate(at=Max("created_at"))["at"]
        Conversation.objects.filter(pk=conversation_id).update(last_message_at=newest)
    logger.info("Message %s deleted by user %s", message_id, user.pk)


@transaction.atomic
def messages_mark_all_read(*, user: User) -> int:
    count = Message.objects.filter(recipient_id=user.pk, is_read=False).update(is_read=True, updated_at=timezone.now())
    logger.info("User %s marked %s messages as read", user.pk, count)
    return count


@transaction.atomic
def conversation_mark_read(*, user: User, conversation_key: str) -> int:
    """Marks what was addressed to the caller only, so a stranger's call changes nothing."""
    count = Message.objects.filter(conversation__key=conversation_key, recipient_id=user.pk, is_read=False).update(
        is_read=True, updated_at=timezone.now()
    )
    logger.info("User %s marked %s messages as read in a conversation", user.pk, count)
    return count


@transaction.atomic
def ai_history_clear(*, user: User) -> Conversation:
    """History is derived from the Message table (§4.2): clearing moves the reset marker, so the
    messages stay visible in lists but leave the AI context."""
    conversation, _ = Conversation.objects.get_or_create(
        key=ai_conversation_key(user_id=user.pk), defaults={"kind": ConversationKind.AI, "user": user}
    )
    conversation.context_reset_at = timezone.now()
    conversation.save(update_fields=["context_reset_at", "updated_at"])
    logger.info("AI history cleared for user %s (conversation %s)", user.pk, conversation.pk)
    return conversation


def conversation_mode_set(*, conversation: Conversation, mode: str, source: str) -> bool:
    """Set the mode; True when it changed. A plain UPDATE, so it never races a concurrent turn's
    other writes to the row."""
    changed = (
        Conversation.objects.filter(pk=conversation.pk).exclude(mode=mode).update(mode=mode, updated_at=timezone.now())
    )
    conversation.mode = mode
    if changed:
        logger.info("Conversation %s switched to %s mode (%s)", conversation.pk, mode, source)
    return bool(changed)


@transaction.atomic
def ai_conversation_mode_set(*, user: User, mode: str) -> Conversation:
    """The user asks for a human in their AI thread, or hands it back to the AI (§8.5), from the
    panel; the thread is created when the user never wrote to the assistant yet."""
    conversation, _ = Conversation.objects.get_or_create(
        key=ai_conversation_key(user_id=user.pk), defaults={"kind": ConversationKind.AI, "user": user}
    )
    conversation_mode_set(conversation=conversation, mode=mode, source=f"user {user.pk} in the panel")
    return conversation


STAFF_ONLY = "Only staff can answer a conversation handed over to a human."
NOT_ANSWERABLE_HERE = "Only a user's conversation with the AI assistant can be answered here."
CONVERSATION_NOT_FOUND = "Conversation not found."


@transaction.atomic
def staff_message_send(*, staff: User, conversation_id: int, content: str) -> Message:
    """A staff member's answer in a user's AI thread (the handoff of §8.5, from the staff panel):
    the user sees it in their thread, and the AI reads it later as an assistant turn. It never
    queues an AI turn. Phone threads are answered through the Twilio channel's send instead."""
    if not staff.is_staff:
        raise ForbiddenError(STAFF_ONLY)
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFoundError(CONVERSATION_NOT_FOUND)
    if conversation.kind != ConversationKind.AI or conversation.user_id is None:
        raise ApplicationError(NOT_ANSWERABLE_HERE)
    if not content.strip():
        raise DjangoValidationError({"content": ["This field may not be blank."]})
    _check_content(content)
    message = Message(
        conversation=conversation,
        sender_id=staff.pk,
        recipient_id=conversation.user_id,
        content=content,
        channel=Channel.WEB,
        direction=Direction.INTERNAL,
        reply_state=ReplyState.NONE,
    )
    message.full_clean(exclude=["conversation"])
    message.save()
    _touch(conversation, message.created_at)
    logger.info("Staff member %s answered conversation %s (message %s)", staff.pk, conversation.pk, message.pk)
    return message
