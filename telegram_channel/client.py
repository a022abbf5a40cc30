"""The one place that talks to the Telegram Bot API: a small typed client over httpx. Not a
library: pyTelegramBotAPI sets its base URL process-wide and folds the HTTP status and `retry_after`
into its own exception; python-telegram-bot is async-first, and the Celery workers are synchronous.
This keeps the status, description and `retry_after` for the classifier (`errors`), and the tests
run it against a loopback stand-in (TELEGRAM_API_BASE_URL). The bot token is part of every URL: it
never reaches a log line or an exception's text."""

import logging
import re
import threading
from typing import Any

import httpx
from django.conf import settings

from core.exceptions import ServiceUnavailableError

NOT_CONFIGURED = "Telegram is not configured."
_TOKEN_IN_URL = re.compile(r"/bot[^/\s]+")
_local = threading.local()  # one connection pool per thread, as for the Twilio client


class TelegramNotConfigured(ServiceUnavailableError):
    def __init__(self) -> None:
        super().__init__(NOT_CONFIGURED, retry_after=0)


class TelegramError(Exception):
    """A Bot API call that failed. `status`: the HTTP status, None when no answer came (`reached`
    says whether the request may have got there); `retry_after`: the seconds a 429 asks to wait."""

    def __init__(
        self, description: str, *, status: int | None = None, retry_after: int | None = None, reached: bool = True
    ):
        super().__init__(f"HTTP {status}: {description}" if status else description)
        self.description = description
        self.status = status
        self.retry_after = retry_after
        self.reached = reached


def mask_token(text: str) -> str:
    """`https://api.telegram.org/bot123:ABC/sendMessage` -> `.../bot*****/sendMessage`."""
    return _TOKEN_IN_URL.sub("/bot*****", text)


class _MaskTokenFilter(logging.Filter):
    """httpx logs every request's URL at INFO: with the token masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(mask_token(str(arg)) if "/bot" in str(arg) else arg for arg in record.args)
        return True


logging.getLogger("httpx").addFilter(_MaskTokenFilter())


class TelegramClient:
    def __init__(self, token: str, base_url: str, timeout: float):
        self._prefix = f"{base_url.rstrip('/')}/bot{token}/"
        self._timeout = timeout
        self._http = httpx.Client(timeout=timeout)

    def call(self, method: str, params: dict[str, Any] | None = None, *, wait: float = 0) -> Any:
        """The `result` of one Bot API method; TelegramError otherwise. `wait`: extra seconds to
        read the answer (a long poll's own timeout)."""
        timeout = httpx.Timeout(self._timeout, read=self._timeout + wait)
        try:
            response = self._http.post(self._prefix + method, json=params or {}, timeout=timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # the request never left
            raise TelegramError(f"{method}: unreachable ({type(exc).__name__})", reached=False) from None
        except httpx.HTTPError as exc:  # no answer: the request may have arrived; never the URL's text
            raise TelegramError(f"{method}: no answer ({type(exc).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        if response.status_code == 200 and body.get("ok") is True:
            return body.get("result")
        parameters = body.get("parameters")
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        raise TelegramError(
            mask_token(str(body.get("description") or response.reason_phrase or "error"))[:300],
            status=response.status_code,
            retry_after=int(retry_after) if isinstance(retry_after, int | float) else None,
        )

    def send_message(self, *, chat_id: str, text: str) -> dict[str, Any]:
        return self.call("sendMessage", {"chat_id": chat_id, "text": text})

    def get_updates(self, *, offset: int | None, timeout: int) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"timeout": timeout, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            params["offset"] = offset
        return self.call("getUpdates", params, wait=timeout)


# The updates the bot asks for (webhook and polling): new messages (an edit is not a new one), and
# the bot's status in a chat (`my_chat_member`: the user blocked or unblocked it).
ALLOWED_UPDATES = ["message", "my_chat_member"]


def telegram_client() -> TelegramClient:
    """A client for TELEGRAM_BOT_TOKEN at TELEGRAM_API_BASE_URL (Telegram's own unless a stand-in
    is set); TelegramNotConfigured without a token."""
    if not settings.TELEGRAM_BOT_TOKEN:
        raise TelegramNotConfigured()
    key = (settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_API_BASE_URL, settings.TELEGRAM_HTTP_TIMEOUT_S)
    cached = getattr(_local, "client", None)
    if cached is None or cached[0] != key:
        cached = _local.client = (key, TelegramClient(*key))
    return cached[1]
