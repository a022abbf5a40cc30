"""Reads of the AIConfig row. The AI worker asks for its overrides on every turn (docs/PERFORMANCE.md:
32 threads a process), so a process keeps what it read for AI_CONFIG_CACHE_S seconds; a save or
delete in the same process clears that at once (and again at commit), and other processes see the
change within AI_CONFIG_CACHE_S."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from orchestrator.models import AIConfig

logger = logging.getLogger("orchestrator")


@dataclass(frozen=True)
class AIOverrides:
    """What the row sets for the LLM; empty means "the environment's" (temperature None likewise)."""

    api_key: str = ""
    model: str = ""
    temperature: float | None = None
    system_prompt: str = ""

    def __repr__(self) -> str:  # the key never reaches a log line or a traceback
        return (
            f"AIOverrides(api_key={'set' if self.api_key else 'unset'}, model={self.model!r}, "
            f"temperature={self.temperature!r}, system_prompt={len(self.system_prompt)} chars)"
        )


NO_OVERRIDES = AIOverrides()

_lock = threading.Lock()
_cached: tuple[float, AIOverrides] | None = None  # (monotonic expiry, overrides)
_generation = 0  # bumped by every clear, so a read that raced a save is not cached


def ai_config_get() -> AIConfig | None:
    """The row if it exists; never creates it (reading must not write)."""
    return AIConfig.objects.filter(pk=1).first()


def ai_config_overrides_get() -> AIOverrides:
    """The row's LLM overrides, from the process cache when fresh. If the row cannot be read (the
    database is down, the table not migrated yet) the environment applies and nothing is cached."""
    global _cached
    ttl = float(settings.AI_CONFIG_CACHE_S)
    cached = _cached
    if ttl > 0 and cached is not None and cached[0] > time.monotonic():
        return cached[1]
    generation = _generation
    try:
        config = ai_config_get()
    except Exception as exc:  # a turn must still run, on the environment's settings
        logger.warning("AI config could not be read (%s): using the environment's LLM settings", type(exc).__name__)
        return NO_OVERRIDES
    overrides = (
        NO_OVERRIDES
        if config is None
        else AIOverrides(
            api_key=config.api_key,
            model=config.model.strip(),
            temperature=config.temperature,
            system_prompt=config.system_prompt.strip(),
        )
    )
    if ttl > 0:
        with _lock:
            if generation == _generation:
                _cached = (time.monotonic() + ttl, overrides)
    return overrides


def ai_config_cache_clear() -> None:
    global _cached, _generation
    with _lock:
        _generation += 1
        _cached = None


def ai_config_changed(sender, using: str = "default", **kwargs) -> None:
    """post_save/post_delete receiver (connected in OrchestratorConfig.ready): clear now, and again at
    commit, so a turn that read the old row inside the transaction's window does not keep it."""
    ai_config_cache_clear()
    transaction.on_commit(ai_config_cache_clear, using=using, robust=True)
