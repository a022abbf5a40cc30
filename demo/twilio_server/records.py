"""The stand-in's memory: queued faults, recorded requests and stored messages."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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
