"""What an LLM call costs, in USD: the currency of litellm's price map.

Which price wins: AI_PRICE_PER_1K_INPUT_TOKENS / AI_PRICE_PER_1K_OUTPUT_TOKENS, when either is
set, price every call (the unset one counts as 0). They are the operator's explicit word (a local
model's running cost, a negotiated rate, a model the map prices under another name) and so beat
the public list. Without them litellm's local price map prices the configured model name; a name
it does not know costs None (unpriced: stored as unknown, counted as 0 against the caps).

The ceiling of a call, reserved against the caps before it is made, is an upper bound: the
prompt's UTF-8 bytes (a byte-level BPE token is at least one byte; the JSON quoting only adds)
plus AI_MAX_OUTPUT_TOKENS, which the call is then limited to. So a reservation can refuse a turn
that would have fitted, never let one overrun.
"""

from __future__ import annotations

import json
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from orchestrator.llm import map_cost
from orchestrator.models import COST_DECIMAL_PLACES

QUANTUM = Decimal(1).scaleb(-COST_DECIMAL_PLACES)
PER = Decimal(1000)


def amount_setting(name: str) -> Decimal | None:
    """A money setting as a Decimal, None when unset; a bad or negative value is a configuration error."""
    raw = getattr(settings, name, None)
    if raw is None or str(raw).strip() == "":
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name} must be a number, e.g. 0.50") from None
    if not value.is_finite() or value < 0:
        raise ImproperlyConfigured(f"{name} must be a number of at least 0")
    return value


def custom_prices() -> tuple[Decimal, Decimal] | None:
    """(input, output) price per 1,000 tokens from the settings, or None when neither is set."""
    prices = amount_setting("AI_PRICE_PER_1K_INPUT_TOKENS"), amount_setting("AI_PRICE_PER_1K_OUTPUT_TOKENS")
    if prices == (None, None):
        return None
    return prices[0] or Decimal(0), prices[1] or Decimal(0)


def call_cost(*, model: str, prompt_tokens: int, completion_tokens: int) -> Decimal | None:
    """The cost of one call in USD (rounded up to the stored precision), None when unpriced."""
    prices = custom_prices()
    if prices is not None:
        cost = (prompt_tokens * prices[0] + completion_tokens * prices[1]) / PER
    else:
        mapped = map_cost(model=model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
        if mapped is None:
            return None
        cost = Decimal(repr(mapped[0])) + Decimal(repr(mapped[1]))
    return cost.quantize(QUANTUM, rounding=ROUND_CEILING)


def call_ceiling(*, model: str, messages: list[dict], tools: list[dict] | None, max_tokens: int) -> Decimal:
    """The most a call with this prompt and at most `max_tokens` of reply can cost (0 when unpriced)."""
    prompt_bound = len(json.dumps([messages, tools], ensure_ascii=False).encode("utf-8"))
    return call_cost(model=model, prompt_tokens=prompt_bound, completion_tokens=max_tokens) or Decimal(0)
