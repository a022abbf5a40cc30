"""What an LLM model setting may be: a name, never a place (issue 22 point 3).

litellm picks the provider from the model string's prefix, and some of its routes take the host
from the string itself (`oobabooga/http://...`): a model typed in the panel could send every AI turn
(system prompt, history, private text) to any URL, base URL set or not. So a model is a bare name
(`gpt-4o`) or `<provider>/<name>` with a provider from AI_MODEL_PROVIDERS; the base URL and the keys
come from the environment alone. Every place a model comes in (the AIConfig row, the API, the
panel, the admin, the environment's bootstrap) and the LLM call itself ask `model_name_problem`.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError

MODEL_MAX_LENGTH = 100  # AIConfig.model's column
MODEL_TOO_LONG = f"The model name cannot exceed {MODEL_MAX_LENGTH} characters."
MODEL_NOT_A_NAME = "The model must be a model name such as gpt-4o or anthropic/claude-3-5-sonnet-latest, not a URL."
MODEL_PROVIDER_NOT_ALLOWED = "This model provider is not allowed on this server (AI_MODEL_PROVIDERS)."

# Segments of letters, digits and . _ - : + (ollama tags, Bedrock ids), each starting with a letter
# or digit, joined by single slashes: no scheme (`://`), no `@`, no blank, control character or
# backslash, no empty segment.
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._:+-]*"
_NAME = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")


def model_name_problem(name: str) -> str | None:
    """Why `name` may not be a model setting, or None when it may ("" means the default)."""
    if not name:
        return None
    if len(name) > MODEL_MAX_LENGTH:
        return MODEL_TOO_LONG
    if "://" in name or ".." in name or not _NAME.fullmatch(name):
        return MODEL_NOT_A_NAME
    provider, slash, _rest = name.partition("/")
    if slash and provider not in settings.AI_MODEL_PROVIDERS:
        return MODEL_PROVIDER_NOT_ALLOWED
    return None


def validate_model_name(value: str) -> None:
    """The AIConfig.model field's validator (full_clean, the admin's form)."""
    problem = model_name_problem(value)
    if problem is not None:
        raise ValidationError(problem, code="model_name")
