"""The one place that builds the Twilio REST client, for web processes and workers alike."""

from __future__ import annotations

import threading

from django.conf import settings
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from twilio_channel.errors import TwilioNotConfigured

_local = threading.local()  # the SDK's HTTP client keeps a requests.Session: one per thread


def twilio_configured() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN)


def twilio_client() -> Client:
    """A client for the configured account; with `TWILIO_API_BASE_URL` set, every request goes to
    that URL instead of api.twilio.com (a local stand-in). Raises TwilioNotConfigured without
    credentials."""
    if not twilio_configured():
        raise TwilioNotConfigured()
    key = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_API_BASE_URL)
    cached = getattr(_local, "client", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    client = Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=TwilioHttpClient(timeout=settings.TWILIO_HTTP_TIMEOUT_S),
    )
    if settings.TWILIO_API_BASE_URL:
        client.api.base_url = settings.TWILIO_API_BASE_URL
    _local.client = (key, client)
    return client
