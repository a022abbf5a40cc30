"""The channel's reply modes: the auto-reply switch and its text, the AI auto-reply
switch and its settings (orchestrator.AIConfig), and which of them answers.

The two switches exclude each other: turning one on turns the other off, in one transaction. Both
paths lock the AIConfig row before the AutoReplyConfig row, so two staff members flipping opposite
switches at once wait for each other instead of deadlocking.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Final, Literal

from django.conf import settings
from django.db import connection, router, transaction
from django.db.models import Exists
from django.utils import timezone

from core.exceptions import ApplicationError
from core.redact import mask_phone
from core.statements import Compiled
from inbox.models import AUTO_REPLY_MAX_LENGTH, AutoReplyConfig
from orchestrator.enums import AIEnabledSource
from orchestrator.model_names import model_name_problem
from orchestrator.models import TEMPERATURE_MAX, TEMPERATURE_MIN, TEMPERATURE_OUT_OF_RANGE, AIConfig, target_normalize

logger = logging.getLogger("twilio_webhook")

TEXT_REQUIRED = "Auto-reply text is required when the feature is enabled."
TEXT_TOO_LONG = f"Auto-reply text cannot exceed {AUTO_REPLY_MAX_LENGTH} characters."
# T16's messages, and two for what the table's columns cannot hold
TEMPERATURE_NOT_A_NUMBER = "Temperature must be a number."
TARGET_REQUIRED = "Provide the conversation partner's number."
API_KEY_REQUIRED = "Provide an API key to enable the AI integration."
TARGET_MAX_LENGTH = 64  # AIConfig.target_number
TARGET_TOO_LONG = f"The conversation partner's number cannot exceed {TARGET_MAX_LENGTH} characters."

ReplyMode = Literal["ai", "auto_reply", "off"]


def auto_reply_text_clean(*, enabled: bool, message: str) -> str:
    text = (message or "").strip()
    if enabled and not text:
        raise ApplicationError(TEXT_REQUIRED)
    if len(text) > AUTO_REPLY_MAX_LENGTH:
        raise ApplicationError(TEXT_TOO_LONG)
    return text


@transaction.atomic
def auto_reply_config_set(*, enabled: bool | None, message: str | None) -> AutoReplyConfig:
    """Switch the auto-reply and set its text (trimmed); None keeps what is stored (issue 23: an
    absent field never changes configuration). `enabled_since` is set when it turns on and kept
    while it stays on, so messages received before that are never answered. Turning it on turns
    the AI auto-reply off."""
    if enabled is None or message is None:
        stored = AutoReplyConfig.objects.filter(pk=1).first() or AutoReplyConfig()
        enabled = stored.enabled if enabled is None else enabled
        message = stored.message if message is None else message
    text = auto_reply_text_clean(enabled=enabled, message=message)
    if enabled:
        ai_config_force_off()  # first: the lock order of this module's docstring
    config, _ = AutoReplyConfig.objects.select_for_update().get_or_create(pk=1)
    if enabled and not config.enabled:
        config.enabled_since = timezone.now()
    elif not enabled:
        config.enabled_since = None
    config.enabled, config.message = enabled, text
    config.save()
    logger.info("Auto-reply %s", "enabled" if enabled else "disabled")
    return config


def _switches_sql() -> str:
    quote = connection.ops.quote_name
    exists = "EXISTS(SELECT 1 FROM {} WHERE {} = 1 AND {})"
    return "SELECT " + ", ".join(
        exists.format(
            quote(model._meta.db_table), quote(model._meta.pk.column), quote(model._meta.get_field("enabled").column)
        )
        for model in (AIConfig, AutoReplyConfig)
    )


def reply_mode() -> ReplyMode:
    """The mode that answers an inbound message: "ai" (the AI auto-reply), "auto_reply" (the fixed
    text) or "off". The AI wins if both are somehow on. Read from the database each
    time, never cached: a switch flipped in the panel (in any process) applies to the very next
    inbound message. Both switches in one statement: it costs less than asking a shared cache
    whether a cached copy is still current (docs/PERFORMANCE.md, "Webhook acknowledgement")."""
    with connection.cursor() as cursor:
        cursor.execute(_switches_sql())
        ai_on, auto_reply_on = cursor.fetchone()
    if ai_on:
        return "ai"
    return "auto_reply" if auto_reply_on else "off"


def _auto_reply_text_sql(using: str, shape: object):
    ai_on = AIConfig.objects.using(using).filter(pk=1, enabled=True)
    on = AutoReplyConfig.objects.using(using).filter(pk=1, enabled=True).exclude(Exists(ai_on))
    return on.order_by().values_list("message")[:1].query.get_compiler(using).as_sql()


_AUTO_REPLY_TEXT = Compiled(_auto_reply_text_sql)


def auto_reply_text() -> str | None:
    """The auto-reply's text when it is the mode that answers ("" when on without a text), else
    None: reply_mode() and the text in one statement, compiled once (core.statements)."""
    using = router.db_for_read(AutoReplyConfig)
    row = _AUTO_REPLY_TEXT.row(using=using)
    return None if row is None else row[0]


UnknownContactReply = Literal["none", "chat", "text"]


def unknown_contact_reply() -> UnknownContactReply:
    """What a sender who is no user gets when both switches are off (issue 28 point 8): the
    UNKNOWN_CONTACT_REPLY setting; unset, the chat engine only while Twilio is a local stand-in
    (TWILIO_API_BASE_URL, the demo), else nothing: on a real number every reply costs money, and an
    echo to anyone who writes is no service. A value it does not know counts as "none"."""
    value = settings.UNKNOWN_CONTACT_REPLY.strip().lower()
    if not value:
        return "chat" if settings.TWILIO_API_BASE_URL else "none"
    if value == "chat":
        return "chat"
    return "text" if value == "text" else "none"


# --- the AI auto-reply (orchestrator.AIConfig) ----------------------------------------------


class Unchanged:
    """The type of UNCHANGED, the "absent" of an optional field whose "" means something (the key)."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = Unchanged()  # `api_key=UNCHANGED` (the default) keeps the stored key; "" clears it


def _key_change(api_key: str | Unchanged) -> str:
    if isinstance(api_key, Unchanged):
        return "unchanged"
    return "set" if api_key else "cleared"


@dataclass(frozen=True)
class AIConfigInput:
    """The cleaned values of one change; None (UNCHANGED for the key) keeps the stored value."""

    enabled: bool
    target_number: str | None
    system_prompt: str | None
    model: str | None
    temperature: float | None
    api_key: str | Unchanged = field(repr=False)  # a secret: never in a log line or a traceback


def ai_temperature_clean(value: object) -> float:
    """A number (or numeric text) in 0..2. Booleans are no numbers, although Python says 1.0."""
    if isinstance(value, bool):
        raise ApplicationError(TEMPERATURE_NOT_A_NUMBER, extra={"field": "temperature"})
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ApplicationError(TEMPERATURE_NOT_A_NUMBER, extra={"field": "temperature"}) from exc
    if math.isnan(number) or not TEMPERATURE_MIN <= number <= TEMPERATURE_MAX:
        raise ApplicationError(TEMPERATURE_OUT_OF_RANGE, extra={"field": "temperature"})
    return number


def ai_config_clean(
    *,
    config: AIConfig | None,
    enabled: bool | None,
    target_number: str | None = None,
    system_prompt: str | None = None,
    model: str | None = None,
    temperature: object = None,
    api_key: str | Unchanged = UNCHANGED,
) -> AIConfigInput:
    """Validate a change of `config` (None: no row yet) with T16's rules and messages; each error
    names its form field in `extra["field"]`. Enabling needs a partner number that normalises and
    a way to reach an LLM: a key stored, given or in the environment, or LITELLM_BASEURL. `enabled`
    None keeps the stored switch, and the change is checked against it."""
    if enabled is None:
        enabled = config is not None and config.enabled
    cleaned_temperature = None if temperature is None else ai_temperature_clean(temperature)
    target = None if target_number is None else target_number.strip()
    if target is not None and len(target) > TARGET_MAX_LENGTH:
        raise ApplicationError(TARGET_TOO_LONG, extra={"field": "target_number"})
    cleaned_model = None if model is None else model.strip()
    model_problem = None if cleaned_model is None else model_name_problem(cleaned_model)
    if model_problem is not None:
        raise ApplicationError(model_problem, extra={"field": "model"})
    key = api_key if isinstance(api_key, Unchanged) else (api_key or "").strip()
    if enabled:
        stored_target = config.target_number if config is not None else ""
        if not target_normalize(stored_target if target is None else target):
            raise ApplicationError(TARGET_REQUIRED, extra={"field": "target_number"})
        has_key = (config is not None and config.has_api_key) if isinstance(key, Unchanged) else bool(key)
        if not (has_key or settings.LITELLM_API_KEY or settings.LITELLM_BASEURL):
            raise ApplicationError(API_KEY_REQUIRED, extra={"field": "api_key"})
    return AIConfigInput(
        enabled=enabled,
        target_number=target,
        system_prompt=None if system_prompt is None else system_prompt.strip(),
        model=cleaned_model,
        temperature=cleaned_temperature,
        api_key=key,
    )


def ai_enabled_apply(*, config: AIConfig, enabled: bool, source: str) -> None:
    """Set the switch and who set it on `config` (unsaved). `enabled_since` is set when it turns on
    and kept while it stays on, so messages received before that are never AI-answered."""
    if source not in AIEnabledSource.values:
        raise ValueError(f"unknown enabled_source {source!r}")
    if enabled and not config.enabled:
        config.enabled_since = timezone.now()
    elif not enabled:
        config.enabled_since = None
    config.enabled, config.enabled_source = enabled, source


@transaction.atomic
def ai_config_set(
    *,
    enabled: bool | None,
    target_number: str | None = None,
    system_prompt: str | None = None,
    model: str | None = None,
    temperature: object = None,
    api_key: str | Unchanged = UNCHANGED,
    source: str = AIEnabledSource.UI,
) -> AIConfig:
    """Switch the AI auto-reply and change its settings (T16). None leaves a field as stored (the
    switch too), and so does `api_key=UNCHANGED`, while `api_key=""` clears the key; `model=""` means LITELLM_MODEL.
    Whoever passes `enabled` decides the switch, so `enabled_source` becomes `source` ("ui": the
    panel, the API, the admin) even when `enabled` stays as it was. Enabling turns the auto-reply off."""
    config, _ = AIConfig.objects.select_for_update().get_or_create(pk=1)
    change = ai_config_clean(
        config=config,
        enabled=enabled,
        target_number=target_number,
        system_prompt=system_prompt,
        model=model,
        temperature=temperature,
        api_key=api_key,
    )
    if change.target_number is not None:
        config.target_number = change.target_number
    if change.system_prompt is not None:
        config.system_prompt = change.system_prompt
    if change.model is not None:
        config.model = change.model
    if change.temperature is not None:
        config.temperature = change.temperature
    if not isinstance(change.api_key, Unchanged):
        config.api_key = change.api_key
    if enabled is not None:  # a change that leaves the switch out decides nothing about it
        ai_enabled_apply(config=config, enabled=change.enabled, source=source)
    config.full_clean()
    config.save()
    if change.enabled:
        auto_reply_config_force_off()
    logger.info(
        "AI auto-reply %s (source=%s, model=%s, target=%s, API key %s)",
        "enabled" if change.enabled else "disabled",
        source,
        config.model or "(LITELLM_MODEL)",
        mask_phone(config.target_number_normalized) or "(none)",
        _key_change(change.api_key),
    )
    return config


def ai_config_force_off() -> bool:
    """Turn the AI auto-reply off because the auto-reply is being turned on; True if it was on.
    Switching it off is a decision made in the panel or the admin, so `enabled_source` becomes "ui"
    and an AI_ENABLED=true in the environment does not turn the AI back on at the next start.
    An AI that was off already keeps its row as it is (or has
    none): the auto-reply decided nothing about it."""
    config = AIConfig.objects.select_for_update().filter(pk=1).first()
    if config is None or not config.enabled:
        return False
    ai_enabled_apply(config=config, enabled=False, source=AIEnabledSource.UI)
    config.save(update_fields=["enabled", "enabled_since", "enabled_source", "updated_at"])
    logger.info("AI auto-reply disabled: the auto-reply was enabled")
    return True


def auto_reply_config_force_off() -> bool:
    """Turn the auto-reply off and clear its `enabled_since`, because the AI auto-reply was turned
    on; True if it was on."""
    config = AutoReplyConfig.objects.select_for_update().filter(pk=1).first()
    if config is None or (not config.enabled and config.enabled_since is None):
        return False
    was_enabled = config.enabled
    config.enabled, config.enabled_since = False, None
    config.save(update_fields=["enabled", "enabled_since", "updated_at"])
    if was_enabled:
        logger.info("Auto-reply disabled: the AI auto-reply was enabled")
    return was_enabled
