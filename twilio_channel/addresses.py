"""Twilio addresses: `+48123456789` for SMS, `whatsapp:+48123456789` for WhatsApp."""

from core.phones import E164_RE, normalize_contact
from messaging.enums import Channel

WHATSAPP_PREFIX = "whatsapp:"


def channel_of(address: str) -> str:
    return Channel.WHATSAPP if address.strip().lower().startswith(WHATSAPP_PREFIX) else Channel.SMS


def on_channel(address: str, channel: str) -> str:
    """`address` with the prefix of `channel`: added for WhatsApp, stripped for SMS."""
    bare = address.strip()
    if bare.lower().startswith(WHATSAPP_PREFIX):
        bare = bare[len(WHATSAPP_PREFIX) :]
    return f"{WHATSAPP_PREFIX}{bare}" if channel == Channel.WHATSAPP else bare


def is_e164_address(address: str) -> bool:
    """E.164 after an optional `whatsapp:` prefix (so WhatsApp senders count)."""
    return bool(E164_RE.match(on_channel(address, Channel.SMS)))


def participant_number(address: str) -> str:
    return normalize_contact(address)
