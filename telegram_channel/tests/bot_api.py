"""A loopback Telegram Bot API for the tests: the real client (TELEGRAM_API_BASE_URL) talks to it
over HTTP. It answers getMe, setWebhook, deleteWebhook, getWebhookInfo, getUpdates and
sendMessage as Telegram does, records every call, and plays scripted faults:

    server = FakeBotAPI(token="123:abc").start()
    server.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    server.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    server.fail("sendMessage", delay=2)          # answers too late: the client times out
    server.queue_update({...})                   # for getUpdates
    server.sent                                  # [{"chat_id": ..., "text": ...}, ...]
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from demo.http import LoopbackHandler, LoopbackServer, LoopbackStandin

BOT_USERNAME = "ai_messaging_test_bot"


@dataclass
class Fault:
    status: int = 200
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0  # seconds before answering (a timeout when over the client's)


class _Handler(LoopbackHandler):
    server: _Server

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fake = self.server.fake
        _, _, rest = self.path.partition("/bot")
        token, _, method = rest.partition("/")
        if token != fake.token:
            self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        params = json.loads(raw or b"{}")
        with fake.lock:
            fake.calls.append((method, params))
            fault = fake.faults[method].popleft() if fake.faults[method] else None
        if fault is not None:
            time.sleep(fault.delay)
            if fault.status != 200:
                body: dict[str, Any] = {"ok": False, "error_code": fault.status, "description": fault.description}
                if fault.retry_after is not None:
                    body["parameters"] = {"retry_after": fault.retry_after}
                self._reply(fault.status, body)
                return
        handler = getattr(fake, f"_{method}", None)
        if handler is None:
            self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self._reply(200, {"ok": True, "result": handler(params)})


class _Server(LoopbackServer):
    fake: FakeBotAPI


class FakeBotAPI(LoopbackStandin):
    thread_name = "fake-telegram"

    def __init__(self, *, token: str, port: int = 0) -> None:
        self.token = token
        self.lock = threading.Lock()
        server = _Server(("127.0.0.1", port), _Handler)
        server.fake = self
        super().__init__(server)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.calls: list[tuple[str, dict]] = []
            self.faults: defaultdict[str, deque[Fault]] = defaultdict(deque)
            self.updates: list[dict] = []
            self.webhook: dict[str, Any] = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
            self.next_message_id = 100

    # --- scripting -------------------------------------------------------------------------
    def fail(self, method: str, status: int = 200, description: str = "", **fields: Any) -> None:
        with self.lock:
            self.faults[method].append(Fault(status, description, **fields))

    def queue_update(self, update: dict) -> None:
        with self.lock:
            self.updates.append(update)

    @property
    def sent(self) -> list[dict]:
        with self.lock:
            return [params for method, params in self.calls if method == "sendMessage"]

    def called(self, method: str) -> list[dict]:
        with self.lock:
            return [params for name, params in self.calls if name == method]

    # --- the methods ----------------------------------------------------------------------
    def _getMe(self, params: dict) -> dict:
        return {"id": 777000, "is_bot": True, "first_name": "AI Messaging", "username": BOT_USERNAME}

    def _setWebhook(self, params: dict) -> bool:
        self.webhook = {**self.webhook, "url": params["url"], "allowed_updates": params.get("allowed_updates", [])}
        self.webhook_secret = params.get("secret_token", "")
        return True

    def _deleteWebhook(self, params: dict) -> bool:
        self.webhook = {**self.webhook, "url": ""}
        return True

    def _getWebhookInfo(self, params: dict) -> dict:
        return dict(self.webhook)

    def _getUpdates(self, params: dict) -> list[dict]:
        # Telegram forgets the updates below the offset (confirmed); the rest come again.
        with self.lock:
            offset = params.get("offset") or 0
            self.updates = [update for update in self.updates if update["update_id"] >= offset]
            return list(self.updates)

    def _sendMessage(self, params: dict) -> dict:
        with self.lock:
            self.next_message_id += 1
            message_id = self.next_message_id
        return {
            "message_id": message_id,
            "chat": {"id": params["chat_id"]},
            "date": int(time.time()),
            "text": params["text"],
        }
