"""The Twilio channel's replier of SMS and WhatsApp messages (twilio_channel.channel): its own
delivery (twilio_channel.services.sending), which reconciles with Twilio's message list."""

from inbox.models import Contact
from messaging.models import Message
from twilio_channel.services.outbound import outbound_reply


def reply(
    *, to_message: Message, text: str, send_here: bool = False, contact: Contact | None = None, **fields
) -> Message:
    return outbound_reply(to_message=to_message, text=text, send_here=send_here, contact=contact, **fields)
