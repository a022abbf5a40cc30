"""Inbound messages of every channel.

The channel's webhook hands the inbox a message, which stores it and queues its answer on commit,
and answers the channel at once: it never waits for the LLM or the channel. One row per (channel,
external id) (the unique constraint decides, also between two concurrent deliveries), so one answer.
The answer comes from the AI (the same queued turn as a web message to the bot), the auto-reply
text or the chat engine, per the mode table of §4.7; an opt-out word, an opted-out contact or a
conversation in human mode gets none.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from core.redact import mask_phone
from core.tasks import enqueue_on_commit
from inbox.channels import Channel, get_channel
from inbox.inbound import InboundMessage
from inbox.models import Contact
from inbox.services.contacts import contact_inbound_touch, contact_opt_in, contact_opt_out, contact_user
from inbox.services.modes import reply_mode
from messaging.enums import ReplyState
from messaging.models import Message
from messaging.services.external import external_message_receive

logger = logging.getLogger("twilio_webhook")  # the contract's log of the external channels

ANSWER_TASK = "inbox.answer_inbound"  # queued by name: the tasks module calls this one


def _reply_by(contact: Contact) -> str | None:
    """Who answers: "bot" (the AI), "channel" (auto-reply or chat engine)."""
    mode = reply_mode()
    if mode == "ai":
        return "bot"
    if mode == "auto_reply":
        return "channel"
    if contact_user(contact) is not None and settings.TWILIO_KNOWN_USER_AI:
        return "bot"
    return "channel"


def _needs_channel_answer(spec: Channel, inbound: InboundMessage) -> bool:
    """A help word, or media alone on a channel that cannot read it: the inbox answers it itself
    (inbox.services.answer), never the AI."""
    word = spec.word(inbound.text)
    if spec.help_text and word in spec.help_words:
        return True
    return not spec.media and bool(inbound.media) and not inbound.text.strip()


def _masked(spec: Channel, address: str) -> str:
    return mask_phone(address) if spec.phone_addresses else f"a {spec.name} chat"


def receive(inbound: InboundMessage, *, answer: bool = True) -> tuple[Message, bool]:
    """Store one delivery and queue its answer; (message, created). An external id seen before on
    the channel returns the stored row and queues nothing. `answer=False` (a message a sync imports
    but does not answer) stores it without an answer and without acting on an opt-out or opt-in
    word: an old STOP must not undo a later START.

    The INSERT's unique constraint alone tells a redelivery, concurrent or not: nothing looks the
    id up first, and the duplicate's IntegrityError rolls back all this delivery did (the contact's
    touch, an opt-out), so the webhook's hot path is one transaction of five statements
    (docs/PERFORMANCE.md, "Webhook acknowledgement")."""
    spec = get_channel(inbound.channel)
    word = spec.word(inbound.text)
    try:
        with transaction.atomic():
            contact = contact_inbound_touch(
                address=inbound.address,
                channel=spec.name,
                at=inbound.received_at or timezone.now(),
                display_name=inbound.display_name,
                language=inbound.language,
            )
            opt_out = answer and word in spec.opt_out_words
            opt_in = answer and word in spec.opt_in_words and contact.opted_out
            # No reply to an opt-out word (Twilio itself confirms STOP on long codes) nor to an
            # opted-out contact, one who is opting back in included.
            reply = None if not answer or opt_out or contact.opted_out else _reply_by(contact)
            if reply == "bot" and _needs_channel_answer(spec, inbound):
                reply = "channel"
            user: User | None = contact_user(contact)
            message = external_message_receive(
                external_id=inbound.external_id,
                channel=spec.name,
                from_number=inbound.from_address or inbound.address,
                to_number=inbound.to_address,
                number=inbound.address,
                content=inbound.text,
                status=inbound.status,
                media=inbound.media,
                user=user,
                reply=reply,
                created_at=inbound.received_at,
            )
            if opt_out:
                contact_opt_out(contact=contact, source="keyword")
            elif opt_in:
                contact_opt_in(contact=contact)
            if reply == "channel" and message.reply_state == ReplyState.PENDING:  # not stopped by the loop breaker
                window = spec.burst_window()
                enqueue_on_commit(ANSWER_TASK, message.pk, **({"countdown": window} if window > 0 else {}))
    except IntegrityError:
        existing = Message.objects.filter(channel=spec.name, external_id=inbound.external_id).first()
        if existing is None:
            raise  # not the external id's constraint
        logger.info("Inbound webhook hit for a message already stored (%s): acknowledged only", inbound.external_id)
        return existing, False
    logger.info(
        "Inbound webhook hit: %s message %s from %s (reply by %s)",
        spec.name,
        message.pk,
        _masked(spec, inbound.address),
        reply,
    )
    return message, True
