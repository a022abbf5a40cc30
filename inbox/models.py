from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.models import TimeStamped
from inbox.channels import UnknownChannel, get_channel
from inbox.enums import OptOutSource
from messaging.enums import Channel

WHATSAPP_WINDOW = timedelta(hours=24)
AUTO_REPLY_MAX_LENGTH = 640
ADDRESS_MAX_LENGTH = 32


class Contact(TimeStamped):
    """An external party of one channel: a normalised number on SMS or WhatsApp, a chat id on
    Telegram. `user` is the account it was linked to (a verified phone number, a one-time code)."""

    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=ADDRESS_MAX_LENGTH)
    display_name = models.CharField(max_length=255, blank=True, default="")
    # One of settings.LANGUAGES the contact's app uses, when the channel says (Telegram): the inbox's
    # own texts (help, "text only") answer in it. "" = the site's default.
    language = models.CharField(max_length=8, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    opted_out = models.BooleanField(default=False)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    opt_out_source = models.CharField(max_length=10, choices=OptOutSource.choices, blank=True, default="")
    last_inbound_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "address"], name="contact_channel_address_unique")]
        ordering = ["-last_inbound_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel}:{self.address}"

    # The names the Twilio channel has always used (its API, panel and CLI speak of numbers).
    @property
    def number(self) -> str:
        return self.address

    @number.setter
    def number(self, value: str) -> None:
        self.address = value

    @property
    def profile_name(self) -> str:
        return self.display_name

    @profile_name.setter
    def profile_name(self, value: str) -> None:
        self.display_name = value

    @property
    def window_expires_at(self) -> datetime | None:
        """WhatsApp only: free-form messages are allowed until 24 h after the contact last wrote."""
        try:
            windowed = get_channel(self.channel).window_24h
        except UnknownChannel:
            windowed = False
        if not windowed or self.last_inbound_at is None:
            return None
        return self.last_inbound_at + WHATSAPP_WINDOW

    def window_open(self, at: datetime | None = None) -> bool:
        expires = self.window_expires_at
        return expires is not None and (at or timezone.now()) < expires


class AutoReplyConfig(models.Model):
    """Singleton (pk=1): a fixed text answers every inbound message, on every channel, while enabled.
    Its table keeps the name it had in the Twilio channel."""

    enabled = models.BooleanField(default=False)
    message = models.CharField(max_length=AUTO_REPLY_MAX_LENGTH, blank=True, default="")
    enabled_since = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "twilio_channel_autoreplyconfig"
        verbose_name = "auto-reply configuration"

    def __str__(self) -> str:
        return "Auto-reply " + ("on" if self.enabled else "off")

    @classmethod
    def load(cls) -> "AutoReplyConfig":
        config, _ = cls.objects.get_or_create(pk=1)
        return config
