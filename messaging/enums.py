from django.db import models
from django.utils.translation import gettext_lazy as _


class ConversationKind(models.TextChoices):
    DIRECT = "direct"
    AI = "ai"
    PHONE = "phone"
    CUSTOM = "custom"


class ConversationMode(models.TextChoices):
    AI = "ai"
    HUMAN = "human"


class Channel(models.TextChoices):
    WEB = "web"
    API = "api"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"


class Direction(models.TextChoices):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class ReplyState(models.TextChoices):
    NONE = "none"
    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class ModeReason(models.TextChoices):
    """Why a conversation changed mode (messaging.ModeChange). ASKED: the person typed "human" or
    "bot", or the AI agent handed over (its tool); LOOP: the loop breaker (too many messages in a
    window, or the same text again and again); BUDGET: an AI spend cap was reached
    (AI_BUDGET_EXHAUSTED_ACTION=handoff); STAFF: a staff member (panel, API, admin)."""

    ASKED = "asked", _("Asked for a person")
    LOOP = "loop", _("Loop or flood of messages")
    BUDGET = "budget", _("AI budget spent")
    STAFF = "staff", _("Taken over by staff")
