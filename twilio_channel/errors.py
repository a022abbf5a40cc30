"""Twilio errors, classified in one place into the inbox's error classes: a transient one is
retried with backoff, a permanent one fails the send at once."""

from __future__ import annotations

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException

from core.exceptions import ServiceUnavailableError
from inbox.errors import ChannelError, PermanentChannelError, TransientChannelError

NOT_CONFIGURED = "Twilio is not configured."
TOO_MANY_REQUESTS_CODE = 20429
INVALID_NUMBER_CODES = frozenset({21211, 21614})
OPTED_OUT_CODE = 21610
WHATSAPP_WINDOW_CODE = 63016


__all__ = ["ChannelError", "PermanentChannelError", "TransientChannelError", "TwilioNotConfigured", "classify"]


class TwilioNotConfigured(ServiceUnavailableError):
    def __init__(self) -> None:
        super().__init__(NOT_CONFIGURED, retry_after=0)


def classify(exc: Exception) -> ChannelError:
    """The ChannelError for what the Twilio SDK raised."""
    if isinstance(exc, TwilioRestException):
        status, code = exc.status, exc.code
        if status == 429 or code == TOO_MANY_REQUESTS_CODE:
            return TransientChannelError("Twilio rate limit", code=code, status=status, maybe_sent=False)
        if status >= 500:
            return TransientChannelError("Twilio server error", code=code, status=status, maybe_sent=True)
        return PermanentChannelError(exc.msg or "Twilio refused the message", code=code, status=status)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransientChannelError("Twilio unreachable (ConnectTimeout)", maybe_sent=False)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return TransientChannelError(f"Twilio unreachable ({type(exc).__name__})", maybe_sent=_after_connect(exc))
    if isinstance(exc, requests.exceptions.Timeout):  # the request went out; the answer did not come
        return TransientChannelError(f"Twilio timed out ({type(exc).__name__})", maybe_sent=True)
    if isinstance(exc, TwilioException):  # e.g. list() errors: no status to go by
        return TransientChannelError(f"Twilio error ({type(exc).__name__})", maybe_sent=True)
    raise exc


def _after_connect(exc: requests.exceptions.ConnectionError) -> bool:
    """A connection dropped mid-request (reset, remote closed) may have delivered the request; a
    refused or unresolvable connection never did."""
    text = repr(exc.args)
    return not any(word in text for word in ("Connection refused", "NewConnectionError", "Name or service not known"))
