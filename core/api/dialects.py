"""The API's two error dialects: which one a path speaks, and the one-line text of
a DRF error structure."""

from typing import Any

PUBLIC_API_PREFIXES = ("/auth", "/messages", "/reports", "/twilio_webhook", "/api/v1/")


def is_staff_api_path(path: str) -> bool:
    """The staff API (`/api/*` except `/api/v1/*`) and the Twilio webhooks (`/twilio/*`) speak
    `{"error": ...}`."""
    if path.startswith("/api/v1/"):
        return False
    return path.startswith(("/api/", "/twilio/"))


def is_public_api_path(path: str) -> bool:
    """The public API (and its `/api/v1/` aliases) speaks `{"detail": ...}`."""
    return path.startswith(PUBLIC_API_PREFIXES)


def first_message(data: Any) -> str:
    """The first human-readable message in a DRF error structure."""
    if isinstance(data, dict):
        for key, value in data.items():
            message = first_message(value)
            if key not in ("non_field_errors", "detail") and isinstance(value, list | dict):
                return f"{key}: {message}"
            return message
        return ""
    if isinstance(data, list):
        return first_message(data[0]) if data else ""
    return str(data)
