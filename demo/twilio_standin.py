"""Demo mode's Twilio: the Messages API stand-in (demo/twilio_server/) that also does what Twilio
does after a send: it moves the message to `sent`, then `delivered`, and posts each status to the
message's StatusCallback, signed with the account's auth token like Twilio's own callbacks. Nothing
leaves this machine: the messages stay in its memory (the phone simulator shows the replies)."""

from __future__ import annotations

import logging
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from twilio.request_validator import RequestValidator

from demo.twilio_server import FakeTwilioServer

logger = logging.getLogger(__name__)

CALLBACK_STEPS = ("sent", "delivered")
CALLBACK_DELAY_S = 0.3
CALLBACK_TIMEOUT_S = 10
# devserver's own addresses: with AI_MESSAGE_SSL its certificate is usually self-signed.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class DemoTwilioServer(FakeTwilioServer):
    def __init__(self, *args: Any, callback_delay: float = CALLBACK_DELAY_S, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.callback_delay = callback_delay
        self.callbacks: list[tuple[str, dict[str, str], int | None]] = []  # (url, form, HTTP status)

    def reset(self) -> None:
        super().reset()
        self.callbacks.clear()

    def _create(self, params: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        status, data = super()._create(params)
        callback = (params.get("StatusCallback") or [""])[0]
        if status == 201 and callback:
            threading.Thread(
                target=self._deliver, args=(data["sid"], callback), name="demo-twilio-callback", daemon=True
            ).start()
        return status, data

    def _deliver(self, sid: str, url: str) -> None:
        for step in CALLBACK_STEPS:
            time.sleep(self.callback_delay)
            if self.message(sid) is None:
                return  # deleted meanwhile
            data = self.set_status(sid, step)
            form = {
                "AccountSid": data["account_sid"],
                "MessageSid": sid,
                "SmsSid": sid,
                "MessageStatus": step,
                "SmsStatus": step,
                "From": data["from"] or "",
                "To": data["to"],
                "ApiVersion": data["api_version"],
            }
            self.callbacks.append((url, form, self._post(url, form)))

    def _post(self, url: str, form: dict[str, str]) -> int | None:
        signature = RequestValidator(self.auth_token).compute_signature(url, form)
        request = urllib.request.Request(  # noqa: S310 - the callback URL our own server gave
            url, data=urllib.parse.urlencode(form).encode(), headers={"X-Twilio-Signature": signature}
        )
        context = None
        if urllib.parse.urlsplit(url).hostname in LOOPBACK_HOSTS:
            context = ssl._create_unverified_context()  # noqa: S323 - this machine's own dev server
        try:
            with urllib.request.urlopen(request, timeout=CALLBACK_TIMEOUT_S, context=context) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as exc:
            logger.warning("Status callback answered %s", exc.code)
            return exc.code
        except (urllib.error.URLError, OSError) as exc:
            logger.warning("Status callback failed: %s", exc)
            return None
