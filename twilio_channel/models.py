from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.models import TimeStamped
from messaging.enums import Channel
from messaging.models import Message
from twilio_channel.enums import OptOutSource

WHATSAPP_WINDOW = timedelta(hours=24)
AUTO_REPLY_MAX_LENGTH = 640


class Contact(TimeStamped):
    """An external party of one channel: a normalised number on SMS or WhatsApp."""

    number = models.CharField(max_length=32)
    channel = models.CharField(max_length=10, choices=[(Channel.SMS, "SMS"), (Channel.WHATSAPP, "WhatsApp")])
    profile_name = models.CharField(max_length=255, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    opted_out = models.BooleanField(default=False)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    opt_out_source = models.CharField(max_length=10, choices=OptOutSource.choices, blank=True, default="")
    last_inbound_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["number", "channel"], name="contact_number_channel_unique")]
        ordering = ["-last_inbound_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel}:{self.number}"

    @property
    def window_expires_at(self) -> datetime | None:
        """WhatsApp only: free-form messages are allowed until 24 h after the contact last wrote."""
        if self.channel != Channel.WHATSAPP or self.last_inbound_at is None:
            return None
        return self.last_inbound_at + WHATSAPP_WINDOW

    def window_open(self, at: datetime | None = None) -> bool:
        expires = self.window_expires_at
        return expires is not None and (at or timezone.now()) < expires


class SendState(models.TextChoices):
    HELD = "held"  # a later part of a split message: waits until the part before it is sent
    PENDING = "pending"  # waiting for a (first or next) attempt
    SENDING = "sending"  # claimed by one caller, the Twilio request under way
    SENT = "sent"  # Twilio accepted it: Message.status follows Twilio from here
    FAILED = "failed"


class OutboundSend(TimeStamped):
    """The delivery of one outbound message: its claim state, what it is sent with
    beyond the Message row (template, messaging service) and how its attempts went. The claim is
    kept apart from Message.status, which shows Twilio's own statuses ("queued" there means queued
    at Twilio, not waiting here)."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="outbound_send")
    state = models.CharField(max_length=10, choices=SendState.choices, default=SendState.PENDING)
    messaging_service_sid = models.CharField(max_length=64, blank=True, default="")
    content_sid = models.CharField(max_length=64, blank=True, default="")
    content_variables = models.JSONField(default=dict, blank=True)
    status_callback = models.URLField(max_length=500, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    # Set when an attempt may have reached Twilio (a 5xx or a timeout after the request went out):
    # the next attempt first looks for the message in Twilio's list instead of sending again.
    needs_reconcile = models.BooleanField(default=False)
    last_error_code = models.IntegerField(null=True, blank=True)
    # The next part of a message split for its channel: held until Twilio accepts this one, so
    # the parts arrive in order (twilio_channel.services.splitting).
    next_part = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="previous_part_send"
    )

    class Meta:
        indexes = [models.Index(fields=["state", "updated_at"])]

    def __str__(self) -> str:
        return f"Send of message {self.message_id}"


class MessageStatusEvent(models.Model):
    """Every status callback Twilio sent, append-only."""

    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="status_events")
    twilio_sid = models.CharField(max_length=64)
    status = models.CharField(max_length=32)
    error_code = models.CharField(max_length=16, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["twilio_sid", "status"], name="status_event_sid_status_unique")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.twilio_sid} {self.status}"


class AutoReplyConfig(models.Model):
    """Singleton (pk=1): a fixed text answers every inbound message while enabled."""

    enabled = models.BooleanField(default=False)
    message = models.CharField(max_length=AUTO_REPLY_MAX_LENGTH, blank=True, default="")
    enabled_since = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "auto-reply configuration"

    def __str__(self) -> str:
        return "Auto-reply " + ("on" if self.enabled else "off")

    @classmethod
    def load(cls) -> "AutoReplyConfig":
        config, _ = cls.objects.get_or_create(pk=1)
        return config


class TwilioMessage(Message):
    """The SMS and WhatsApp messages of the shared table, as the console's Twilio message log."""

    class Meta:
        proxy = True
        verbose_name = "SMS / WhatsApp message"
