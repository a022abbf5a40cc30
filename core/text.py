"""Text that every database can store (issue 23). PostgreSQL refuses NUL in text, and a lone
surrogate (from JSON's `"\\ud800"` or an undecodable command-line byte) cannot be encoded as UTF-8,
so either one turned a request into a 500 and a Twilio message into a lost one. The boundaries
that must keep the message (the webhooks, the staff API, the commands) clean text with
`text_clean`; DRF's and Django's form fields refuse both with a 400 already."""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _replace(match: re.Match[str]) -> str:
    return "" if match.group() == "\x00" else REPLACEMENT


def text_clean(value: str) -> str:
    """`value` without NUL, each lone surrogate replaced by U+FFFD (as a UTF-8 decoder would)."""
    return _UNSTORABLE.sub(_replace, value) if _UNSTORABLE.search(value) else value


def data_clean(value: Any) -> Any:
    """`text_clean` over every string of parsed JSON: keys, values, nested lists and objects."""
    if isinstance(value, str):
        return text_clean(value)
    if isinstance(value, dict):
        return {data_clean(key): data_clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [data_clean(item) for item in value]
    return value


def storable(value: str) -> bool:
    """True when `value` has nothing `text_clean` would change (a path parameter, say)."""
    return _UNSTORABLE.search(value) is None
