"""Bot API errors, classified in one place into the inbox's error classes."""

from inbox.errors import ChannelError, OptedOutError, PermanentChannelError, TransientChannelError
from telegram_channel.client import TelegramError


def classify(exc: TelegramError) -> ChannelError:
    """429: wait the `retry_after` Telegram asks for, then retry; 5xx and no answer: retry (the
    message may have gone out); 403 (the user blocked the bot, or deleted their account): opted
    out; any other 4xx ("chat not found", a bad request): fail at once."""
    status = exc.status
    if status == 429:
        return TransientChannelError("Telegram rate limit", status=status, retry_after=exc.retry_after)
    if status is None or status >= 500:
        return TransientChannelError(f"Telegram unavailable: {exc.description}", status=status, maybe_sent=exc.reached)
    if status == 403:
        return OptedOutError(f"Telegram refused: {exc.description}", status=status)
    return PermanentChannelError(f"Telegram refused: {exc.description}", status=status)
