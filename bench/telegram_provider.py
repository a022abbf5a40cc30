"""The Telegram Bot API stand-in of the round-trip benchmark (`bench/webhook.py --round-trip
--channel telegram`): the telegram tests' loopback Bot API (telegram_channel/tests/bot_api.py) that
also notes when each sendMessage arrived, under `chat_id:message_id` (the reply row's external id).

    GET  /_bench        {"sends": {"chat_id:message_id": arrival}, "by_chat": {chat_id: sendMessage calls}}
    POST /_bench/reset  forgets the calls and the notes (the message ids go on: Telegram never repeats one)

The times are the wall clock (time.time())."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram_channel.tests.bot_api import FakeBotAPI, _Handler


class RecordingHandler(_Handler):
    """GET /_bench: {"sends": {"chat_id:message_id": arrival}, "by_chat": {chat_id: sendMessage calls}};
    POST /_bench/reset forgets them and the calls."""

    def do_GET(self) -> None:
        self._reply(200, self.server.fake.notes())

    def do_POST(self) -> None:
        if self.path != "/_bench/reset":
            super().do_POST()
            return
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.fake.reset()
        self._reply(200, {})


class RecordingBotAPI(FakeBotAPI):
    """The tests' Bot API stand-in, noting when each sendMessage arrived (the wall clock)."""

    def __init__(self, *, token: str, port: int = 0) -> None:
        super().__init__(token=token, port=port)
        self._server.RequestHandlerClass = RecordingHandler

    def reset(self) -> None:
        # Telegram's message ids never repeat in a chat: the reply rows' external ids are unique.
        next_id = getattr(self, "next_message_id", int(time.time()) * 1000)
        super().reset()
        self.next_message_id, self.arrivals = next_id, {}

    def notes(self) -> dict[str, Any]:
        with self.lock:
            chats = Counter(str(params["chat_id"]) for method, params in self.calls if method == "sendMessage")
            return {"sends": dict(self.arrivals), "by_chat": dict(chats)}

    def _sendMessage(self, params: dict) -> dict:
        arrived = time.time()
        result = super()._sendMessage(params)
        with self.lock:
            self.arrivals[f"{params['chat_id']}:{result['message_id']}"] = arrived
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", required=True, help="the bot token the processes under test use")
    options = parser.parse_args()
    fake = RecordingBotAPI(token=options.token, port=options.port).start()
    print(json.dumps({"url": fake.url}), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
