"""bench/webhook.py --round-trip (bench/roundtrip.py, bench/provider.py): what makes a step held
(every reply once, in time, with its callbacks) and what the stand-in notes. The measurements are
taken by hand (docs/PERFORMANCE.md, "The whole turn of an inbound SMS")."""

import argparse
import http.client
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import roundtrip  # noqa: E402  bench/ is not a package
from provider import RecordingTwilioServer  # noqa: E402
from webhook import Outcome  # noqa: E402

from demo.twilio_server import twilio_client_for  # noqa: E402

BASE = "http://127.0.0.1:8000"
WALL = 1_000.0  # perf_counter() + WALL = time.time() in these tests


class Stack:
    base_url = BASE


def key(mid: int) -> str:
    return f"{BASE}/twilio/status?mid={mid}"


def turns(*, replies: dict, creates: dict, callbacks: dict, statuses=(200, 200)) -> dict:
    bench = roundtrip.RoundTrip(argparse.Namespace(reply_bound_s=5.0), provider=None, stacks=[])
    outcomes = [Outcome(due=10.0 + index, done=10.02 + index, status=status) for index, status in enumerate(statuses)]
    notes = {"creates": creates, "callbacks": callbacks}
    return bench._turns(Stack(), outcomes, ["SM1", "SM2"], replies, notes, WALL)


ANSWERED = [["sent", 0, 200], ["delivered", 0, 204]]


def test_every_reply_once_in_time_with_its_callbacks_is_held():
    result = turns(
        replies={"SM1": [7], "SM2": [8]},
        creates={key(7): [WALL + 10.5], key(8): [WALL + 11.25]},
        callbacks={key(7): ANSWERED, key(8): ANSWERED},
    )

    assert result["held"] is True
    assert (result["replies_once"], result["replies_missing"], result["replies_more_than_once"]) == (2, 0, 0)
    assert result["reply"]["max_ms"] == pytest.approx(500, abs=1)
    assert result["ack"]["p50_ms"] == pytest.approx(20, abs=1)


@pytest.mark.parametrize(
    ("replies", "creates", "callbacks", "counted"),
    [
        # a second reply row for one inbound message
        ({"SM1": [7, 9], "SM2": [8]}, {key(7): [WALL + 10.5], key(8): [WALL + 11.5]}, None, "replies_more_than_once"),
        # one reply row sent twice to the provider
        ({"SM1": [7], "SM2": [8]}, {key(7): [WALL + 10.5, WALL + 12], key(8): [WALL + 11.5]}, None,
         "replies_more_than_once"),
        # no reply row, and a row never sent
        ({"SM1": [], "SM2": [8]}, {key(8): [WALL + 11.5]}, None, "replies_missing"),
        ({"SM1": [7], "SM2": [8]}, {key(8): [WALL + 11.5]}, None, "replies_missing"),
        # a callback the web process did not accept
        ({"SM1": [7], "SM2": [8]}, {key(7): [WALL + 10.5], key(8): [WALL + 11.5]},
         {key(7): ANSWERED, key(8): [["sent", 0, 403], ["delivered", 0, 204]]}, "callbacks_not_answered_2xx"),
    ],
)  # fmt: skip
def test_a_reply_missing_repeated_or_unconfirmed_fails_the_step(replies, creates, callbacks, counted):
    callbacks = callbacks or {name: ANSWERED for name in creates}

    result = turns(replies=replies, creates=creates, callbacks=callbacks)

    assert result[counted] == 1
    assert result["held"] is False


def test_a_reply_after_the_bound_or_a_refused_webhook_fails_the_step():
    late = turns(
        replies={"SM1": [7], "SM2": [8]},
        creates={key(7): [WALL + 10.5], key(8): [WALL + 16.5]},  # 5.5 s after it was due
        callbacks={key(7): ANSWERED, key(8): ANSWERED},
    )
    refused = turns(replies={"SM1": [7], "SM2": []}, creates={key(7): [WALL + 10.5]},
                    callbacks={key(7): ANSWERED}, statuses=(200, 403))  # fmt: skip

    assert (late["held"], late["replies_within_bound"]) == (False, 1)
    assert refused["held"] is False
    assert refused["statuses"] == {"200": 1, "403": 1}


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_the_stand_in_notes_each_send_under_its_callback_url_and_each_answered_callback():
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    callback = f"http://127.0.0.1:{receiver.server_address[1]}/twilio/status?mid=42"
    fake = RecordingTwilioServer(callback_delay=0.0).start()
    try:
        client = twilio_client_for(fake, timeout=5)
        client.messages.create(to="+15550000001", from_="+15550000002", body="Hi", status_callback=callback)

        def notes() -> dict:
            conn = http.client.HTTPConnection("127.0.0.1", int(fake.url.rsplit(":", 1)[1]), timeout=5)
            conn.request("GET", "/_bench")
            return json.loads(conn.getresponse().read())

        deadline = time.time() + 10
        while len(notes()["callbacks"].get(callback, [])) < 2 and time.time() < deadline:
            time.sleep(0.05)
        seen = notes()
    finally:
        fake.stop()
        receiver.shutdown()

    assert list(seen["creates"]) == [callback] and len(seen["creates"][callback]) == 1
    assert [(status, answer) for status, _at, answer in seen["callbacks"][callback]] == [
        ("sent", 204), ("delivered", 204)
    ]  # fmt: skip
