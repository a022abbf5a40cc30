"""FakeTwilioServer: the stand-in's lifecycle, configuration and what a test inspects afterwards."""

from __future__ import annotations

import copy
import threading
import uuid
from typing import Any

from demo.http import LoopbackStandin
from demo.twilio_server.faults import FaultScript
from demo.twilio_server.handler import _Handler, _Server
from demo.twilio_server.messages import MessagesResource
from demo.twilio_server.records import FakeTwilioState, RecordedRequest
from demo.twilio_server.wire import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, new_sid


class FakeTwilioServer(LoopbackStandin, FaultScript, MessagesResource):
    """Start with `.start()`; `url` is the base URL to give the SDK (`client.api.base_url`, or the
    project's `TWILIO_API_BASE_URL`)."""

    thread_name = "fake-twilio"

    def __init__(
        self,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        *,
        api_keys: dict[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._initial = (account_sid, auth_token, dict(api_keys or {}))
        server = _Server((host, port), _Handler)
        server.fake = self
        super().__init__(server)
        self.state = FakeTwilioState(account_sid=account_sid, auth_token=auth_token, api_keys=dict(api_keys or {}))

    # --- lifecycle -------------------------------------------------------------------------------
    @property
    def account_sid(self) -> str:
        return self.state.account_sid

    @property
    def auth_token(self) -> str:
        return self.state.auth_token

    def stop(self) -> None:
        self.state.wake.set()  # held requests end first
        super().stop()

    def reset(self) -> None:
        """Forget messages, requests, faults, rejections and latency; restore the credentials given
        to the constructor. Requests still held by a timeout fault are released at once."""
        account_sid, auth_token, api_keys = self._initial
        with self.state.lock:
            self.state.wake.set()
            self.state.wake = threading.Event()
            self.state.records.clear()
            self.state.faults.clear()
            self.state.requests.clear()
            self.state.rejections.clear()
            self.state.latency = 0.0
            self.state.account_sid, self.state.auth_token = account_sid, auth_token
            self.state.api_keys = dict(api_keys)

    # --- configuration ---------------------------------------------------------------------------
    def set_credentials(self, account_sid: str | None = None, auth_token: str | None = None) -> None:
        with self.state.lock:
            self.state.account_sid = account_sid or self.state.account_sid
            self.state.auth_token = auth_token or self.state.auth_token

    def add_api_key(self, sid: str | None = None, secret: str | None = None) -> tuple[str, str]:
        """Accept an API key (username `sid`, password `secret`) for the account; returns both."""
        sid, secret = sid or new_sid("SK"), secret or uuid.uuid4().hex
        with self.state.lock:
            self.state.api_keys[sid] = secret
        return sid, secret

    def set_latency(self, seconds: float) -> None:
        """Hold every answer this long (faults included)."""
        with self.state.lock:
            self.state.latency = seconds

    def reject_recipient(self, to: str, code: int = 21610, message: str | None = None, status: int = 400) -> None:
        """Refuse every create to `to` from now on; by default as an opted-out (STOP) recipient."""
        text = message or ("Attempt to send to unsubscribed recipient" if code == 21610 else f"Error {code}")
        with self.state.lock:
            self.state.rejections[to] = (status, code, text)

    # --- inspection ------------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self.state.lock:
            return list(self.state.requests)

    def calls(self, operation: str | None = None, *, method: str | None = None) -> list[RecordedRequest]:
        """The recorded requests of one operation (create, list, fetch, ...) and/or HTTP method."""
        return [
            r
            for r in self.requests
            if (operation is None or r.operation == operation) and (method is None or r.method == method.upper())
        ]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every stored message as Twilio's JSON, oldest first."""
        with self.state.lock:
            records = sorted(self.state.records.values(), key=lambda r: r.seq)
            return [copy.deepcopy(r.data) for r in records]

    def message(self, sid: str) -> dict[str, Any] | None:
        with self.state.lock:
            record = self.state.records.get(sid)
            return copy.deepcopy(record.data) if record else None

    def created(
        self, to: str | None = None, *, from_: str | None = None, body: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        """The messages created through the API (not seeded), oldest first, optionally filtered."""
        with self.state.lock:
            records = sorted((r for r in self.state.records.values() if r.via_api), key=lambda r: r.seq)
            found = [copy.deepcopy(r.data) for r in records]
        return [
            m
            for m in found
            if (to is None or m["to"] == to)
            and (from_ is None or m["from"] == from_)
            and (body is None or m["body"] == body)
            and (status is None or m["status"] == status)
        ]

    def create_params(self, sid: str) -> dict[str, list[str]]:
        """Every parameter of the create that made `sid` (StatusCallback, ContentSid, MediaUrl, ...)."""
        with self.state.lock:
            return copy.deepcopy(self.state.records[sid].params)
