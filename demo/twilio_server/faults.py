"""Scripted misbehaviour: the faults a test queues for the requests to come."""

from __future__ import annotations

import copy
from typing import Self

from demo.twilio_server.records import FakeTwilioState, Fault
from demo.twilio_server.wire import OPERATIONS


class FaultScript:
    """The fault half of FakeTwilioServer: each queued fault applies to the next request it matches."""

    state: FakeTwilioState

    def _push(self, fault: Fault, times: int) -> Self:
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
    ) -> Self:
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
    ) -> Self:
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
    ) -> Self:
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
    ) -> Self:
        """Close the connection of the next matching request without answering; with `process=True`
        the request takes effect first (the answer was lost on the way back)."""
        return self._push(Fault("drop", process=process, drop=True, method=method, operation=operation), times)

    @property
    def pending(self) -> int:
        """Faults not applied yet."""
        with self.state.lock:
            return len(self.state.faults)
