"""The phone simulator of the staff panel (issue 28 point 2): a message typed as any number goes
through the webhook's own pipeline (`inbound_receive`: the contact, dedup, the reply modes, the AI,
the outbound rows and their statuses), so an operator can check the auto-reply, AI and handoff
set-up before going live. With the Twilio stand-in (TWILIO_API_BASE_URL, demo mode) the replies
stay on this machine; with a real account they really go to the number typed, so the caller must
say so (`send_for_real`)."""

from __future__ import annotations

import logging
import uuid

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException

from core.exceptions import ApplicationError
from core.phones import InvalidPhoneNumber, normalize_e164
from core.redact import mask_phone
from core.text import text_clean
from messaging.enums import Channel
from messaging.models import Message
from twilio_channel.addresses import on_channel
from twilio_channel.client import twilio_client, twilio_configured
from twilio_channel.services.inbound import InboundMessage, inbound_receive

logger = logging.getLogger("twilio_webhook")

SIMULATOR_BODY_MAX_LENGTH = 1600  # an SMS as Twilio takes it


def simulator_replies_are_real() -> bool:
    """Whether the replies reach a real phone: Twilio is the real one, not a stand-in."""
    return not settings.TWILIO_API_BASE_URL


def simulator_participant(*, number: str, channel: str) -> str:
    """The thread's address for `number` on `channel` (`+48…` or `whatsapp:+48…`); refuses a number
    that is not E.164."""
    try:
        e164 = normalize_e164(number)
    except InvalidPhoneNumber as exc:
        raise ApplicationError(str(exc), extra={"field": "number"}) from exc
    if e164 is None:
        raise ApplicationError("Enter the number to write from.", extra={"field": "number"})
    if channel not in (Channel.SMS, Channel.WHATSAPP):
        raise ApplicationError("Choose SMS or WhatsApp.", extra={"field": "channel"})
    return on_channel(e164, channel)


def simulator_inbound(*, number: str, channel: str, body: str, send_for_real: bool = False) -> Message:
    """Receive `body` as if `number` had sent it on `channel` to our number (TWILIO_DEFAULT_FROM),
    under a fresh MessageSid, and queue its reply exactly as the webhook would."""
    participant = simulator_participant(number=number, channel=channel)
    text = text_clean(body)
    if not text.strip():
        raise ApplicationError("Type a message first.", extra={"field": "body"})
    if len(text) > SIMULATOR_BODY_MAX_LENGTH:
        raise ApplicationError("The message cannot exceed 1600 characters.", extra={"field": "body"})
    if not settings.TWILIO_DEFAULT_FROM:
        raise ApplicationError("The simulator writes to TWILIO_DEFAULT_FROM: set it first.")
    if simulator_replies_are_real() and not send_for_real:
        raise ApplicationError(
            "Twilio is live: the replies really go to this number. Confirm that you want that.",
            extra={"field": "send_for_real"},
        )
    inbound = InboundMessage(
        sid="SM" + uuid.uuid4().hex,
        from_=participant,
        to=on_channel(settings.TWILIO_DEFAULT_FROM, channel),
        body=text,
    )
    message, _ = inbound_receive(inbound=inbound)
    logger.info("Phone simulator: message %s from %s", message.pk, mask_phone(participant))
    return message


def simulator_received_texts(*, participant: str, limit: int) -> dict[str, str]:
    """The texts as the contact's phone got them, by MessageSid: Twilio's own copy, asked of the
    local stand-in only. There the simulator is the phone, so a verification code shows as sent
    (the stored row keeps it masked) and a demo user can verify a number. With a real Twilio the
    phone is real and the page shows the stored rows alone (empty here)."""
    if simulator_replies_are_real() or not twilio_configured():
        return {}
    try:
        resources = twilio_client().messages.list(to=participant, limit=limit)
    except (TwilioException, requests.RequestException) as exc:
        logger.warning("Phone simulator: the Twilio stand-in did not list the replies: %s", type(exc).__name__)
        return {}
    return {resource.sid: resource.body or "" for resource in resources if resource.sid}
