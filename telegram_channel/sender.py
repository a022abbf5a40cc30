"""Telegram as the inbox's sender of one outbound row (already split to the channel's length)."""

from inbox.errors import PermanentChannelError
from messaging.models import Message
from telegram_channel.client import TelegramError, TelegramNotConfigured, telegram_client
from telegram_channel.errors import classify


class TelegramSender:
    def send(self, message: Message) -> str:
        """sendMessage to the row's chat; the sent message's id, unique per bot as `chat:message`."""
        try:
            result = telegram_client().send_message(chat_id=message.participant_number or "", text=message.content)
        except TelegramNotConfigured as exc:
            raise PermanentChannelError(exc.message) from None
        except TelegramError as exc:
            raise classify(exc) from None
        return f"{message.participant_number}:{result['message_id']}"


sender = TelegramSender()
