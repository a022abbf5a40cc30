from django.db import models
from django.utils import timezone

from core.models import TimeStamped
from messaging.models import Message


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
    # the parts arrive in order (inbox.splitting).
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


class TwilioMessage(Message):
    """The SMS and WhatsApp messages of the shared table, as the console's Twilio message log."""

    class Meta:
        proxy = True
        verbose_name = "SMS / WhatsApp message"
