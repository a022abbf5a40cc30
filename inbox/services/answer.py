"""The inbox's own answer to an inbound message of any channel (the AI's goes through the
orchestrator's turn): a "human"/"bot" command, the channel's help text, "text only" for media a
channel cannot read, the auto-reply text or the chat engine; nothing in human mode. Sent back over
the message's own channel (inbox.services.replies)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.redact import mask_phone
from inbox.channels import get_channel
from inbox.models import AutoReplyConfig
from inbox.services.modes import reply_mode, unknown_contact_reply
from inbox.services.replies import reply_send
from messaging.context import CHAT_ENGINE_AGENT
from messaging.enums import ConversationMode, ModeReason, ReplyState
from messaging.models import Message
from messaging.services.ai_replies import reply_state_move
from messaging.services.conversations import conversation_mode_set
from orchestrator.chat_engine import chat_engine_reply
from orchestrator.handoff import BACK_TO_AI_ACK, HANDOFF_ACK, mode_command

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
    """The channel's own answer: its help text for a help word, "text only" for media alone."""
    spec = get_channel(message.channel)
    if spec.help_text and spec.word(message.content) in spec.help_words:
        return str(spec.help_text)
    if not spec.media and message.num_media and not message.content.strip():
        return str(MEDIA_UNSUPPORTED)
    return None


def inbound_answer(*, message_id: int) -> Message | None:
    """The inbox's own answer to a pending inbound message; the reply, or None when there is
    nothing to send. Claimed by compare-and-set, so it runs once."""
    if not reply_state_move(message_id=message_id, source=ReplyState.PENDING, target=ReplyState.PROCESSING):
        logger.info("Inbound message %s is not pending: reply already handled, skipping", message_id)
        return None
    message = Message.objects.select_related("conversation").get(pk=message_id)
    conversation = message.conversation
    command = mode_command(message.content)
    text: str | None
    fields: dict[str, str] = {}
    if command is not None and conversation is not None:
        conversation_mode_set(
            conversation=conversation, mode=command, reason=ModeReason.ASKED, source="contact command"
        )
        text = HANDOFF_ACK if command == ConversationMode.HUMAN else BACK_TO_AI_ACK
    elif conversation is not None and conversation.mode == ConversationMode.HUMAN:
        text = None  # staff answer in human mode
    elif (channel_text := _channel_text(message)) is not None:
        text = channel_text
    elif reply_mode() == "auto_reply":
        config = AutoReplyConfig.load()
        text = config.message or None
        if text is None:
            logger.warning("Auto-reply is on but has no text: message %s not answered", message.pk)
    else:
        text, fields = _off_mode_reply(message)
    with transaction.atomic():
        if text is None:
            reply_state_move(message_id=message.pk, source=ReplyState.PROCESSING, target=ReplyState.SKIPPED)
            return None
        # Each message is answered over its own channel (the sweeper picks up every channel's).
        reply = reply_send(to_message=message, text=text, **fields)
        state = ReplyState.FAILED if reply.status == "failed" else ReplyState.DONE
        reply_state_move(message_id=message.pk, source=ReplyState.PROCESSING, target=state)
    logger.info("Reply %s to inbound message %s queued to %s", reply.pk, message.pk, _to(message))
    return reply


def _to(message: Message) -> str:
    return mask_phone(message.participant_number) if get_channel(message.channel).phone_addresses else message.channel
