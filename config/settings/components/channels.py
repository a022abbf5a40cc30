"""The inbox (every external channel: which exist, message parts, the shared delivery) and the
Telegram channel. Twilio's own settings are in `twilio`."""

from config.env import int_alias, str_alias

# --- Inbox (every external channel) ----------------------------------------------------------
# The channels: name -> dotted path of the channel app's `inbox.channels.Channel` declaration.
INBOX_CHANNELS = {
    "sms": "twilio_channel.channel.SMS",
    "whatsapp": "twilio_channel.channel.WHATSAPP",
    "telegram": "telegram_channel.channel.TELEGRAM",
}
# Sections channel apps add to the profile page (/app/profile/), in this order: template names,
# each rendered with the page's context (its app's own template tags fetch what it shows).
PROFILE_SECTIONS = ["telegram_channel/profile_section.html"]
# A long text goes out as at most this many numbered parts (Twilio's channels: TWILIO_MAX_PARTS).
INBOX_MAX_PARTS = int_alias("INBOX_MAX_PARTS", default=10)
# The inbox's delivery (channels without their own): a send's claim lapses after INBOX_SEND_LEASE_S
# (the sweeper sends it again); a transient error is retried INBOX_SEND_MAX_RETRIES times, waiting
# what the channel asks (a 429's retry_after) but never more than INBOX_SEND_RETRY_AFTER_MAX_S,
# far below the broker's visibility timeout.
INBOX_SEND_LEASE_S = float(str_alias("INBOX_SEND_LEASE_S", default="60"))
INBOX_SEND_MAX_RETRIES = int_alias("INBOX_SEND_MAX_RETRIES", default=4)
INBOX_SEND_RETRY_AFTER_MAX_S = float(str_alias("INBOX_SEND_RETRY_AFTER_MAX_S", default="60"))

# --- Telegram channel -------------------------------------------------------------------------
# The bot's token from BotFather; without it the app boots and Telegram is simply off.
TELEGRAM_BOT_TOKEN = str_alias("TELEGRAM_BOT_TOKEN", default="")
TELEGRAM_API_BASE_URL = str_alias("TELEGRAM_API_BASE_URL", default="https://api.telegram.org").rstrip("/")
# Telegram sends it in X-Telegram-Bot-Api-Secret-Token on every webhook call (`telegram_webhook set`
# registers it); unset, the webhook refuses everything (use `telegram_poll` instead).
TELEGRAM_WEBHOOK_SECRET = str_alias("TELEGRAM_WEBHOOK_SECRET", default="")
# For the "Connect Telegram" deep link; empty: asked of Telegram (getMe) once and cached.
TELEGRAM_BOT_USERNAME = str_alias("TELEGRAM_BOT_USERNAME", default="").lstrip("@")
TELEGRAM_HTTP_TIMEOUT_S = float(str_alias("TELEGRAM_HTTP_TIMEOUT_S", default="10"))
TELEGRAM_POLL_TIMEOUT_S = int_alias("TELEGRAM_POLL_TIMEOUT_S", default=25)  # getUpdates long poll
# A "Connect Telegram" code works once, within this many seconds.
TELEGRAM_LINK_CODE_TTL_S = 15 * 60
