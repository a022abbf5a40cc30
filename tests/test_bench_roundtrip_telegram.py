"""bench/webhook.py --round-trip --channel telegram (bench/roundtrip_telegram.py, bench/telegram_provider.py):
what makes a step held (every update answered once, in time), what the Bot API stand-in notes, and
one tiny run end to end on PostgreSQL. The measurements are taken by hand (docs/PERFORMANCE.md,
"The whole turn of a Telegram message")."""

import argparse
import http.client
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import roundtrip_telegram  # noqa: E402  bench/ is not a package
from telegram_provider import RecordingBotAPI  # noqa: E402
from webhook import Outcome  # noqa: E402

WALL = 1_000.0  # perf_counter() + WALL = time.time() in these tests
DEADLINE_S = 300


def turns(*, replies: dict, sends: dict, by_chat: dict, statuses=(200, 200)) -> dict:
    bench = roundtrip_telegram.TelegramRoundTrip(argparse.Namespace(reply_bound_s=5.0), provider=None, stacks=[])
    outcomes = [Outcome(due=10.0 + index, done=10.02 + index, status=status) for index, status in enumerate(statuses)]
    notes = {"sends": sends, "by_chat": by_chat}
    return bench._turns(None, outcomes, ["1", "2"], replies, notes, WALL)


def test_every_update_answered_once_in_time_is_held():
    result = turns(
        replies={"1": ["7:101"], "2": ["7:102"]},
        sends={"7:101": WALL + 10.5, "7:102": WALL + 11.25},
        by_chat={"7": 2},
    )

    assert result["held"] is True
    assert (result["replies_once"], result["replies_missing"], result["replies_more_than_once"]) == (2, 0, 0)
    assert result["reply"]["max_ms"] == pytest.approx(500, abs=1)
    assert result["ack"]["p50_ms"] == pytest.approx(20, abs=1)


@pytest.mark.parametrize(
    ("replies", "sends", "by_chat", "counted"),
    [
        # a second reply row for one update
        ({"1": ["7:101", "7:103"], "2": ["7:102"]}, {"7:101": WALL + 10.5, "7:102": WALL + 11.5}, {"7": 2},
         "replies_more_than_once"),
        # one reply sent twice (the chat got a message more than it sent updates)
        ({"1": ["7:101"], "2": ["7:102"]}, {"7:101": WALL + 10.5, "7:102": WALL + 11.5, "7:103": WALL + 12},
         {"7": 3}, "replies_more_than_once"),
        # no reply row, and a row whose send never reached the stand-in
        ({"1": [], "2": ["7:102"]}, {"7:102": WALL + 11.5}, {"7": 1}, "replies_missing"),
        ({"1": ["7:101"], "2": ["7:102"]}, {"7:102": WALL + 11.5}, {"7": 1}, "replies_missing"),
    ],
)  # fmt: skip
def test_a_reply_missing_or_repeated_fails_the_step(replies, sends, by_chat, counted):
    result = turns(replies=replies, sends=sends, by_chat=by_chat)

    assert result[counted] == 1
    assert result["held"] is False


def test_a_reply_after_the_bound_or_a_refused_update_fails_the_step():
    late = turns(replies={"1": ["7:101"], "2": ["7:102"]}, sends={"7:101": WALL + 10.5, "7:102": WALL + 16.5},
                 by_chat={"7": 2})  # fmt: skip
    refused = turns(replies={"1": ["7:101"]}, sends={"7:101": WALL + 10.5}, by_chat={"7": 1}, statuses=(200, 403))

    assert (late["held"], late["replies_within_bound"]) == (False, 1)
    assert (refused["held"], refused["statuses"]) == (False, {"200": 1, "403": 1})


def test_the_stand_in_notes_each_send_by_chat_and_message_id_which_go_on_after_a_reset():
    fake = RecordingBotAPI(token="1:t").start()
    port = int(fake.url.rsplit(":", 1)[1])

    def call(method: str, path: str, body: dict | None = None) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request(method, path, json.dumps(body or {}), {"Content-Type": "application/json"})
        answer = json.loads(conn.getresponse().read())
        conn.close()
        return answer

    try:
        first = call("POST", "/bot1:t/sendMessage", {"chat_id": 7, "text": "Hi"})["result"]["message_id"]
        call("POST", "/_bench/reset")
        second = call("POST", "/bot1:t/sendMessage", {"chat_id": 7, "text": "Hi"})["result"]["message_id"]
        notes = call("GET", "/_bench")
    finally:
        fake.stop()

    assert second > first  # Telegram never repeats a message id in a chat
    assert (list(notes["sends"]), notes["by_chat"]) == ([f"7:{second}"], {"7": 1})


@pytest.fixture
def bench_database():
    """A PostgreSQL database of the bench's own beside DATABASE_URL's (the bench refuses SQLite)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("the round trip runs on PostgreSQL only (DATABASE_URL)")
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'test'}_bench_turn_telegram"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.timeout(DEADLINE_S + 10)
def test_a_tiny_run_answers_every_update_once(bench_database, redis_server):
    env = {name: value for name, value in os.environ.items() if not name.endswith("_URL")}
    # one low rate for two seconds: correctness, not speed
    result = subprocess.run(
        [sys.executable, "bench/webhook.py", "--round-trip", "--channel", "telegram", "--rates", "5",
         "--duration", "2", "--warm-up", "0.5", "--people", "3", "--senders", "4", "--drain-timeout", "60",
         "--database-url", bench_database, "--redis-url", redis_server.url(0).rsplit("/", 1)[0], "--redis-db", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=DEADLINE_S,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout[result.stdout.index("{") :])
    step = report["steps"][0]
    assert (step["due"], step["sent"], step["statuses"], step["replies_once"]) == (10, 10, {"200": 10}, 10)
    assert (step["replies_missing"], step["replies_more_than_once"], step["held"]) == (0, 0, True)
    assert report["max_rate"] == {"current": 5.0}
    assert {"web", "worker", "postgresql_own_db", "telegram_standin"} <= set(step["cpu_ms_per_message"])
