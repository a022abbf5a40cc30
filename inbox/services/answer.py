"""The inbox's own answer to an inbound message of any channel (the AI's goes through the
orchestrator's turn): a "human"/"bot" command, the channel's help text, "text only" for media a
channel cannot read, the auto-reply text or the chat engine; nothing in human mode. Sent back over
the message's own channel (inbox.services.replies)."""

from __future__ import annotations

import copy
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.redact import mask_phone
from core.tasks import enqueue_on_commit
from inbox.channels import UnknownChannel, get_channel
from inbox.models import Contact
from inbox.services.contacts import contact_for
from inbox.services.modes import auto_reply_text, unknown_contact_reply
from inbox.services.receive import ANSWER_TASK
from inbox.services.replies import reply_send
from messaging.context import CHAT_ENGINE_AGENT
from messaging.enums import ConversationMode, ModeReason, ReplyState
from messaging.models import Message
from messaging.selectors.bursts import burst_missed, burst_newer_waiting, burst_waiting
from messaging.selectors.messages import message_with
from messaging.services.ai_replies import reply_state_move
from messaging.services.conversations import conversation_mode_set
from orchestrator.chat_engine import chat_engine_reply
from orchestrator.handoff import BACK_TO_AI_ACK, HANDOFF_ACK, burst_switch

logger = logging.getLogger("twilio_webhook")  # the contract's log of the external channels

MEDIA_UNSUPPORTED = _("I can read text only for now. Please write your message as text.")


def _off_mode_reply(message: Message) -> tuple[str | None, dict[str, str]]:
    """With both switches off: the chat engine for a user (TWILIO_KNOWN_USER_AI=false), and for
    anyone else what UNKNOWN_CONTACT_REPLY says. The chat engine's replies are marked: no context
    for the model once the AI answers (messaging.context)."""
    policy = "chat" if message.sender_id is not None else unknown_contact_reply()
    if policy == "text":
        return settings.UNKNOWN_CONTACT_REPLY_TEXT.strip() or None, {}
    if policy == "chat":
        return chat_engine_reply(message.content), {"agent": CHAT_ENGINE_AGENT}
    return None, {}


def _channel_text(message: Message) -> str | None:
    """The channel's own answer: its help text for a help word, "text only" for media alone; in
    the contact's language when known."""
    spec = get_channel(message.channel)
    if spec.help_text and spec.word(message.content) in spec.help_words:
        text = spec.help_text
    elif not spec.media and message.num_media and not message.content.strip():
        text = MEDIA_UNSUPPORTED
    else:
        return None
    contact = Contact.objects.filter(channel=message.channel, address=message.participant_number or "").first()
    with translation.override((contact.language if contact else "") or translation.get_language()):
        return str(text)


def _burst_window(channel: str) -> float:
    try:
        return get_channel(channel).burst_window()
    except UnknownChannel:
        return 0.0


def inbound_answer(*, message_id: int) -> Message | None:
    """The inbox's own answer to a pending inbound message; the reply, or None when there is
    nothing to send. Claimed by compare-and-set, so it runs once.

    One answer per burst (issue 27) when the channel has a burst window: the task was queued after
    the window; it leaves its message to a newer one's answer when one waits, else it claims the
    earlier messages still pending with it and one reply answers them all (decided by the newest
    message; the chat engine hears them all). A message that arrives meanwhile makes it stale:
    nothing is sent, and the newer message's answer covers the burst."""
    # Read once, before the claim: what the answer needs of it does not change once it is stored.
    message = message_with(message_id)
    if message is None:
        return None
    bursts = message.conversation_id is not None and _burst_window(message.channel) > 0
    newer, earlier = burst_waiting(message, since=_recent()) if bursts else (False, {})
    if newer:
        logger.info("Inbound message %s: a newer message of its burst waits; answered with it", message_id)
        return None
    if not reply_state_move(message_id=message_id, source=ReplyState.PENDING, target=ReplyState.PROCESSING):
        logger.info("Inbound message %s is not pending: reply already handled, skipping", message_id)
        return None
    message.reply_state = ReplyState.PROCESSING
    # The earlier messages still pending, oldest first. One that was being answered, or that this
    # task could not claim, is looked at again (rare): answered meanwhile, or claimed by an older
    # message's task.
    burst = sorted(pk for pk, state in earlier.items() if state == ReplyState.PENDING and _claim(pk))
    if len(burst) < len(earlier) and burst_missed(message, mine=burst, since=_recent()):
        # An older message's task claimed one of the burst meanwhile: answering without it would
        # give the burst two replies. Step back; that task's answer goes stale (this message
        # waits), and this one's next run, a window later, answers the whole burst.
        _move([*burst, message.pk], target=ReplyState.PENDING)
        enqueue_on_commit(ANSWER_TASK, message.pk, countdown=_burst_window(message.channel))
        logger.info("Inbound message %s: an earlier message of its burst is being answered; retried", message.pk)
        return None
    text, fields_, unanswered = _answer_text(message, burst=burst)
    covered = [pk for pk in [*burst, message.pk] if pk not in unanswered]
    with transaction.atomic():
        if bursts and burst_newer_waiting(message):
            _move([*covered, *unanswered], target=ReplyState.PENDING)
            logger.info("Answer to inbound message %s is stale: a newer message waits; not sent", message.pk)
            return None
        _move(unanswered, target=ReplyState.SKIPPED)
        # The contact, read once for the reply: a STOP later in the burst, and what its row needs.
        contact = contact_for(channel=message.channel, address=message.participant_number or "")
        if text is None or contact.opted_out:  # after a STOP nothing more is sent
            _move(covered, target=ReplyState.SKIPPED)
            return None
        # Each message is answered over its own channel (the sweeper picks up every channel's), and
        # sent from here once this commits: no second task for the send.
        reply = reply_send(to_message=message, text=text, send_here=True, contact=contact, **fields_)
        _move(covered, target=ReplyState.FAILED if reply.status == "failed" else ReplyState.DONE)
    logger.info(
        "Reply %s to inbound message %s queued to %s (burst of %s)", reply.pk, message.pk, _to(message), len(covered)
    )
    return reply


def _with_content(message: Message, content: str) -> Message:
    """A copy of `message` with another text (the stored row is left as it is)."""
    other = copy.copy(message)
    other.content = content
    return other


def _recent() -> datetime:
    """A claim older than this is a dead worker's, the sweeper's to bring back."""
    return timezone.now() - timedelta(seconds=settings.AI_STALE_REPLY_AFTER_S)


def _claim(message_id: int) -> bool:
    return reply_state_move(message_id=message_id, source=ReplyState.PENDING, target=ReplyState.PROCESSING)


def _move(message_ids: list[int], *, target: str) -> None:
    for pk in message_ids:
        reply_state_move(message_id=pk, source=ReplyState.PROCESSING, target=target)


def _answer_text(message: Message, *, burst: list[int]) -> tuple[str | None, dict[str, str], list[int]]:
    """What answers `message` (the newest of its burst), and the ids of the burst it leaves
    unanswered: a command's acknowledgement, nothing in human mode, the channel's own text, the
    auto-reply, or the off mode's reply. A "human"/"bot" anywhere in the burst takes effect as on a
    message of its own: what follows "human" is left to staff; what follows "bot" is answered."""
    conversation = message.conversation
    earlier = (
        list(Message.objects.filter(pk__in=burst).order_by("created_at", "id").only("id", "content")) if burst else []
    )
    rows = [*earlier, message]
    switch = burst_switch([row.content for row in rows])
    if switch is not None and conversation is not None:
        index, command = switch
        conversation_mode_set(
            conversation=conversation,
            mode=command,
            reason=ModeReason.ASKED,
            source="contact command",
            channel=message.channel,
        )
        after = rows[index + 1 :]
        if command == ConversationMode.HUMAN:
            return HANDOFF_ACK, {}, [row.pk for row in after]
        if not after:
            return BACK_TO_AI_ACK, {}, []
        rows = after  # back with the AI: what followed "bot" is answered
    if conversation is not None and conversation.mode == ConversationMode.HUMAN:
        return None, {}, []  # staff answer in human mode
    if (channel_text := _channel_text(message)) is not None:
        return channel_text, {}, []
    if (auto_reply := auto_reply_text()) is not None:
        if not auto_reply:
            logger.warning("Auto-reply is on but has no text: message %s not answered", message.pk)
        return auto_reply or None, {}, []
    # The chat engine hears the whole burst (since a "bot" in it).
    return (*_off_mode_reply(_with_content(message, "\n".join(row.content for row in rows))), [])


def _to(message: Message) -> str:
    return mask_phone(message.participant_number) if get_channel(message.channel).phone_addresses else message.channel
