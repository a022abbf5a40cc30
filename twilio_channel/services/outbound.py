"""Outbound Twilio messages as rows: what a send, a reply or a retry stores before any request,
refused locally when Twilio is not configured, the recipient opted out or a WhatsApp window is
closed. A body longer than the channel takes becomes numbered parts (inbox.splitting), the first
`pending`, the others `held`; `sending` delivers them, in order."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction

from core.db import row_insert
from core.exceptions import ApplicationError, ConflictError
from core.redact import mask_phone
from inbox.channels import get_channel
from inbox.models import Contact
from inbox.services.contacts import contact_for
from messaging.enums import Channel, Direction
from messaging.models import CONTENT_MAX_LENGTH, Conversation, Message
from messaging.services.conversations import channel_conversation_get
from twilio_channel.addresses import channel_of, is_e164_address, on_channel, participant_number
from twilio_channel.client import twilio_configured
from twilio_channel.errors import TwilioNotConfigured
from twilio_channel.models import OutboundSend, SendState
from twilio_channel.services.sending import OPTED_OUT, outbound_deliver_or_retry, outbound_send_on_commit

logger = logging.getLogger("twilio_webhook")

WINDOW_CLOSED = "WhatsApp 24-hour window closed; provide content_sid."
NO_SENDER = "No TWILIO_DEFAULT_FROM or messaging service is configured to send from."
MEDIA_URLS_MAX = 10


class SendRefused(ConflictError):
    """Refused locally, without calling Twilio: an opted-out recipient or a closed WhatsApp window."""


def _origin(*, channel: str, from_: str, messaging_service_sid: str, in_reply_to: Message | None) -> tuple[str, str]:
    """(from address, messaging service SID) of a send: an explicit sender, else
    the number the contact wrote to, else the messaging service when replies go through it, else
    TWILIO_DEFAULT_FROM on the channel."""
    if from_:
        return on_channel(from_, channel), ""
    if messaging_service_sid:
        return "", messaging_service_sid
    if in_reply_to is not None and in_reply_to.to_number:
        return in_reply_to.to_number, ""
    if settings.TWILIO_REPLY_VIA_MESSAGING_SERVICE and settings.TWILIO_MESSAGING_SERVICE_SID:
        return "", settings.TWILIO_MESSAGING_SERVICE_SID
    if settings.TWILIO_DEFAULT_FROM:
        return on_channel(settings.TWILIO_DEFAULT_FROM, channel), ""
    if settings.TWILIO_MESSAGING_SERVICE_SID:
        return "", settings.TWILIO_MESSAGING_SERVICE_SID
    raise ApplicationError(NO_SENDER)


def _thread(*, number: str, channel: str, in_reply_to: Message | None) -> Conversation:
    if in_reply_to is not None and in_reply_to.conversation is not None:
        return in_reply_to.conversation
    return channel_conversation_get(number=number, channel=channel)


def outbound_create(
    *,
    to: str,
    body: str = "",
    media_urls: Sequence[str] = (),
    content_sid: str = "",
    content_variables: dict | None = None,
    from_: str = "",
    messaging_service_sid: str = "",
    in_reply_to: Message | None = None,
    sender_id: int | None = None,
    contact: Contact | None = None,
    **ai_fields,
) -> Message:
    """The `queued` row of a message to `to` (`+E164`, or `whatsapp:+E164`), refused locally when
    Twilio is not configured, the recipient opted out, or a WhatsApp window is closed and no
    template is given. `contact` is the recipient's when the caller read it in its transaction (a
    reply); else it is read here. Nothing is sent yet: see `outbound_queue` and `outbound_send_now`. A body
    longer than the channel takes becomes numbered parts (`splitting`): the first row is returned,
    the others are held and sent one after the other once Twilio accepts the one before."""
    if not twilio_configured():
        raise TwilioNotConfigured()
    to = to.strip()
    if not is_e164_address(to):
        raise ApplicationError("Field 'to' must be E.164 formatted (e.g. +48123456789)")
    if not (body or media_urls or content_sid):
        raise ApplicationError("Provide at least one of: 'body', 'content_sid', or 'media_urls'.")
    if len(body) > CONTENT_MAX_LENGTH:
        raise ApplicationError(f"Body must be at most {CONTENT_MAX_LENGTH} characters")
    if len(media_urls) > MEDIA_URLS_MAX or any(not url.startswith(("http://", "https://")) for url in media_urls):
        raise ApplicationError(f"media_urls takes at most {MEDIA_URLS_MAX} http(s) URLs")
    channel = channel_of(to)
    number = participant_number(to)
    contact = contact or contact_for(address=number, channel=channel)
    if contact.opted_out:
        raise SendRefused(OPTED_OUT)
    if channel == Channel.WHATSAPP and not content_sid and not contact.window_open():
        if not settings.WHATSAPP_FALLBACK_CONTENT_SID:
            raise SendRefused(WINDOW_CLOSED)
        content_sid = settings.WHATSAPP_FALLBACK_CONTENT_SID
    from_number, service_sid = _origin(
        channel=channel, from_=from_, messaging_service_sid=messaging_service_sid, in_reply_to=in_reply_to
    )
    # A template is sent instead of the body; anything else longer than the channel takes goes out
    # as numbered parts, each its own row, the first carrying the media and the token usage.
    parts = [body] if content_sid else get_channel(channel).parts(body)
    conversation = _thread(number=number, channel=channel, in_reply_to=in_reply_to)
    later_fields = {name: value for name, value in ai_fields.items() if not name.endswith("_tokens")}
    messages = []
    for index, part in enumerate(parts):
        message = Message(
            conversation=conversation,
            sender_id=sender_id,
            recipient_id=contact.user_id,
            content=part,
            channel=channel,
            direction=Direction.OUTBOUND,
            from_number=from_number or None,
            to_number=to,
            participant_number=number,
            status="queued",
            media=[{"url": url} for url in media_urls] if index == 0 else [],
            in_reply_to=in_reply_to,
            **(ai_fields if index == 0 else later_fields),  # agent, model and token usage of an AI reply
        )
        message.full_clean(exclude=["conversation", "in_reply_to"])
        messages.append(message)
    # Everything above only reads or raises; the rows are written together. Inside a caller's
    # transaction (a task's reply) they need no savepoint of their own: nothing below is caught.
    with transaction.atomic(savepoint=False):
        for message in messages:
            row_insert(message)
        for index, message in enumerate(messages):
            callback = f"{settings.PUBLIC_BASE_URL}/twilio/status?mid={message.pk}" if settings.PUBLIC_BASE_URL else ""
            send = OutboundSend(
                message=message,
                state=SendState.PENDING if index == 0 else SendState.HELD,
                next_part=messages[index + 1] if index + 1 < len(messages) else None,
                messaging_service_sid=service_sid,
                content_sid=content_sid,
                content_variables=content_variables or {},
                status_callback=callback,
            )
            row_insert(send)  # the INSERT built once, as the message's
    if len(messages) > 1:
        logger.info(
            "Outbound message %s split in %s parts for %s (%s characters)",
            messages[0].pk,
            len(messages),
            channel,
            len(body),
        )
    logger.info("Outbound message %s queued to %s (%s)", messages[0].pk, mask_phone(number), channel)
    return messages[0]


def outbound_queue(*, send_here: bool = False, **fields) -> Message:
    """Create the row and send it once this transaction commits: from the `sends` queue (webhook
    replies, sweeps, retries), or `send_here`, from this process (a task's own reply)."""
    message = outbound_create(**fields)
    outbound_send_on_commit(message.pk, here=send_here)
    return message


def outbound_send_now(**fields) -> Message:
    """Create the row and send it inline, with the same claim as the task (API, panel, CLI). The
    row tells what happened: `sent`/`queued`/... with its SID; `failed` with its error when Twilio
    refused it for good; or still `queued` without a SID when Twilio was busy or unreachable (429,
    5xx, network): then the `sends` queue takes it over as the task's first retry, with its backoff
    (and a look in Twilio's list first when the request may have gone through)."""
    message = outbound_create(**fields)
    sent = outbound_deliver_or_retry(message_id=message.pk)
    if sent is None:  # queued for the task's first retry, or another caller has it
        message.refresh_from_db()
    return sent or message


def outbound_refused_record(*, to_message: Message, text: str, error: str, **fields) -> Message:
    """A reply that the channel refused before any request (opted out, window closed, Twilio not
    configured): kept as a `failed` row with its text, so the conversation shows what happened."""
    message = Message.objects.create(
        conversation=to_message.conversation,
        recipient_id=to_message.sender_id,
        content=text[:CONTENT_MAX_LENGTH],
        channel=to_message.channel,
        direction=Direction.OUTBOUND,
        from_number=to_message.to_number,
        to_number=to_message.from_number,
        participant_number=to_message.participant_number,
        status="failed",
        error=error[:500],
        in_reply_to=to_message,
        **fields,  # sender_id, and the agent, model and token usage of an AI reply
    )
    logger.warning("Reply %s to message %s not sent: %s", message.pk, to_message.pk, error)
    return message


def outbound_reply(
    *, to_message: Message, text: str, send_here: bool = False, contact: Contact | None = None, **fields
) -> Message:
    """A reply from the number the contact wrote to, back to the contact (prefix kept), sent from
    the queue or `send_here`; one the channel refuses at once is kept as a `failed` row. `contact`:
    the contact's row when the caller read it in this transaction."""
    try:
        return outbound_queue(
            to=to_message.from_number or "",
            body=text,
            in_reply_to=to_message,
            send_here=send_here,
            contact=contact,
            **fields,
        )
    except ApplicationError as exc:
        return outbound_refused_record(to_message=to_message, text=text, error=exc.message, **fields)
