"""The Twilio channel as the sender of phone verification codes (`settings.PHONE_VERIFICATION_SENDER`):
accounts asks for a code to be sent without importing the channel, which sits above it."""

from __future__ import annotations

from django.conf import settings

from core.exceptions import BadGatewayError, ConflictError
from inbox.services.contacts import contact_for
from messaging.enums import Channel
from messaging.models import Message
from twilio_channel.services.staff_sends import staff_send

WHATSAPP_WINDOW_CLOSED = "WhatsApp cannot deliver the code now; ask for it by SMS."
REDACTED_CODE = "******"


def verification_code_send(*, number: str, channel: str, code: str, text: str) -> None:
    """Send `text` (which holds `code`) to `number` now, through the one send path: opt-outs, the
    per-recipient limit and the sender's configuration apply as to any send. The stored row keeps
    the text with the code masked, so the code lives nowhere but in its hash."""
    fields: dict = {"body": text}
    if channel == Channel.WHATSAPP:
        # Outside the 24-hour window only a template goes through; the generic fallback template
        # would arrive without the code, so only a verification template of its own may be used.
        if not contact_for(address=number, channel=channel).window_open():
            if not settings.PHONE_VERIFICATION_WHATSAPP_CONTENT_SID:
                raise ConflictError(WHATSAPP_WINDOW_CLOSED)
            fields["content_sid"] = settings.PHONE_VERIFICATION_WHATSAPP_CONTENT_SID
            fields["content_variables"] = {"1": code}
        address = f"whatsapp:{number}"
    else:
        address = number
    try:
        message = staff_send(to=address, **fields)
    except BadGatewayError as exc:
        _mask(exc.extra.get("message_id"), text=text, code=code)
        raise
    _mask(message.pk, text=text, code=code)


def _mask(message_id: int | None, *, text: str, code: str) -> None:
    if message_id is not None:
        Message.objects.filter(pk=message_id).update(content=text.replace(code, REDACTED_CODE))
