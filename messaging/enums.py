from django.db import models


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
