"""The real twilio SDK, pointed at a stand-in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

if TYPE_CHECKING:
    from demo.twilio_server.server import FakeTwilioServer


def twilio_client_for(
    server: FakeTwilioServer,
    *,
    timeout: float | None = None,
    username: str | None = None,
    password: str | None = None,
    account_sid: str | None = None,
    http_client: TwilioHttpClient | None = None,
) -> Client:
    """A real twilio SDK Client whose API domain is `server` (the account's credentials unless
    given), with a `TwilioHttpClient(timeout=timeout)` unless an HTTP client is given."""
    client = Client(
        username or server.account_sid,
        password if password is not None else server.auth_token,
        account_sid=account_sid or server.account_sid,
        http_client=http_client or TwilioHttpClient(timeout=timeout),
    )
    # TWILIO_EDGE / TWILIO_REGION in the environment would rewrite the host into a regional one.
    client.edge = None
    client.region = None
    client.api.base_url = server.url
    return client
