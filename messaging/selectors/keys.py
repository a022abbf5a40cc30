"""Conversation keys: the pair key of two users, a user's AI thread, an external number's thread."""

from django.conf import settings

from messaging.keys import channel_conversation_key


def pair_key(a: int, b: int) -> str:
    """The default conversation id for two participants: `conv_{min}_{max}`."""
    return f"conv_{min(a, b)}_{max(a, b)}"


def phone_conversation_key(*, number: str, channel: str) -> str:
    """The thread of an external address on its channel: SMS and WhatsApp threads of one number
    stay apart, and so do other channels' (a Telegram chat id is never an SMS number's thread)."""
    return channel_conversation_key(number=number, channel=channel)


def ai_conversation_key(*, user_id: int) -> str:
    return pair_key(settings.AI_BOT_USER_ID, user_id)
