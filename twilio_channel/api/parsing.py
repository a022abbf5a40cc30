"""Seed 2's request reading (CONTRACT §3.0): a body that is not a JSON object counts as `{}`, limits
are clamped rather than refused, and booleans are read strictly."""

from __future__ import annotations

from typing import Any

from core.exceptions import ApplicationError
from core.json_input import TOO_DEEP, JSONTooDeep, json_loads

TRUE_WORDS = ("true", "1")
FALSE_WORDS = ("false", "0")


def body_of(request) -> dict[str, Any]:
    """The JSON object of the request, or its form; anything unreadable is `{}`, except a body nested
    too deeply to read, which is refused (a 400) rather than taken as an empty change."""
    content_type = (request.content_type or "").split(";")[0].strip()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return {key: request.POST.get(key) for key in request.POST}
    try:
        data = json_loads(request.body or b"{}")
    except JSONTooDeep as exc:
        raise ApplicationError(TOO_DEEP) from exc
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def clamp_int(raw: object, *, default: int, low: int, high: int) -> int:
    """An integer parameter: not a number → default, out of range → the nearest bound."""
    if isinstance(raw, bool):
        return default
    try:
        value = int(str(raw).strip()) if raw is not None else default
    except ValueError:
        return default
    return max(low, min(high, value))


def strict_bool(raw: object, *, field: str, default: bool | None = None) -> bool | None:
    """true/false, 1/0 or their strings; absent (None) → `default`; anything else is a 400."""
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS + FALSE_WORDS:
        return raw.strip().lower() in TRUE_WORDS
    raise ApplicationError(f"Field '{field}' must be a boolean.", extra={"field": field})


def optional_str(raw: object, *, field: str) -> str | None:
    """A text field: absent → None; a number or a list is a 400."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ApplicationError(f"Field '{field}' must be a string.", extra={"field": field})
    return raw
