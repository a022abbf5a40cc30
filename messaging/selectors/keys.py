"""Conversation keys: the pair key of two users, a user's AI thread, an external number's thread."""

from django.conf import settings

from messaging.enums import Channel
from messaging.keys import channel_conversation_key


def pair_key(a: int, b: int) -> str:
    """The default conversation id for two participants: `conv_{min}_{max}`."""
    return f"conv_{min(a, b)}_{max(a, b)}"


def phone_conversation_key(*, number: str, channel: str) -> str:
    """The thread of an external number: SMS and WhatsApp threads of one number stay apart."""
    return channel_conversation_key(
        number=number, channel=Channel.WHATSAPP if channel == Channel.WHATSAPP else Channel.SMS
    )


def ai_conversation_key(*, user_id: int) -> str:
    return pair_key(settings.AI_BOT_USER_ID, user_id)
