"""The AI config from environment variables (AI_ENABLED, AI_TARGET_NUMBER, ...).

Runs after `migrate` (a post_migrate receiver, connected in TwilioChannelConfig.ready) and from
`manage.py bootstrap_ai_config`, never at import or in app loading. Each variable that is set is
applied to the AIConfig row, until the switch is managed in the panel or the admin
(`enabled_source == "ui"`): from then on the environment overlays nothing (an edit in the
UI is never overwritten at the next start). Running it again changes nothing.

The model and temperature count only when the environment names them (LITELLM_MODEL/OPENAI_MODEL,
AI_LLM_TEMPERATURE/OPENAI_TEMPERATURE), not as the settings' defaults. The API key is never copied:
the orchestrator falls back to LITELLM_API_KEY/OPENAI_API_KEY at run time, so the secret stays
in one place and a rotated key applies at the next start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from core.redact import mask_phone
from inbox.services.modes import TARGET_MAX_LENGTH, ai_enabled_apply, auto_reply_config_force_off
from orchestrator.enums import AIEnabledSource
from orchestrator.model_names import model_name_problem
from orchestrator.models import TEMPERATURE_MAX, TEMPERATURE_MIN, AIConfig

logger = logging.getLogger("twilio_webhook")

ENV_VARIABLES = (
    "AI_ENABLED",
    "AI_TARGET_NUMBER",
    "AI_SYSTEM_PROMPT",
    "LITELLM_MODEL/OPENAI_MODEL",
    "AI_LLM_TEMPERATURE/OPENAI_TEMPERATURE",
)
TRACKED_FIELDS = ("enabled", "enabled_source", "target_number", "system_prompt", "model", "temperature")


@dataclass(frozen=True)
class BootstrapOutcome:
    status: Literal["not_set", "managed_in_ui", "applied", "unchanged"]
    config: AIConfig | None = None
    changed: list[str] = field(default_factory=list)


def ai_env_overrides() -> dict[str, object]:
    """The AIConfig fields the environment sets, parsed so: strings trimmed (blank = not
    set), AI_ENABLED one of 1/true/t/yes/y or 0/false/f/no/n (else ignored, see config.env), a
    temperature in 0..2 (else ignored with a warning), a model that is an allowed model name (else
    ignored with a warning); values too long for their column are ignored."""
    values: dict[str, object] = {}
    if settings.AI_ENABLED is not None:
        values["enabled"] = bool(settings.AI_ENABLED)
    for raw, key, variable, limit in (
        (settings.AI_TARGET_NUMBER, "target_number", "AI_TARGET_NUMBER", TARGET_MAX_LENGTH),
        (settings.AI_SYSTEM_PROMPT, "system_prompt", "AI_SYSTEM_PROMPT", None),
    ):
        text = (raw or "").strip()
        if not text:
            continue
        if limit is not None and len(text) > limit:
            logger.warning("Ignoring %s from env: longer than %s characters", variable, limit)
            continue
        values[key] = text
    model = (settings.AI_ENV_MODEL or "").strip()
    problem = model_name_problem(model)
    if problem is not None:
        # The row keeps the model it has (the release step's migrate must not fail over it); the
        # AI turns refuse the same name if it comes in as the LITELLM_MODEL default.
        logger.warning("Ignoring LITELLM_MODEL/OPENAI_MODEL from env: %s", problem)
    elif model:
        values["model"] = model
    temperature = settings.AI_ENV_TEMPERATURE
    if temperature is not None:
        if TEMPERATURE_MIN <= float(temperature) <= TEMPERATURE_MAX:
            values["temperature"] = float(temperature)
        else:
            logger.warning("Ignoring the temperature from env: %s is outside 0-2", temperature)
    return values


@transaction.atomic
def ai_config_bootstrap() -> BootstrapOutcome:
    """Apply the environment's AI settings (see the module docstring) and say what happened."""
    overrides = ai_env_overrides()
    if not overrides:
        return BootstrapOutcome(status="not_set")
    config, _ = AIConfig.objects.select_for_update().get_or_create(pk=1)
    if config.enabled_source == AIEnabledSource.UI:
        logger.info("Skipping the AI env overrides (managed in UI: enabled_source=ui)")
        return BootstrapOutcome(status="managed_in_ui", config=config)
    before = {name: getattr(config, name) for name in TRACKED_FIELDS}
    for name in ("target_number", "system_prompt", "model", "temperature"):
        if name in overrides:
            setattr(config, name, overrides[name])
    if "enabled" in overrides:
        ai_enabled_apply(config=config, enabled=bool(overrides["enabled"]), source=AIEnabledSource.ENV)
    changed = [name for name in TRACKED_FIELDS if getattr(config, name) != before[name]]
    if changed:
        config.full_clean()
        config.save()
    if config.enabled:
        auto_reply_config_force_off()
        _warn_if_unusable(config)
    target = mask_phone(config.target_number_normalized) or "(none)"
    model = config.model or "(LITELLM_MODEL)"
    if not changed:
        logger.info("AI config already matches env (enabled=%s, model=%s, target=%s)", config.enabled, model, target)
        return BootstrapOutcome(status="unchanged", config=config)
    logger.info("AI config bootstrapped from env (enabled=%s, model=%s, target=%s)", config.enabled, model, target)
    return BootstrapOutcome(status="applied", config=config, changed=changed)


def ai_config_bootstrap_from_env() -> AIConfig | None:
    """The row as the environment left it, or None when it sets nothing or the UI manages the row."""
    outcome = ai_config_bootstrap()
    return outcome.config if outcome.status in ("applied", "unchanged") else None


def _warn_if_unusable(config: AIConfig) -> None:
    # The operator asked for it, so it stays on; but say why it will not answer as expected.
    if not config.target_number_normalized:
        logger.warning("AI auto-reply enabled from env without a conversation partner number that normalises")
    if not (config.has_api_key or settings.LITELLM_API_KEY or settings.LITELLM_BASEURL):
        logger.warning("AI auto-reply enabled from env, but no API key or LITELLM_BASEURL is set: no LLM answers")


def ai_config_bootstrap_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate receiver for this app. Off in the test settings (AI_CONFIG_BOOTSTRAP_ON_MIGRATE),
    so creating a test database writes no AIConfig row whatever a developer's .env says. A failure
    is logged, never raised: the release step's migrate must not fail over the AI settings."""
    if not settings.AI_CONFIG_BOOTSTRAP_ON_MIGRATE or using != DEFAULT_DB_ALIAS:
        return
    try:
        if AIConfig._meta.db_table not in connections[using].introspection.table_names():
            return  # migrated only part of the way (e.g. `migrate orchestrator zero`)
        ai_config_bootstrap()
    except DatabaseError as exc:
        logger.warning("AI config not bootstrapped from env after migrate: %s", type(exc).__name__)
