"""A Twilio-compatible Messages API on loopback, for tests and demo mode (demo/twilio_standin.py).

The real twilio SDK reaches it over real HTTP once the client's API domain points at it
(`client.api.base_url = server.url`, or `twilio_client_for(server)` below), so tests exercise the
same client code as production. It speaks the part of api.twilio.com's 2010-04-01 REST API that
the Messages resource needs, with Twilio's JSON field names, paging envelope and error bodies:

    POST   /2010-04-01/Accounts/{AccountSid}/Messages.json         create  (201)
    GET    /2010-04-01/Accounts/{AccountSid}/Messages.json         list    (200, newest first)
    GET    /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json   fetch   (200 / 404)
    POST   /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json   update  (Body="" redacts, Status=canceled)
    DELETE /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json   delete  (204 / 404)
    GET    /2010-04-01/Accounts/{AccountSid}.json                  fetch_account

Every request needs HTTP basic auth: the account SID (or an API key SID added with
`add_api_key`) and its secret; anything else is a 401 with Twilio's code 20003. Messages live in
memory and stay in the status they were created with until a test moves them (`set_status`).

Faults are queued and each applies to the next request it matches (optionally only one method or
operation), in the order queued: `fail`, `accept_then_fail`, `timeout`, `drop`. When none matches,
the request is answered normally.

Each HTTP response is written with one `wfile.write` on a TCP_NODELAY socket: split writes cost
about 40 ms per call in delayed ACKs and would falsify latency figures.

    server = FakeTwilioServer().start()
    client = twilio_client_for(server, timeout=2)
    server.fail(429)                       # the next request is rate limited
    server.accept_then_fail(500, operation="create")
    client.messages.create(to="+15550000001", from_="+15550000002", body="Hi")
    server.created(to="+15550000001")      # the messages the API created
    server.requests[-1].form["Body"]
    server.stop()
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import json
import math
import re
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from demo.http import LoopbackHandler, LoopbackServer

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "fa4e" * 8
DEFAULT_AUTH_TOKEN = "feedface" * 4
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_BODY_LENGTH = 1600  # SMS; Twilio counts UTF-16 code units (an emoji outside the BMP is two)
MAX_WHATSAPP_BODY_LENGTH = 4096

OPERATIONS = ("create", "list", "fetch", "update", "delete", "fetch_account")

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
SHORT_CODE = re.compile(r"^\d{3,8}$")
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
CHANNEL_PREFIXES = ("whatsapp:",)
# Statuses in which Twilio has handed the message on (an outbound one gets its date_sent then).
SENT_STATUSES = frozenset({"sent", "delivered", "undelivered", "failed", "read", "received", "partially_delivered"})

# Twilio's error code for a bare HTTP status, used when a fault gives none.
DEFAULT_CODES = {400: 20001, 401: 20003, 403: 20403, 404: 20404, 405: 20004, 429: 20429, 500: 20500, 503: 20503}
DEFAULT_MESSAGES = {
    20001: "Invalid parameter",
    20003: "Authenticate",
    20004: "Method not allowed",
    20403: "Forbidden",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
}

# GSM 03.38: the basic set costs one septet, the extension set two; anything else makes the whole
# body UCS-2. Twilio counts segments the same way (160/153 septets, 70/67 UTF-16 units).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


def new_sid(prefix: str = "SM") -> str:
    """A Twilio-shaped SID: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


def rfc2822(moment: datetime | None) -> str | None:
    """Twilio's date format, e.g. 'Thu, 24 Aug 2023 05:01:45 +0000'."""
    if moment is None:
        return None
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0))


def num_segments(body: str) -> int:
    """How many SMS segments Twilio bills for `body`."""
    if all(char in GSM_BASIC or char in GSM_EXTENSION for char in body):
        length = sum(2 if char in GSM_EXTENSION else 1 for char in body)
        single, multi = 160, 153
    else:
        length = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if length <= single else math.ceil(length / multi)


def _strip_channel(address: str) -> str:
    for prefix in CHANNEL_PREFIXES:
        if address.startswith(prefix):
            return address[len(prefix) :]
    return address


def valid_to(address: str) -> bool:
    """E.164, optionally behind a channel prefix such as 'whatsapp:'."""
    return bool(E164.match(_strip_channel(address)))


def valid_from(address: str) -> bool:
    """A phone number, short code or alphanumeric sender ID, optionally behind a channel prefix."""
    bare = _strip_channel(address)
    return bool(E164.match(bare) or SHORT_CODE.match(bare) or ALPHANUMERIC_SENDER.match(bare))


def error_body(status: int, code: int | None = None, message: str | None = None) -> dict[str, Any]:
    """Twilio's error JSON; the SDK turns it into TwilioRestException(status, code)."""
    code = code if code is not None else DEFAULT_CODES.get(status)
    body: dict[str, Any] = {
        "code": code,
        "message": message or DEFAULT_MESSAGES.get(code or 0) or f"HTTP {status}",
        "more_info": f"https://www.twilio.com/docs/errors/{code}" if code else None,
        "status": status,
    }
    return body


# --- scripted faults and recorded requests ----------------------------------------------------------
@dataclass
class Fault:
    """One queued misbehaviour; `kind` is fail, accept_then_fail, timeout or drop."""

    kind: str
    status: int = 500
    code: int | None = None
    message: str | None = None
    raw: bytes | None = None  # sent verbatim instead of Twilio's error JSON (e.g. a proxy's HTML page)
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    process: bool = False  # the request takes effect (a create stores its message)
    drop: bool = False  # close the connection instead of answering
    method: str | None = None
    operation: str | None = None

    def matches(self, method: str, operation: str | None) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.operation is None or self.operation == operation


@dataclass
class RecordedRequest:
    """What one request carried. `form` and `query` keep the first value of each parameter;
    `params` keeps every value (MediaUrl repeats), from the query string and the form alike."""

    method: str
    path: str
    operation: str | None
    query: dict[str, str]
    form: dict[str, str]
    params: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    auth_user: str | None
    authorized: bool = False
    sid: str | None = None  # the message the request addressed, or the one it created
    fault: str | None = None  # the kind of fault applied to it
    status: int | None = None  # the HTTP status answered; None when the connection was dropped
    at: float = 0.0

    def values(self, name: str) -> list[str]:
        return list(self.params.get(name, []))


@dataclass
class _Record:
    seq: int
    data: dict[str, Any]  # the resource exactly as Twilio's JSON renders it
    created: datetime
    sent: datetime | None
    via_api: bool
    params: dict[str, list[str]]


@dataclass
class FakeTwilioState:
    account_sid: str
    auth_token: str
    api_keys: dict[str, str] = field(default_factory=dict)
    records: dict[str, _Record] = field(default_factory=dict)
    faults: deque[Fault] = field(default_factory=deque)
    requests: list[RecordedRequest] = field(default_factory=list)
    rejections: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # to -> (status, code, message)
    latency: float = 0.0
    seq: int = 0
    wake: threading.Event = field(default_factory=threading.Event)  # set by reset/stop: ends held requests
    lock: threading.Lock = field(default_factory=threading.Lock)


# --- routing ----------------------------------------------------------------------------------------
_PREFIX = rf"^/{re.escape(API_VERSION)}/Accounts/(?P<account>[^/]+?)"
ROUTES: tuple[tuple[re.Pattern[str], dict[str, str]], ...] = (
    (re.compile(_PREFIX + r"/Messages\.json$"), {"GET": "list", "POST": "create"}),
    (re.compile(_PREFIX + r"/Messages/(?P<sid>[^/]+)\.json$"), {"GET": "fetch", "POST": "update", "DELETE": "delete"}),
    (re.compile(_PREFIX + r"\.json$"), {"GET": "fetch_account"}),
)


def _first(params: dict[str, list[str]]) -> dict[str, str]:
    return {key: values[0] for key, values in params.items() if values}


def _parse_filter_time(value: str) -> tuple[datetime | None, bool]:
    """(moment in UTC, is_a_whole_day) for a DateSent filter: 'YYYY-MM-DD' or an ISO 8601 timestamp."""
    value = value.strip()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None, False
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment, len(value) == 10


class _Handler(LoopbackHandler):
    server: _Server

    # --- wire ------------------------------------------------------------------------------------
    def _send(
        self, status: int, payload: bytes = b"", content_type: str = "application/json", headers: dict | None = None
    ) -> None:
        reason = self.responses.get(status, ("",))[0]
        lines = [f"HTTP/1.1 {status} {reason}"]
        if status != 204:
            lines += [f"Content-Type: {content_type}", f"Content-Length: {len(payload)}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        lines += ["Connection: keep-alive", "", ""]
        head = "\r\n".join(lines).encode("latin-1")
        self.wfile.write(head + (payload if status != 204 else b""))  # one write: no delayed-ACK stall
        self.wfile.flush()

    def _send_json(self, status: int, body: dict | None, headers: dict | None = None) -> None:
        payload = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self._send(status, payload, headers=headers)

    def _drop(self) -> None:
        """Hang up without a byte of answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PUT(self) -> None:
        self._handle("PUT")

    # --- one request -----------------------------------------------------------------------------
    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        query = parse_qs(split.query, keep_blank_values=True)
        form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True) if method in ("POST", "PUT") else {}
        params = {key: list(query.get(key, [])) + list(form.get(key, [])) for key in {*query, *form}}

        operation, match = None, None
        allowed: dict[str, str] = {}
        for pattern, methods in ROUTES:
            match = pattern.match(split.path)
            if match:
                allowed = methods
                operation = methods.get(method)
                break
        fake: FakeTwilioServer = self.server.fake
        state = fake.state
        user, password = self._credentials()
        record = RecordedRequest(
            method=method,
            path=split.path,
            operation=operation,
            query=_first(query),
            form=_first(form),
            params=params,
            headers={key.lower(): value for key, value in self.headers.items()},
            auth_user=user,
            sid=match.groupdict().get("sid") if match else None,
            at=time.time(),
        )
        with state.lock:
            state.requests.append(record)
            fault = next((f for f in state.faults if f.matches(method, operation)), None)
            if fault is not None:
                state.faults.remove(fault)
                record.fault = fault.kind
            latency, wake = state.latency, state.wake

        if latency:
            wake.wait(latency)
        if fault is not None and not fault.process:
            if fault.kind == "timeout":
                wake.wait(fault.seconds)
            if fault.kind in ("drop", "timeout"):
                self._drop()
                return
            self._answer_fault(record, fault)
            return

        status, body, headers = self._process(record, method, operation, match, allowed, user, password, params)
        if fault is not None and fault.seconds:
            wake.wait(fault.seconds)
        if fault is not None and fault.drop:
            self._drop()
            return
        if fault is not None and fault.kind == "accept_then_fail":
            self._answer_fault(record, fault)
            return
        record.status = status
        self._send_json(status, body, headers)

    def _answer_fault(self, record: RecordedRequest, fault: Fault) -> None:
        record.status = fault.status
        if fault.raw is not None:
            self._send(fault.status, fault.raw, fault.content_type, fault.headers)
            return
        self._send_json(fault.status, error_body(fault.status, fault.code, fault.message), fault.headers)

    def _credentials(self) -> tuple[str | None, str | None]:
        header = self.headers.get("Authorization") or ""
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None, None
        try:
            user, _, password = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        return user, password

    def _process(
        self,
        record: RecordedRequest,
        method: str,
        operation: str | None,
        match: re.Match[str] | None,
        allowed: dict[str, str],
        user: str | None,
        password: str | None,
        params: dict[str, list[str]],
    ) -> tuple[int, dict | None, dict | None]:
        fake: FakeTwilioServer = self.server.fake
        path = record.path
        if match is None:
            return 404, error_body(404, 20404, f"The requested resource {path} was not found"), None
        account = match.group("account")
        if not fake._authorized(user, password, account):
            return (
                401,
                error_body(401, 20003, "Authenticate"),
                {"WWW-Authenticate": 'Basic realm="Twilio API"'},
            )
        record.authorized = True
        if operation is None:
            return 405, error_body(405, 20004, "Method not allowed"), {"Allow": ", ".join(sorted(allowed))}
        if operation == "fetch_account":
            return 200, fake._account_json(), None
        if operation == "create":
            status, body = fake._create(params)
            if status == 201 and body:
                record.sid = body["sid"]
            return status, body, None
        if operation == "list":
            return 200, fake._list(params), None
        sid = match.group("sid")
        if operation == "fetch":
            data = fake.message(sid)
            return (200, data, None) if data else (404, fake._not_found(path), None)
        if operation == "update":
            status, body = fake._update(sid, _first(params), path)
            return status, body, None
        # delete
        return (204, None, None) if fake._delete(sid) else (404, fake._not_found(path), None)


class _Server(LoopbackServer):
    fake: FakeTwilioServer


class FakeTwilioServer:
    """Start with `.start()`; `url` is the base URL to give the SDK (`client.api.base_url`, or the
    project's `TWILIO_API_BASE_URL`)."""

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
        self._server = _Server((host, port), _Handler)
        self._server.fake = self
        self.state = FakeTwilioState(account_sid=account_sid, auth_token=auth_token, api_keys=dict(api_keys or {}))
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def account_sid(self) -> str:
        return self.state.account_sid

    @property
    def auth_token(self) -> str:
        return self.state.auth_token

    def start(self) -> FakeTwilioServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-twilio", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (the standalone mode below)."""
        self._server.serve_forever()

    def stop(self) -> None:
        self.state.wake.set()
        self._server.shutdown()
        self._server.server_close()

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

    # --- faults ----------------------------------------------------------------------------------
    def _push(self, fault: Fault, times: int) -> FakeTwilioServer:
        if fault.method is not None:
            fault.method = fault.method.upper()
        if fault.operation is not None and fault.operation not in OPERATIONS:
            raise ValueError(f"unknown operation {fault.operation!r}; one of {OPERATIONS}")
        with self.state.lock:
            self.state.faults.extend(copy.deepcopy(fault) for _ in range(times))
        return self

    def fail(
        self,
        status: int = 500,
        code: int | None = None,
        message: str | None = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        method: str | None = None,
        operation: str | None = None,
        times: int = 1,
    ) -> FakeTwilioServer:
        """Answer the next matching request with `status` and Twilio's error JSON (code 20429 for
        429, 20500 for 500, 20503 for 503 unless given), or `raw` bytes; the request has no effect."""
        fault = Fault(
            "fail", status, code, message, raw, content_type, dict(headers or {}), method=method, operation=operation
        )
        return self._push(fault, times)

    def accept_then_fail(
        self,
        status: int = 500,
        code: int | None = None,
        message: str | None = None,
        *,
        method: str | None = None,
        operation: str | None = None,
        times: int = 1,
    ) -> FakeTwilioServer:
        """Carry out the next matching request (a create stores its message) but answer it with an
        error: the client cannot tell the message went out, and must reconcile before resending."""
        fault = Fault("accept_then_fail", status, code, message, process=True, method=method, operation=operation)
        return self._push(fault, times)

    def timeout(
        self,
        seconds: float = 5.0,
        *,
        process: bool = True,
        drop: bool = False,
        method: str | None = None,
        operation: str | None = None,
        times: int = 1,
    ) -> FakeTwilioServer:
        """Hold the next matching request `seconds` (longer than the client's timeout, so it gives
        up), then answer it normally, or with `drop=True` close the connection. With `process=True`
        (the default) the request takes effect on arrival, as when Twilio accepted a send whose
        answer came too late; with `process=False` it never does and the connection is closed."""
        fault = Fault(
            "timeout", seconds=seconds, process=process, drop=drop or not process, method=method, operation=operation
        )
        return self._push(fault, times)

    def drop(
        self,
        *,
        process: bool = False,
        method: str | None = None,
        operation: str | None = None,
        times: int = 1,
    ) -> FakeTwilioServer:
        """Close the connection of the next matching request without answering; with `process=True`
        the request takes effect first (the answer was lost on the way back)."""
        return self._push(Fault("drop", process=process, drop=True, method=method, operation=operation), times)

    @property
    def pending(self) -> int:
        """Faults not applied yet."""
        with self.state.lock:
            return len(self.state.faults)

    # --- seeding and state -------------------------------------------------------------------------
    def add_message(
        self,
        *,
        to: str,
        from_: str | None,
        body: str = "",
        direction: str = "outbound-api",
        status: str | None = None,
        sid: str | None = None,
        date_created: datetime | None = None,
        date_sent: datetime | None = None,
        messaging_service_sid: str | None = None,
        num_media: int = 0,
        error_code: int | None = None,
        error_message: str | None = None,
        price: str | None = None,
    ) -> dict[str, Any]:
        """Store a message as if it already existed at Twilio (not through the API, so `created()`
        leaves it out). Outbound ones default to delivered, inbound ones to received; date_sent
        defaults to date_created once the status says the message went out."""
        inbound = direction == "inbound"
        status = status or ("received" if inbound else "delivered")
        created = date_created or datetime.now(UTC)
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        sent = date_sent or (created if status in SENT_STATUSES else None)
        if sent is not None and sent.tzinfo is None:
            sent = sent.replace(tzinfo=UTC)
        with self.state.lock:
            record = self._store(
                sid=sid or new_sid(),
                to=to,
                from_=from_,
                body=body,
                status=status,
                direction=direction,
                created=created,
                sent=sent,
                messaging_service_sid=messaging_service_sid,
                num_media=num_media,
                via_api=False,
                params={},
            )
            data = record.data
            data.update(error_code=error_code, error_message=error_message, price=price)
            if price is not None:
                data["price_unit"] = "USD"
            return copy.deepcopy(data)

    def add_inbound(self, *, from_: str, to: str, body: str = "", **fields: Any) -> dict[str, Any]:
        """Store a message a user sent to one of the account's numbers (direction inbound)."""
        return self.add_message(to=to, from_=from_, body=body, direction="inbound", **fields)

    def set_status(
        self,
        sid: str,
        status: str,
        *,
        error_code: int | None = None,
        error_message: str | None = None,
        price: str | None = None,
    ) -> dict[str, Any]:
        """Move a message on (sent, delivered, failed, ...); sets date_sent when it went out."""
        now = datetime.now(UTC)
        with self.state.lock:
            record = self.state.records[sid]
            if status in SENT_STATUSES and record.sent is None:
                record.sent = now
            record.data.update(
                status=status,
                error_code=error_code,
                error_message=error_message,
                date_updated=rfc2822(now),
                date_sent=rfc2822(record.sent),
            )
            if price is not None:
                record.data.update(price=price, price_unit="USD")
            return copy.deepcopy(record.data)

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

    # --- the resource (called by the handler) ----------------------------------------------------
    def _authorized(self, user: str | None, password: str | None, account: str) -> bool:
        with self.state.lock:
            state = self.state
            if account != state.account_sid or user is None:
                return False
            if user == state.account_sid:
                return password == state.auth_token
            return user in state.api_keys and password == state.api_keys[user]

    def _base_uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.state.account_sid}"

    def _not_found(self, path: str) -> dict[str, Any]:
        return error_body(404, 20404, f"The requested resource {path} was not found")

    def _account_json(self) -> dict[str, Any]:
        sid = self.state.account_sid
        base = self._base_uri()
        now = rfc2822(datetime.now(UTC))
        return {
            "auth_token": self.state.auth_token,
            "date_created": now,
            "date_updated": now,
            "friendly_name": "Fake Twilio account",
            "owner_account_sid": sid,
            "sid": sid,
            "status": "active",
            "subresource_uris": {"messages": f"{base}/Messages.json"},
            "type": "Full",
            "uri": f"{base}.json",
        }

    def _store(
        self,
        *,
        sid: str,
        to: str,
        from_: str | None,
        body: str,
        status: str,
        direction: str,
        created: datetime,
        sent: datetime | None,
        messaging_service_sid: str | None,
        num_media: int,
        via_api: bool,
        params: dict[str, list[str]],
    ) -> _Record:
        """Store one message; the caller holds the lock."""
        uri = f"{self._base_uri()}/Messages/{sid}"
        data = {
            "account_sid": self.state.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": rfc2822(created),
            "date_sent": rfc2822(sent),
            "date_updated": rfc2822(created),
            "direction": direction,
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": messaging_service_sid,
            "num_media": str(num_media),
            "num_segments": str(num_segments(body)),
            "price": None,
            "price_unit": None,
            "sid": sid,
            "status": status,
            "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
            "to": to,
            "uri": f"{uri}.json",
        }
        self.state.seq += 1
        record = _Record(self.state.seq, data, created, sent, via_api, params)
        self.state.records[sid] = record
        return record

    def _create(self, params: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        form = _first(params)
        to = form.get("To", "")
        from_ = form.get("From") or None
        service = form.get("MessagingServiceSid") or None
        body = form.get("Body", "")
        media = [url for url in params.get("MediaUrl", []) if url]
        content_sid = form.get("ContentSid") or None
        if not to:
            return 400, error_body(400, 21604, "A 'To' phone number is required.")
        if not valid_to(to):
            return 400, error_body(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_ and not service:
            return 400, error_body(400, 21603, "A 'From' phone number is required.")
        if from_ and not valid_from(from_):
            message = f"The 'From' number {from_} is not a valid phone number, shortcode, or alphanumeric sender ID."
            return 400, error_body(400, 21212, message)
        if not body and not media and not content_sid:
            return 400, error_body(400, 21602, "Message body is required.")
        limit = MAX_WHATSAPP_BODY_LENGTH if to.startswith("whatsapp:") else MAX_BODY_LENGTH
        if len(body.encode("utf-16-le")) // 2 > limit:
            return 400, error_body(400, 21617, f"The concatenated message body exceeds the {limit} character limit.")
        if "ContentVariables" in form:
            try:
                json.loads(form["ContentVariables"])
            except ValueError:
                return 400, error_body(400, 21656, "The ContentVariables Parameter is invalid.")
        with self.state.lock:
            rejection = self.state.rejections.get(to)
            if rejection is not None:
                status, code, message = rejection
                return status, error_body(status, code, message)
            # Twilio: 'accepted' while a Messaging Service picks the sender, 'scheduled' for a later send.
            if service and form.get("ScheduleType") == "fixed" and form.get("SendAt"):
                status = "scheduled"
            elif service and not from_:
                status = "accepted"
            else:
                status = "queued"
            record = self._store(
                sid=new_sid(),
                to=to,
                from_=from_,
                body=body,
                status=status,
                direction="outbound-api",
                created=datetime.now(UTC),
                sent=None,
                messaging_service_sid=service,
                num_media=len(media),
                via_api=True,
                params=copy.deepcopy(params),
            )
            return 201, copy.deepcopy(record.data)

    def _list(self, params: dict[str, list[str]]) -> dict[str, Any]:
        form = _first(params)
        try:
            page_size = min(max(int(form.get("PageSize") or DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)
        except ValueError:
            page_size = DEFAULT_PAGE_SIZE
        try:
            page = max(int(form.get("Page") or 0), 0)
        except ValueError:
            page = 0
        token = form.get("PageToken") or ""
        filters = [(key, form[key]) for key in ("To", "From", "DateSent", "DateSent<", "DateSent>") if key in form]
        with self.state.lock:
            records = [r for r in self.state.records.values() if self._matches(r, dict(filters))]
            records.sort(key=lambda r: (r.created, r.seq), reverse=True)  # newest first
            sids = [r.data["sid"] for r in records]
            start = page * page_size
            if token[:2] == "PA" and token[2:] in sids:  # the page after the one ending with that sid
                start = sids.index(token[2:]) + 1
            elif token[:2] == "PB" and token[2:] in sids:  # the page before the one starting there
                start = max(sids.index(token[2:]) - page_size, 0)
            chunk = [copy.deepcopy(r.data) for r in records[start : start + page_size]]
            more = start + page_size < len(records)
            base = f"{self._base_uri()}/Messages.json"

        def uri(page_number: int, page_token: str | None = None) -> str:
            query = [*filters, ("PageSize", str(page_size)), ("Page", str(page_number))]
            if page_token:
                query.append(("PageToken", page_token))
            return f"{base}?{urlencode(query)}"

        return {
            "end": start + max(len(chunk) - 1, 0),
            "first_page_uri": uri(0),
            "messages": chunk,
            "next_page_uri": uri(page + 1, "PA" + chunk[-1]["sid"]) if more and chunk else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": uri(page - 1, "PB" + chunk[0]["sid"]) if page > 0 and chunk else None,
            "start": start,
            "uri": uri(page, token or None),
        }

    @staticmethod
    def _matches(record: _Record, filters: dict[str, str]) -> bool:
        data = record.data
        if "To" in filters and data["to"] != filters["To"]:
            return False
        if "From" in filters and data["from"] != filters["From"]:
            return False
        for key, compare in (("DateSent", "=="), ("DateSent<", "<="), ("DateSent>", ">=")):
            if key not in filters:
                continue
            bound, whole_day = _parse_filter_time(filters[key])
            if bound is None or record.sent is None:
                return False
            # DateSent matches a day; DateSent< and DateSent> are inclusive bounds, whole days for a
            # bare 'YYYY-MM-DD' (Twilio's documented form) and instants for a timestamp.
            sent = record.sent.astimezone(UTC)
            if whole_day or compare == "==":
                left, right = sent.date(), bound.date()
                if (compare == "==" and left != right) or (compare == "<=" and left > right):
                    return False
                if compare == ">=" and left < right:
                    return False
            elif (compare == "<=" and sent > bound) or (compare == ">=" and sent < bound):
                return False
        return True

    def _update(self, sid: str, form: dict[str, str], path: str) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            record = self.state.records.get(sid)
            if record is None:
                return 404, self._not_found(path)
            data = record.data
            if "Body" in form and form["Body"] != "":
                return 400, error_body(400, 20001, "A message body can only be redacted: set Body to ''.")
            if "Status" in form:
                if form["Status"] != "canceled":
                    return 400, error_body(400, 20001, f"Invalid Status {form['Status']!r}: only 'canceled'.")
                if data["status"] != "scheduled":
                    return 400, error_body(400, 30409, "This message cannot be canceled")
                data["status"] = "canceled"
            if "Body" in form:
                data["body"] = ""
            data["date_updated"] = rfc2822(datetime.now(UTC))
            return 200, copy.deepcopy(data)

    def _delete(self, sid: str) -> bool:
        with self.state.lock:
            return self.state.records.pop(sid, None) is not None


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


if __name__ == "__main__":  # a standalone stand-in for manual runs (TWILIO_API_BASE_URL=<printed url>)
    import argparse

    parser = argparse.ArgumentParser(description="Twilio-compatible fake Messages API")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    options = parser.parse_args()
    fake = FakeTwilioServer(options.account_sid, options.auth_token, port=options.port)
    fake.set_latency(options.latency)
    print(fake.url, fake.account_sid, fake.auth_token, flush=True)
    fake.serve_forever()
