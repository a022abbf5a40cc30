"""Twilio webhook requests: the signature check (CONTRACT §4.4.1, §9.3 point 2)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator

logger = logging.getLogger("twilio_webhook")


def signed_url(request: HttpRequest) -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL plus the full path, query string included."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL + request.get_full_path()
    return request.build_absolute_uri()


def signature_valid(request: HttpRequest) -> bool:
    """True when X-Twilio-Signature matches the form and the URL under TWILIO_AUTH_TOKEN (always
    false without a token), or when TWILIO_VALIDATE_SIGNATURE is off (warned at start-up)."""
    if not settings.TWILIO_VALIDATE_SIGNATURE:
        return True
    signature = request.headers.get("X-Twilio-Signature", "")
    if not settings.TWILIO_AUTH_TOKEN or not signature:
        return False
    valid = RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(signed_url(request), request.POST, signature)
    if not valid:
        logger.warning("Rejected a Twilio webhook with a bad signature (%s)", request.path)
    return valid
