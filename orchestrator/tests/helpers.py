"""Shared helpers of the orchestrator tests."""

from messaging.models import Message
from messaging.services.messages import message_send


def send_to_bot(user, text: str, *, channel: str = "web", conversation_key: str | None = None) -> Message:
    """The user's message to the AI bot, stored as the API stores it (reply_state pending)."""
    return message_send(sender=user, recipient_id=-1, content=text, channel=channel, conversation_key=conversation_key)


def bot_replies(user) -> list[Message]:
    return list(Message.objects.filter(sender_id=-1, recipient_id=user.pk).order_by("id"))
