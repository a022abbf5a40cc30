"""Twilio webhook requests: the signature check."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator

from core.redact import mask_phones_in_url

logger = logging.getLogger("twilio_webhook")

_unchecked_lock = threading.Lock()
_unchecked_warned = [False]  # this process said that it takes webhooks unchecked


def signed_url(request: HttpRequest) -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL plus the full path, query string included."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL + request.get_full_path()
    return request.build_absolute_uri()


def _refused(request: HttpRequest, reason: str, *args: object) -> bool:
    # One WARNING per 403 naming its cause, so an operator can tell a setup mistake from a stranger.
    # Never the token nor the signature (received or expected): either would help forge one.
    logger.warning("Twilio webhook %s refused (403): " + reason, mask_phones_in_url(request.path), *args)
    return False


def _unchecked_warn_once() -> None:
    with _unchecked_lock:
        if _unchecked_warned[0]:
            return
        _unchecked_warned[0] = True
    logger.warning(
        "TWILIO_VALIDATE_SIGNATURE is off: this process accepts Twilio webhooks without checking their "
        "signature (said once per process). Keep it on anywhere the server is reachable from the internet."
    )


def signature_valid(request: HttpRequest) -> bool:
    """True when X-Twilio-Signature matches the form and the URL under TWILIO_AUTH_TOKEN (always
    false without a token), or when TWILIO_VALIDATE_SIGNATURE is off (a system check at start-up,
    and a warning at each process's first such webhook). A refusal is logged with its reason."""
    if not settings.TWILIO_VALIDATE_SIGNATURE:
        _unchecked_warn_once()
        return True
    if not settings.TWILIO_AUTH_TOKEN:
        return _refused(request, "signature checks are on but TWILIO_AUTH_TOKEN is not set")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return _refused(request, "the request has no X-Twilio-Signature header (Twilio always sends one)")
    url = signed_url(request)
    if not RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, request.POST, signature):
        how = "PUBLIC_BASE_URL" if settings.PUBLIC_BASE_URL else "the request's Host (PUBLIC_BASE_URL is not set)"
        return _refused(
            request,
            "the X-Twilio-Signature does not match. It was checked against %s (from %s): compare it with the "
            "URL Twilio called (the webhook URL in the Twilio Console), and check that TWILIO_AUTH_TOKEN is "
            "this account's auth token",
            mask_phones_in_url(url),
            how,
        )
    return True
