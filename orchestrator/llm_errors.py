"""What went wrong with an LLM call, named once for logs, retries and the fallback: the error
classes every caller catches, and the classifier that reads litellm's (and its HTTP clients')
exceptions. litellm itself is imported only by `orchestrator.llm`; the classifier is handed it."""

from __future__ import annotations

import json
import socket
import ssl
from typing import Any


class LLMError(Exception):
    """Any failure to get a completion. `kind` is for logs and metrics only: callers show users a
    fixed fallback text, never this exception's text.

    Kinds when no HTTP response came: `connection_refused`, `connection_error` (DNS, reset, TLS),
    `timeout`. Kinds of an HTTP error response, with its `status_code`: `bad_request` (400),
    `auth_error` (401), `permission_denied` (403), `not_found` (404), `rate_limited` (429),
    `http_error` (any other, 5xx included). Else `bad_response` (a body that is no completion),
    `not_configured`, `model_refused` (the model is no allowed model name: nothing was sent), or
    `api_error` (an error litellm raised that none of these names). `detail`
    is an exception class name or a fixed text of this module: never a message, which could quote
    the prompt or the server's body. `transient` errors are retried by `chat_completion`."""

    def __init__(self, kind: str, detail: str = "", *, status_code: int | None = None, transient: bool = False):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail
        self.status_code = status_code
        self.transient = transient

    @property
    def summary(self) -> str:
        """The cause for a log line: `rate_limited (HTTP 429)`, `connection_refused (ConnectionRefusedError)`."""
        if self.status_code is not None:
            return f"{self.kind} (HTTP {self.status_code})"
        return f"{self.kind} ({self.detail})" if self.detail else self.kind


class LLMTimeout(LLMError):
    def __init__(self, detail: str = "timed out"):
        super().__init__("timeout", detail, transient=True)


# HTTP error statuses with a name of their own; any other status is an `http_error`.
STATUS_KINDS = {400: "bad_request", 401: "auth_error", 403: "permission_denied", 404: "not_found", 429: "rate_limited"}


def _status_is_transient(status: int) -> bool:
    return status >= 500 or status in (408, 409, 429)


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and what it was raised from or while handling, outermost first (cycles cut)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and not any(current is seen for seen in chain) and len(chain) < 32:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _response_status(error: BaseException, httpx: Any, openai: Any) -> int | None:
    """The status of the HTTP response `error` carries, if it carries one. litellm's own exceptions
    subclass the OpenAI SDK's status errors with a status of litellm's choosing: they carry none."""
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code
    if isinstance(error, openai.APIStatusError) and not type(error).__module__.startswith("litellm"):
        return error.status_code
    return None


def classify_error(exc: Exception, litellm: Any) -> LLMError:
    """Name what went wrong. litellm reports a refused or dropped connection as an
    `InternalServerError` with status 500 although no response ever came, and a gateway's 504 as a
    `Timeout`: so the cause chain decides (an httpx or OpenAI-SDK status error means a response
    came), then litellm's message, and litellm's own class and status only as the last resort."""
    import httpx  # both are litellm's dependencies, loaded with it
    import openai

    chain = _causes(exc)
    root = type(chain[-1]).__name__
    for error in chain:
        status = _response_status(error, httpx, openai)
        if status is not None:
            return http_error(status)
    if any(isinstance(error, ConnectionRefusedError) for error in chain):
        return LLMError("connection_refused", "ConnectionRefusedError", transient=True)
    timeouts = (httpx.TimeoutException, openai.APITimeoutError, TimeoutError, litellm.exceptions.Timeout)
    if any(isinstance(error, timeouts) for error in chain):
        named = [type(error).__name__ for error in chain if isinstance(error, httpx.TimeoutException)]
        return LLMTimeout(named[0] if named else root)
    connection = (httpx.TransportError, openai.APIConnectionError, ConnectionError, socket.gaierror, ssl.SSLError)
    if any(isinstance(error, connection) for error in chain):
        return LLMError("connection_error", root, transient=True)
    if any(isinstance(error, json.JSONDecodeError) for error in chain):
        return LLMError("bad_response", "JSONDecodeError")
    text = str(exc).lower()
    if "connection refused" in text:
        return LLMError("connection_refused", type(exc).__name__, transient=True)
    if "timed out" in text or isinstance(exc, litellm.exceptions.Timeout):
        return LLMTimeout(type(exc).__name__)
    if isinstance(exc, litellm.exceptions.APIConnectionError):
        return LLMError("connection_error", type(exc).__name__, transient=True)
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status >= 400:  # a provider client of litellm's other than httpx
        return http_error(status)
    transient = isinstance(exc, litellm.exceptions.InternalServerError | litellm.exceptions.ServiceUnavailableError)
    return LLMError("api_error", type(exc).__name__, transient=transient)


def http_error(status: int) -> LLMError:
    kind = STATUS_KINDS.get(status, "http_error")
    return LLMError(kind, status_code=status, transient=_status_is_transient(status))
