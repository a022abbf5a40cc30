"""The one place that builds the Twilio REST client, for web processes and workers alike."""

from __future__ import annotations

import os
import threading

from django.conf import settings
from requests.utils import get_environ_proxies
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from twilio_channel.errors import TwilioNotConfigured

TWILIO_API_URL = "https://api.twilio.com"
_local = threading.local()  # the SDK's HTTP client keeps a requests.Session: one per thread


def twilio_configured() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN)


def _http_client() -> TwilioHttpClient:
    """The SDK's HTTP client with the environment's proxy and CA bundle settings read once, here,
    for the API's host (the only one the project calls: `client.messages`), as `requests` would
    read them: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY unless NO_PROXY covers the host, and
    REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE. `requests` would read them on every call, ~1 ms of CPU
    per send (13 % of a delivery, docs/PERFORMANCE.md); a change of them reaches a process when it
    builds its next client (a restart, new credentials or base URL)."""
    host_url = settings.TWILIO_API_BASE_URL or TWILIO_API_URL
    http_client = TwilioHttpClient(timeout=settings.TWILIO_HTTP_TIMEOUT_S, proxy=get_environ_proxies(host_url))
    session = http_client.session
    assert session is not None  # pool_connections is on: one session per client
    session.trust_env = False
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return http_client


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
    client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=_http_client())
    if settings.TWILIO_API_BASE_URL:
        client.api.base_url = settings.TWILIO_API_BASE_URL
    _local.client = (key, client)
    return client
