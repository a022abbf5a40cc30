"""The Telegram channel as the inbox sees it: its limits, words and sender, declared in one place
(registered in settings.INBOX_CHANNELS)."""

from django.utils.translation import gettext_lazy as _

from inbox.channels import Channel

HELP_TEXT = _(
    "I am the AI assistant: write your question and I will answer. /help shows this text, /stop "
    'stops my messages (/start brings them back). Write "human" to talk to a person and "bot" to '
    "come back to me. To let me act on your account, use Connect Telegram on your profile page."
)

TELEGRAM = Channel(
    name="telegram",
    label=_("Telegram"),
    max_length=4096,  # sendMessage's limit: longer texts go as parts split at paragraphs, else sentences
    sender="telegram_channel.sender.sender",
    media=False,  # photos, voice and documents are kept as references and answered "text only"
    opt_out_words=frozenset({"/stop"}),
    opt_in_words=frozenset({"/start"}),
    help_words=frozenset({"/help", "/start"}),
    help_text=HELP_TEXT,
)
