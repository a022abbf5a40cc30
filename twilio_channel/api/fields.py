"""The field rules of the staff API's request bodies, as DRF fields, so one
serializer both reads a body and documents it. Each error names its field in the sentence the API
has always answered with (`{"error": "Field 'enabled' must be a boolean."}`); JSON `null` is a
field left out, except for a text field, where it is kept as None (an `api_key` of null clears it)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty

from core.json_input import json_loads

TRUE_WORDS = ("true", "1")
FALSE_WORDS = ("false", "0")


def clamp_int(raw: object, *, default: int, low: int, high: int) -> int:
    """An integer parameter: not a number → default, out of range → the nearest bound."""
    if isinstance(raw, bool):
        return default
    try:
        value = int(str(raw).strip()) if raw is not None else default
    except ValueError:
        return default
    return max(low, min(high, value))


class NullIsAbsent:
    """JSON `null` reads as a field left out (its default, or nothing)."""

    default_empty_html = empty  # never "unticked": a form's missing field is a field left out

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        return super().validate_empty_values(empty if data is None else data)  # type: ignore[misc]


class StrictBooleanField(NullIsAbsent, serializers.BooleanField):
    """true/false, 1/0 or their strings (any case); anything else ("yes", 2, a list) is refused."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def bind(self, field_name: str, parent: Any) -> None:
        super().bind(field_name, parent)
        self.error_messages["invalid"] = f"Field '{field_name}' must be a boolean."

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if isinstance(data, int) and data in (0, 1):
            return bool(data)
        if isinstance(data, str) and data.strip().lower() in TRUE_WORDS + FALSE_WORDS:
            return data.strip().lower() in TRUE_WORDS
        self.fail("invalid")


class TextField(serializers.CharField):
    """A string, taken as sent (not trimmed, blank allowed); null is None. A number or a list is
    refused, not turned into its text."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(trim_whitespace=False, allow_blank=True, **kwargs)

    def bind(self, field_name: str, parent: Any) -> None:
        super().bind(field_name, parent)
        self.error_messages["invalid"] = f"Field '{field_name}' must be a string."

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return data


class ClampedIntegerField(NullIsAbsent, serializers.IntegerField):
    """A limit: not a number → its default, out of range → the nearest bound. Never refused."""

    def __init__(self, *, default: int, low: int, high: int, **kwargs: Any) -> None:
        self.low, self.high = low, high
        kwargs.setdefault("help_text", f"Default {default}, clamped to {low}..{high}.")
        super().__init__(default=default, **kwargs)

    def to_internal_value(self, data: Any) -> int:
        return clamp_int(data, default=self.default, low=self.low, high=self.high)


class JSONObjectField(NullIsAbsent, serializers.JSONField):
    """An object, or its JSON text; its values as strings. Empty (or null): None."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(default=None, **kwargs)

    def bind(self, field_name: str, parent: Any) -> None:
        super().bind(field_name, parent)
        self.error_messages["invalid"] = f"Field '{field_name}' must be a JSON object."

    def to_internal_value(self, data: Any) -> dict[str, str] | None:
        if data == "":
            return None
        if isinstance(data, str):
            try:
                data = json_loads(data)
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, dict):
            self.fail("invalid")
        return {str(key): str(value) for key, value in data.items()}


class URLListField(NullIsAbsent, serializers.JSONField):
    """One URL or a list of them, each trimmed, the empty ones dropped. Empty (or null): []."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(default=list, **kwargs)

    def bind(self, field_name: str, parent: Any) -> None:
        super().bind(field_name, parent)
        self.error_messages["invalid"] = f"Field '{field_name}' must be a URL or a list of URLs."

    def to_internal_value(self, data: Any) -> list[str]:
        if data == "":
            return []
        urls = [data] if isinstance(data, str) else data
        if not isinstance(urls, list) or not all(isinstance(url, str) for url in urls):
            self.fail("invalid")
        return [url.strip() for url in urls if url.strip()]
