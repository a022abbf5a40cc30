"""SMS and WhatsApp as the inbox sees them (settings.INBOX_CHANNELS): one declaration each."""

from django.utils.translation import gettext_lazy as _

from inbox.channels import Channel

# The whole trimmed body, any case: "STOP 12345" is an ordinary message.
OPT_OUT_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"})
OPT_IN_WORDS = frozenset({"start", "yes", "unstop"})

_TWILIO = {
    "sender": "twilio_channel.sender.sender",
    # Twilio's own delivery: it reconciles a send that may have reached Twilio with its message list.
    "replier": "twilio_channel.sender.reply",
    "opt_out_words": OPT_OUT_WORDS,
    "opt_in_words": OPT_IN_WORDS,
    "media": True,  # stored with the message (Twilio answers HELP itself on long codes)
    "phone_addresses": True,
    "max_parts_setting": "TWILIO_MAX_PARTS",
}

SMS = Channel(name="sms", label=_("SMS"), max_length=1600, max_length_setting="TWILIO_SMS_MAX_CHARS", **_TWILIO)
WHATSAPP = Channel(
    name="whatsapp",
    label=_("WhatsApp"),
    max_length=4096,
    max_length_setting="TWILIO_WHATSAPP_MAX_CHARS",
    window_24h=True,
    templates=True,
    **_TWILIO,
)
