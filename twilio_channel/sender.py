"""The Twilio channel as messaging's sender of SMS and WhatsApp replies
(`settings.MESSAGING_CHANNEL_SENDERS`)."""

from core.exceptions import ApplicationError
from messaging.models import Message
from twilio_channel.services.sending import outbound_queue, outbound_refused_record


class TwilioSender:
    def reply(self, *, to_message: Message, text: str, **fields) -> Message:
        """From the number the contact wrote to, back to the contact (prefix kept, CONTRACT §4.4.5)."""
        try:
            return outbound_queue(to=to_message.from_number or "", body=text, in_reply_to=to_message, **fields)
        except ApplicationError as exc:
            return outbound_refused_record(to_message=to_message, text=text, error=exc.message, **fields)


sender = TwilioSender()
