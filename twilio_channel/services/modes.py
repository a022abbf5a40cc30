"""The channel's reply modes (CONTRACT §4.7): the auto-reply switch and its text."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from twilio_channel.models import AUTO_REPLY_MAX_LENGTH, AutoReplyConfig

logger = logging.getLogger("twilio_webhook")

TEXT_REQUIRED = "Auto-reply text is required when the feature is enabled."
TEXT_TOO_LONG = f"Auto-reply text cannot exceed {AUTO_REPLY_MAX_LENGTH} characters."


def auto_reply_text_clean(*, enabled: bool, message: str) -> str:
    text = (message or "").strip()
    if enabled and not text:
        raise ApplicationError(TEXT_REQUIRED)
    if len(text) > AUTO_REPLY_MAX_LENGTH:
        raise ApplicationError(TEXT_TOO_LONG)
    return text


@transaction.atomic
def auto_reply_config_set(*, enabled: bool, message: str) -> AutoReplyConfig:
    """Switch the auto-reply and set its text (trimmed). `enabled_since` is set when it turns on and
    kept while it stays on, so messages received before that are never answered."""
    text = auto_reply_text_clean(enabled=enabled, message=message)
    config, _ = AutoReplyConfig.objects.select_for_update().get_or_create(pk=1)
    if enabled and not config.enabled:
        config.enabled_since = timezone.now()
    elif not enabled:
        config.enabled_since = None
    config.enabled, config.message = enabled, text
    config.save()
    logger.info("Auto-reply %s", "enabled" if enabled else "disabled")
    return config
