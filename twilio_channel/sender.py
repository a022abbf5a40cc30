"""The Twilio channel as messaging's sender of SMS and WhatsApp replies
(`settings.MESSAGING_CHANNEL_SENDERS`)."""

from messaging.models import Message
from twilio_channel.services.sending import outbound_reply


class TwilioSender:
    def reply(self, *, to_message: Message, text: str, **fields) -> Message:
        return outbound_reply(to_message=to_message, text=text, **fields)


sender = TwilioSender()
