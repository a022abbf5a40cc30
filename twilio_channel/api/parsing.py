"""Seed 2's request reading (CONTRACT §3.0), made strict where leniency changed configuration: a body
that is not a JSON object is a 400 (issue 23: a cut-off `{"enabled": ` once read as `{}` switched the
AI off), an empty body is `{}`, limits are clamped rather than refused, booleans are read strictly."""

from __future__ import annotations

from typing import Any

from core.exceptions import ApplicationError
from core.json_input import TOO_DEEP, JSONTooDeep, json_loads
from core.text import data_clean

BODY_NOT_AN_OBJECT = "Request body must be a JSON object."
TRUE_WORDS = ("true", "1")
FALSE_WORDS = ("false", "0")


def body_of(request) -> dict[str, Any]:
    """The JSON object of the request, or its form; an empty body is `{}`. Anything else (cut-off
    JSON, an array, a string, a body nested too deeply to read) is a 400, so a write never reads a
    broken body as "all fields absent". Strings come without what the database cannot store (NUL,
    lone surrogates): a staff send with one goes out without it instead of failing."""
    content_type = (request.content_type or "").split(";")[0].strip()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return data_clean({key: request.POST.get(key) for key in request.POST})
    if not request.body.strip():
        return {}
    try:
        data = json_loads(request.body)
    except JSONTooDeep as exc:
        raise ApplicationError(TOO_DEEP, extra={"field": "body"}) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApplicationError(BODY_NOT_AN_OBJECT, extra={"field": "body"}) from exc
    if not isinstance(data, dict):
        raise ApplicationError(BODY_NOT_AN_OBJECT, extra={"field": "body"})
    return data_clean(data)


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
