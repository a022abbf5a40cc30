"""Inbound SMS and WhatsApp messages.

The webhook stores the message and queues its reply on commit, and answers Twilio at once: it
never waits for the LLM or Twilio. One row per MessageSid (the unique constraint decides, also
between two concurrent deliveries), so one reply. The reply comes from the AI (the same queued turn
as a web message to the bot), the auto-reply text or the chat engine, per the mode table of §4.7;
an opt-out word, an opted-out contact or a conversation in human mode gets none.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from core.redact import mask_phone
from core.tasks import enqueue_on_commit
from core.text import text_clean
from messaging.context import CHAT_ENGINE_AGENT
from messaging.channels import channel_sender
from messaging.enums import ConversationMode, Direction, ReplyState
from messaging.models import Message
from messaging.services.ai_replies import reply_state_move
from messaging.services.conversations import conversation_mode_set
from messaging.services.external import external_message_receive
from orchestrator.chat_engine import chat_engine_reply
from orchestrator.handoff import BACK_TO_AI_ACK, HANDOFF_ACK, mode_command
from twilio_channel.addresses import channel_of, participant_number
from twilio_channel.models import AutoReplyConfig, Contact
from twilio_channel.services.contacts import contact_inbound_touch, contact_opt_in, contact_opt_out, contact_user
from twilio_channel.services.modes import reply_mode, unknown_contact_reply

logger = logging.getLogger("twilio_webhook")

# The whole trimmed body, any case: "STOP 12345" is an ordinary message.
OPT_OUT_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"})
OPT_IN_WORDS = frozenset({"start", "yes", "unstop"})
STALE_PROCESSING_S = 60


@dataclass(frozen=True)
class InboundMessage:
    sid: str
    from_: str
    to: str
    body: str = ""
    status: str = "received"
    profile_name: str = ""
    media: list[dict] = field(default_factory=list)
    received_at: datetime | None = None  # set for a message imported later (the Twilio sync); else now

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> InboundMessage:
        """From Twilio's webhook form (already decoded: never the raw body). Every value is
        cleaned of what the database cannot store (a NUL): the message is kept, never refused."""

        def raw(name: str) -> str:
            return text_clean(form.get(name) or "")

        def value(name: str) -> str:
            return raw(name).strip()

        try:
            count = max(0, min(int(value("NumMedia") or 0), 10))
        except ValueError:
            count = 0
        media = [
            {"url": value(f"MediaUrl{n}"), "content_type": value(f"MediaContentType{n}")}
            for n in range(count)
            if value(f"MediaUrl{n}")
        ]
        return cls(
            sid=value("MessageSid") or value("SmsMessageSid") or value("SmsSid"),
            from_=value("From"),
            to=value("To"),
            body=raw("Body"),
            status=value("SmsStatus") or value("MessageStatus") or "received",
            profile_name=value("ProfileName"),
            media=media,
        )


def _active_user(contact: Contact) -> User | None:
    return contact_user(contact)  # only the verified owner of the number (issue 22)


def _reply_by(contact: Contact) -> str | None:
    """Who answers: "bot" (the AI), "channel" (auto-reply or chat engine)."""
    mode = reply_mode()
    if mode == "ai":
        return "bot"
    if mode == "auto_reply":
        return "channel"
    if _active_user(contact) is not None and settings.TWILIO_KNOWN_USER_AI:
        return "bot"
    return "channel"


def inbound_receive(*, inbound: InboundMessage, answer: bool = True) -> tuple[Message, bool]:
    """Store one delivery and queue its reply; (message, created). A MessageSid seen before
    returns the stored row and queues nothing. `answer=False` (a message the Twilio sync imports
    but does not answer) stores it without a reply and without acting on an
    opt-out or opt-in word: an old STOP must not undo a later START.

    The INSERT's unique constraint alone tells a redelivery, concurrent or not:
    nothing looks the MessageSid up first, and the duplicate's IntegrityError rolls back all this
    delivery did (the contact's touch, an opt-out), so the webhook's hot path is one transaction of
    five statements (docs/PERFORMANCE.md, "Webhook acknowledgement")."""
    channel = channel_of(inbound.from_)
    number = participant_number(inbound.from_)
    word = inbound.body.strip().lower()
    try:
        with transaction.atomic():
            contact = contact_inbound_touch(
                number=number,
                channel=channel,
                at=inbound.received_at or timezone.now(),
                profile_name=inbound.profile_name,
            )
            opt_out = answer and word in OPT_OUT_WORDS
            opt_in = answer and word in OPT_IN_WORDS and contact.opted_out
            # No reply to an opt-out word (Twilio itself confirms STOP on long codes; nothing of ours
            # answers it) nor to an opted-out contact, one who is opting back in included.
            reply = None if not answer or opt_out or contact.opted_out else _reply_by(contact)
            message = external_message_receive(
                twilio_sid=inbound.sid,
                channel=channel,
                from_number=inbound.from_,
                to_number=inbound.to,
                number=number,
                content=inbound.body,
                status=inbound.status,
                media=inbound.media,
                user=_active_user(contact),
                reply=reply,
                created_at=inbound.received_at,
            )
            if opt_out:
                contact_opt_out(contact=contact, source="keyword")
            elif opt_in:
                contact_opt_in(contact=contact)
            if reply == "channel" and message.reply_state == ReplyState.PENDING:  # not over the flood limit
                enqueue_on_commit("twilio_channel.handle_inbound", message.pk)
    except IntegrityError:
        existing = Message.objects.filter(twilio_sid=inbound.sid).first()
        if existing is None:
            raise  # not the MessageSid's constraint
        logger.info("Inbound webhook hit for a message already stored (%s): acknowledged only", inbound.sid)
        return existing, False
    logger.info(
        "Inbound webhook hit: %s message %s from %s (reply by %s)", channel, message.pk, mask_phone(number), reply
    )
    return message, True


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


def inbound_answer(*, message_id: int) -> Message | None:
    """The channel's own reply to a pending inbound message (auto-reply or chat engine); the reply,
    or None when there is nothing to send. Claimed by compare-and-set, so it runs once."""
    if not reply_state_move(message_id=message_id, source=ReplyState.PENDING, target=ReplyState.PROCESSING):
        logger.info("Inbound message %s is not pending: reply already handled, skipping", message_id)
        return None
    message = Message.objects.select_related("conversation").get(pk=message_id)
    conversation = message.conversation
    command = mode_command(message.content)
    text: str | None
    fields: dict[str, str] = {}
    if command is not None and conversation is not None:
        conversation_mode_set(conversation=conversation, mode=command, source="contact command")
        text = HANDOFF_ACK if command == ConversationMode.HUMAN else BACK_TO_AI_ACK
    elif conversation is not None and conversation.mode == ConversationMode.HUMAN:
        text = None  # staff answer in human mode
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
        reply = channel_sender(message.channel).reply(to_message=message, text=text, **fields)
        state = ReplyState.FAILED if reply.status == "failed" else ReplyState.DONE
        reply_state_move(message_id=message.pk, source=ReplyState.PROCESSING, target=state)
    logger.info(
        "Reply %s to inbound message %s queued to %s", reply.pk, message.pk, mask_phone(message.participant_number)
    )
    return reply


def inbound_sweep() -> list[int]:
    """Inbound messages waiting for the channel's reply (not the AI's: its sweeper has those) left
    `pending` (the broker was down) or `processing` (a worker died); the ids are re-enqueued. As
    for the AI's sweeper, at most SWEEP_BATCH_SIZE are in the workers' hands after a sweep (the
    replies still running count), the oldest first."""
    now = timezone.now()
    channel_replies = Message.objects.filter(direction=Direction.INBOUND, recipient_id__isnull=True)
    lapsed = Q(updated_at__lt=now - timedelta(seconds=STALE_PROCESSING_S))
    batch = settings.SWEEP_BATCH_SIZE
    running = channel_replies.filter(reply_state=ReplyState.PROCESSING).exclude(lapsed)
    room = batch - running[:batch].count()
    waiting = channel_replies.filter(
        Q(reply_state=ReplyState.PENDING, updated_at__lt=now - timedelta(seconds=settings.AI_STALE_REPLY_AFTER_S))
        | Q(lapsed, reply_state=ReplyState.PROCESSING)
    )
    if room <= 0:
        # Busy workers are no news; a backlog they keep waiting is.
        log = logger.warning if waiting.exists() else logger.debug
        log("Sweeper re-enqueues no inbound message: %s replies are running", batch)
        return []
    ids = []
    for pk, state in waiting.order_by("created_at", "id").values_list("pk", "reply_state")[:room]:
        if reply_state_move(message_id=pk, source=state, target=ReplyState.PENDING, at=now):
            ids.append(pk)
    if ids:
        logger.warning("Sweeper re-enqueues %s unanswered inbound message(s), oldest first: %s", len(ids), ids[:20])
    return ids
