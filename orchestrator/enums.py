from django.db import models


class AIEnabledSource(models.TextChoices):
    """Who last decided `AIConfig.enabled`."""

    DB = "db", "stored default"  # nobody has decided yet
    ENV = "env", "environment"  # the AI_ENABLED bootstrap
    UI = "ui", "panel or admin"  # also the API; from then on the environment overlays nothing
