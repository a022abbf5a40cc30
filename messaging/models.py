from django.conf import settings
from django.db import models
from django.utils import timezone

from core.models import TimeStamped
from messaging.enums import Channel, ConversationKind, ConversationMode, Direction, ModeReason, ReplyState

CONTENT_MAX_LENGTH = 50_000
CONVERSATION_KEY_MAX_LENGTH = 100


class Conversation(TimeStamped):
    """A thread: user↔user (`conv_{a}_{b}`), user↔AI (`conv_-1_{uid}`), phone, or a custom id."""

    key = models.CharField(max_length=CONVERSATION_KEY_MAX_LENGTH, unique=True)
    kind = models.CharField(max_length=10, choices=ConversationKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="ai_conversations"
    )
    user_a = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_b = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    participant_number = models.CharField(max_length=32, null=True, blank=True, db_index=True)
    context_reset_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Human handoff: in `human` mode the AI stays silent.
    mode = models.CharField(max_length=10, choices=ConversationMode.choices, default=ConversationMode.AI)
    # AI routing stickiness: the agent of the last assistant turn and when it answered.
    last_agent = models.CharField(max_length=64, blank=True, default="")
    last_agent_at = models.DateTimeField(null=True, blank=True)
    # One AI turn at a time: a lease taken by compare-and-set UPDATE.
    ai_lease_until = models.DateTimeField(null=True, blank=True)
    ai_lease_token = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-last_message_at", "-id"]

    def __str__(self) -> str:
        return self.key


class Message(TimeStamped):
    """One table for web/API and Twilio traffic. `sender_id`/`recipient_id` are plain integers
    so the AI bot (-1) and external parties (NULL) fit without fake user rows."""

    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    # Indexed by the (party, created_at, id) indexes below, which also serve lookups by party alone.
    sender_id = models.BigIntegerField(null=True, blank=True)
    recipient_id = models.BigIntegerField(null=True, blank=True)
    content = models.TextField(blank=True, default="")
    is_read = models.BooleanField(default=False)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.INTERNAL)
    from_number = models.CharField(max_length=64, null=True, blank=True)
    to_number = models.CharField(max_length=64, null=True, blank=True)
    # The other party: its address on the message's channel (a number, a chat id).
    participant_number = models.CharField(max_length=32, null=True, blank=True)
    # The channel's id of the message (Twilio's MessageSid, Telegram's update or message id):
    # unique per channel, so a redelivery is told by the INSERT itself.
    external_id = models.CharField(max_length=64, null=True, blank=True)
    status = models.CharField(max_length=32, null=True, blank=True)
    error = models.TextField(null=True, blank=True)
    num_media = models.IntegerField(default=0)
    media = models.JSONField(default=list, blank=True)
    reply_state = models.CharField(max_length=12, choices=ReplyState.choices, default=ReplyState.NONE)
    in_reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    # A resend of a failed outbound message points at it; the failed row stays as it was.
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")
    # AI replies record what produced them.
    agent = models.CharField(max_length=64, blank=True, default="")
    model = models.CharField(max_length=100, blank=True, default="")
    prompt_tokens = models.IntegerField(null=True, blank=True)
    completion_tokens = models.IntegerField(null=True, blank=True)
    # What the LLM calls of the reply cost, in USD (orchestrator.pricing); None when unpriced.
    ai_cost = models.DecimalField(max_digits=18, decimal_places=9, null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["conversation", "created_at"]),
            models.Index(fields=["direction", "created_at"]),
            models.Index(fields=["participant_number", "created_at"]),
            models.Index(fields=["recipient_id", "is_read"]),
            models.Index(fields=["reply_state", "updated_at"]),
            # A party's newest messages, read in list order without reading the rest of its history.
            models.Index(fields=["sender_id", "created_at", "id"], name="message_sender_newest"),
            models.Index(fields=["recipient_id", "created_at", "id"], name="message_recipient_newest"),
            # The staff insights (inbox.selectors.insights) read a range of days: every column they
            # aggregate is in the index, so the range is read from the index alone (PostgreSQL's
            # index-only scan, SQLite's covering index). Key columns, not INCLUDE, which SQLite lacks.
            models.Index(
                fields=[
                    "created_at",
                    "channel",
                    "direction",
                    "status",
                    "conversation",
                    "sender_id",
                    "recipient_id",
                    "ai_cost",
                    "model",
                    "id",
                ],
                name="message_insights_by_time",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="message_channel_external_id_unique")
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} in {self.conversation_id}"

    # The Twilio channel's name for the external id (its API and panel show `twilio_sid`).
    @property
    def twilio_sid(self) -> str | None:
        return self.external_id

    @twilio_sid.setter
    def twilio_sid(self, value: str | None) -> None:
        self.external_id = value


class ModeChange(models.Model):
    """A conversation switched between the AI and a human: to which mode, why and when. Written by
    the one function that switches modes (messaging.services.conversations.conversation_mode_set);
    the handoff inbox shows the newest reason, the insights count handoffs by reason, day and channel."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="mode_changes")
    mode = models.CharField(max_length=10, choices=ConversationMode.choices)
    reason = models.CharField(max_length=10, choices=ModeReason.choices)
    # The channel of the conversation (its key space), "web" for users' AI threads and the rest.
    channel = models.CharField(max_length=10, choices=Channel.choices)
    source = models.CharField(max_length=100, blank=True, default="")  # who, for the log ("staff 3 in the panel")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="modechange_created"),
            models.Index(fields=["conversation", "created_at"], name="modechange_conversation_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id} -> {self.mode} ({self.reason})"
