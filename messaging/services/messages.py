"""Writes of web/API messages and of staff answers in
a user's AI thread. Access checks go through `messaging.access`; log lines carry ids only, never
content."""

import functools
import logging

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from core.db import insert_after_update, row_insert, save_signals_listen
from core.exceptions import ApplicationError, ForbiddenError, NotFoundError
from core.tasks import enqueue_on_commit
from messaging import access
from messaging.bot import bot_responder
from messaging.channels import burst_window
from messaging.enums import Channel, ConversationKind, Direction, ReplyState
from messaging.keys import RESERVED_KEY, is_reserved_key
from messaging.models import CONTENT_MAX_LENGTH, CONVERSATION_KEY_MAX_LENGTH, Conversation, Message
from messaging.selectors.keys import pair_key
from messaging.services.conversations import (
    conversation_check_for_send,
    conversation_create_for_send,
    conversation_proves_recipient,
    conversation_touch,
    conversation_touch_by_key,
)

logger = logging.getLogger("messages")


RECIPIENT_NOT_FOUND = "Recipient not found"


def _check_content(content: str) -> None:
    if len(content) > CONTENT_MAX_LENGTH:
        raise DjangoValidationError(
            {"content": [f"Ensure this field has no more than {CONTENT_MAX_LENGTH} characters."]}
        )


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
    conversation = conversation_touch_by_key(key=key, at=at) if len(key) <= CONVERSATION_KEY_MAX_LENGTH else None
    if (
        not to_bot
        and not conversation_proves_recipient(conversation, sender_id=sender.pk, recipient_id=recipient_id)
        and not User.objects.filter(pk=recipient_id).exists()
    ):
        raise NotFoundError(RECIPIENT_NOT_FOUND)
    _check_content(content)
    touched = conversation is not None
    if conversation is None:
        conversation = conversation_create_for_send(
            key=key, sender=sender, recipient_id=recipient_id, conversation_key=conversation_key
        )
    else:
        conversation_check_for_send(
            conversation, sender=sender, recipient_id=recipient_id, conversation_key=conversation_key
        )
    message = Message(
        conversation=conversation,
        sender_id=sender.pk,
        recipient_id=recipient_id,
        content=content,
        channel=channel,
        direction=Direction.INTERNAL,
        reply_state=ReplyState.PENDING if to_bot else ReplyState.NONE,
        created_at=at,
    )
    message.full_clean(exclude=["conversation"])  # just read or created above: no existence query
    row_insert(message)
    if not touched:
        conversation_touch(conversation=conversation, at=message.created_at)
    _message_logged(message)
    return message


def _message_logged(message: Message) -> None:
    logger.info(
        "Message %s sent by user %s to %s in conversation %s (%s)",
        message.pk,
        message.sender_id,
        message.recipient_id,
        message.conversation_id,
        message.channel,
    )


@functools.cache
def _thread_touch(vendor: str, alias: str, columns: tuple[str, ...]) -> str:
    """The UPDATE of `_direct_thread_send`: the thread under a key whose `columns` (attnames: its
    kind and owners) hold given values moves its last message time to a given one, never
    backwards (as `core.db.later_of`), and returns its row. Built once per database and columns:
    compiling it through the ORM on each send cost about a tenth of the send's CPU."""
    quote = connections[alias].ops.quote_name
    column = {field.attname: quote(field.column) for field in Conversation._meta.concrete_fields}
    last = column["last_message_at"]
    matched = " AND ".join(f"{column[name]} = %s" for name in ("key", *columns))
    # Identifiers from the model's metadata, quoted; the values are parameters.
    return (
        f"UPDATE {quote(Conversation._meta.db_table)} SET {last} = GREATEST(COALESCE({last}, %s), %s) "  # noqa: S608
        f"WHERE {matched} RETURNING {', '.join(column.values())}"
    )


def _direct_thread_send(
    *, sender: User, recipient_id: int, content: str, conversation_key: str | None, channel: str, allow_bot: bool
) -> Message | None:
    """The shortcut of `_message_store` for its commonest cases, on PostgreSQL: a message to another
    user (or to oneself) in their existing direct thread, or to the bot in the sender's existing AI
    thread (left pending, as the general path leaves it), stored by one statement built once per
    database that touches the thread and inserts the message (core.db.insert_after_update): no ORM
    compiling, no transaction round trips, no second statement (docs/PERFORMANCE.md, "Code health"
    and "The message to the bot in one statement"). The thread is matched by its key, its kind and
    its owners: a direct thread's two user columns prove the recipient, as
    `conversation_proves_recipient` does; an AI thread's owner being the sender is what
    `_require_pair` and the member check ask of a supplied key. None, with nothing written, whenever
    `_message_store` has anything to decide: another database, the bot where it is not allowed, a
    key other than the pair's own, no such thread (or one whose user was deleted, or not the
    sender's), content it refuses, or save signals to send. `_message_store` stays the reference:
    messaging/tests/test_send_shortcut.py runs both over every kind of input."""
    key = pair_key(sender.pk, recipient_id)
    to_bot = recipient_id == settings.AI_BOT_USER_ID
    if (
        connection.vendor != "postgresql"
        or (to_bot and not allow_bot)
        or conversation_key not in (None, key)
        or len(key) > CONVERSATION_KEY_MAX_LENGTH
        or save_signals_listen(Message)
    ):
        return None
    at = timezone.now()
    message = Message(
        sender_id=sender.pk,
        recipient_id=recipient_id,
        content=content,
        channel=channel,
        direction=Direction.INTERNAL,
        reply_state=ReplyState.PENDING if to_bot else ReplyState.NONE,
        created_at=at,
    )
    try:
        _check_content(content)
        message.full_clean(exclude=["conversation"])
    except DjangoValidationError:
        return None
    low, high = sorted((sender.pk, recipient_id))
    thread_is: dict[str, object] = (
        {"kind": ConversationKind.AI, "user_id": sender.pk}
        if to_bot
        else {"kind": ConversationKind.DIRECT, "user_a_id": low, "user_b_id": high}
    )
    stamp = connection.ops.adapt_datetimefield_value(at)
    touch = _thread_touch(connection.vendor, DEFAULT_DB_ALIAS, tuple(thread_is))
    parameters = [stamp, stamp, key, *thread_is.values()]
    thread = insert_after_update(message, link="conversation", update=touch, update_params=parameters)
    if thread is None:
        return None
    _message_logged(message)
    return message


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
    the bot is left `pending` and its AI turn is queued once the message is committed: at once
    when this runs in autocommit (the one statement of the shortcut, or the general path's own
    transaction, has committed by then), else when the caller's transaction commits. On
    PostgreSQL a message in an existing direct thread, or to the bot in the sender's existing AI
    thread, takes the shortcut (`_direct_thread_send`); everything else the general path."""
    message = _direct_thread_send(
        sender=sender,
        recipient_id=recipient_id,
        content=content,
        conversation_key=conversation_key,
        channel=channel,
        allow_bot=allow_bot,
    )
    if message is None:
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
        bot_turn_queue(message)
    return message


def bot_turn_queue(message: Message) -> None:
    """The one way a stored message reaches the AI: its turn is queued once the transaction commits,
    after its channel's burst window (messaging.channels.burst_window), if any: the turn then
    answers the whole burst, unless a newer message came meanwhile (whose turn answers it)."""
    window = burst_window(message.channel)
    if window > 0:
        enqueue_on_commit(bot_responder().turn_task, message.pk, countdown=window)
    else:
        enqueue_on_commit(bot_responder().turn_task, message.pk)


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


@transaction.atomic
def message_update(*, user: User, message_id: int, content: str | None = None) -> Message:
    """Only the sender edits; a missing or null `content` is a no-op (`{}` returns 200)."""
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
    """Hard delete for both sides; the conversation's `last_message_at` follows."""
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


STAFF_ONLY = "Only staff can answer a conversation handed over to a human."


NOT_ANSWERABLE_HERE = "Only a user's conversation with the AI assistant can be answered here."


CONVERSATION_NOT_FOUND = "Conversation not found."


@transaction.atomic
def staff_message_send(*, staff: User, conversation_id: int, content: str) -> Message:
    """A staff member's answer in a user's AI thread (the handoff, from the staff panel):
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
    conversation_touch(conversation=conversation, at=message.created_at)
    logger.info("Staff member %s answered conversation %s (message %s)", staff.pk, conversation.pk, message.pk)
    return message
