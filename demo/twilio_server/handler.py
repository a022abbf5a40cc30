"""The stand-in's HTTP side: one request in (routing, basic auth, the queued fault it meets), one
answer out, written at once."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import socket
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from demo.http import LoopbackHandler, LoopbackServer
from demo.twilio_server.records import Fault, RecordedRequest
from demo.twilio_server.wire import ROUTES, error_body, first_values

if TYPE_CHECKING:
    from demo.twilio_server.server import FakeTwilioServer


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
            query=first_values(query),
            form=first_values(form),
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
            status, body = fake._update(sid, first_values(params), path)
            return status, body, None
        # delete
        return (204, None, None) if fake._delete(sid) else (404, fake._not_found(path), None)


class _Server(LoopbackServer):
    fake: FakeTwilioServer
