"""The Twilio stand-in of the round-trip benchmark (`bench/webhook.py --round-trip`): demo mode's
stand-in (demo/twilio_standin.py: the Messages API, and the `sent` / `delivered` status callbacks
posted back, signed) that also notes when each send arrived and when each callback was answered.

    GET  /_bench        {"creates": {callback URL: [arrival, ...]},
                         "callbacks": {callback URL: [[status, answered at, HTTP status], ...]}}
    POST /_bench/reset  forgets the messages and the notes

The times are the wall clock (time.time()). A send is keyed by its StatusCallback URL, which names
the outbound row (`?mid=`), so two sends of one reply show as two arrivals under one key."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.twilio_server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, _Handler
from demo.twilio_standin import DemoTwilioServer


class RecordingHandler(_Handler):
    def _handle(self, method: str) -> None:
        if not self.path.startswith("/_bench"):
            super()._handle(method)
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        fake: RecordingTwilioServer = self.server.fake  # type: ignore[assignment]
        if method == "POST" and self.path == "/_bench/reset":
            fake.reset()
            self._send_json(200, {})
        else:
            self._send_json(200, fake.notes())


class RecordingTwilioServer(DemoTwilioServer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._server.RequestHandlerClass = RecordingHandler
        self.note_lock = threading.Lock()
        self.creates: dict[str, list[float]] = {}
        self.answered: dict[str, list[tuple[str, float, int | None]]] = {}

    def reset(self) -> None:
        super().reset()
        with self.note_lock:
            self.creates.clear()
            self.answered.clear()

    def notes(self) -> dict[str, Any]:
        with self.note_lock:
            return {"creates": dict(self.creates), "callbacks": dict(self.answered)}

    api_latency = 0.0  # seconds each send waits before its answer, as Twilio's API takes 0.1-0.5 s

    def _create(self, params: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        arrived = time.time()
        time.sleep(self.api_latency)  # in the request's own thread: sends wait side by side
        status, data = super()._create(params)
        if status == 201:
            key = (params.get("StatusCallback") or [data["sid"]])[0]
            with self.note_lock:
                self.creates.setdefault(key, []).append(arrived)
        return status, data

    def _post(self, url: str, form: dict[str, str]) -> int | None:
        answer = super()._post(url, form)
        with self.note_lock:
            self.answered.setdefault(url, []).append((form["MessageStatus"], time.time(), answer))
        return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    parser.add_argument("--callback-delay", type=float, default=0.3, help="seconds before each status callback")
    parser.add_argument("--api-latency", type=float, default=0.0, help="seconds before each send is answered")
    options = parser.parse_args()
    fake = RecordingTwilioServer(
        options.account_sid, options.auth_token, port=options.port, callback_delay=options.callback_delay
    )
    fake.api_latency = options.api_latency
    print(json.dumps({"url": fake.url}), flush=True)
    fake.serve_forever()


if __name__ == "__main__":
    main()
