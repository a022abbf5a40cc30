"""The whole turn of an inbound Telegram message (issue 29): `bench/webhook.py --round-trip --channel telegram`.

bench/roundtrip.py's steps and stacks, bench/roundtrip_report.py's report, with Telegram's side: each
message is an update (JSON with the `X-Telegram-Bot-Api-Secret-Token` header) posted to /telegram/webhook, spread over
`--people` chats, and its reply is a sendMessage call to the Bot API stand-in (bench/telegram_provider.py,
the telegram tests' FakeBotAPI run as a process), which notes when each arrived under `chat_id:message_id`, the
reply row's external id. Exactly once: each update has one reply row, each row's send reached the
stand-in, and no chat got more sends than it sent updates. Telegram has no status callbacks.

    .venv/bin/python bench/webhook.py --round-trip --channel telegram --rates 20,40 \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_turn --redis-db 1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

from roundtrip import AUTO_REPLY, Provider, RoundTrip, TurnStack
from roundtrip import collect as collect_replies
from roundtrip import run as run_turns
from roundtrip_report import turn_summary
from webhook import Request

BOT_TOKEN = "123456:bench-telegram-bot-token"  # the stand-in's, a placeholder
WEBHOOK_SECRET = "bench-telegram-webhook-secret"
CHAT_BASE = 915550100000  # the bench's chat ids: CHAT_BASE + index


def chat_ids(people: int) -> list[str]:
    return [str(CHAT_BASE + index) for index in range(people)]


# --- run inside the tree under test (its own interpreter and code) ---------------------------------
def prepare(people: int) -> None:
    """Migrates, removes the bench chats' rows of an earlier run, turns the automatic reply on."""
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from inbox.models import Contact
    from inbox.services.modes import auto_reply_config_set
    from messaging.models import Conversation, Message

    chats = chat_ids(people)
    Message.objects.filter(channel="telegram", participant_number__in=chats).delete()
    Conversation.objects.filter(participant_number__in=chats).delete()
    Contact.objects.filter(channel="telegram", address__in=chats).delete()
    with transaction.atomic():
        auto_reply_config_set(enabled=True, message=AUTO_REPLY)


def collect(path: str) -> None:
    """Prints {update_id: [reply row's external id ("chat_id:message_id"), ...]} for the ids in `path`."""
    collect_replies(path, "telegram", "external_id")


class BotAPI(Provider):
    role = "telegram_standin"

    def arguments(self) -> list[str]:
        return [str(Path(__file__).resolve().parent / "telegram_provider.py"), "--token", BOT_TOKEN]


# --- the bench side -----------------------------------------------------------------------------------
class TelegramStack(TurnStack):
    script = Path(__file__).resolve()

    def channel_env(self, provider_url: str) -> dict[str, str]:
        self.chats = chat_ids(self.options.people)
        self.next_update = int(time.time()) * 1000  # ids unique across runs: the webhook dedups by them
        return {"TELEGRAM_BOT_TOKEN": BOT_TOKEN, "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "TELEGRAM_API_BASE_URL": provider_url}  # fmt: skip

    def requests(self, count: int) -> tuple[list[Request], list[str]]:
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        requests, ids = [], []
        for index in range(count):
            self.next_update += 1
            chat = int(self.chats[index % len(self.chats)])
            update = {"update_id": self.next_update, "message": {
                "message_id": self.next_update, "date": int(time.time()),
                "text": f"Hello, this is inbound message {self.next_update}",  # never the same twice
                "from": {"id": chat, "is_bot": False, "first_name": "Bench", "language_code": "en"},
                "chat": {"id": chat, "type": "private", "first_name": "Bench"},
            }}  # fmt: skip
            requests.append(Request("/telegram/webhook", json.dumps(update).encode(), headers))
            ids.append(str(self.next_update))
        return requests, ids


class TelegramRoundTrip(RoundTrip):
    def wait_done(self, expected: int) -> None:
        """Until `expected` sendMessage calls reached the stand-in."""
        deadline = time.time() + self.options.drain_timeout
        while time.time() < deadline and len(self.provider.call("GET", "/_bench")["sends"]) < expected:
            time.sleep(0.25)

    def _turns(self, stack, outcomes, ids, replies, notes, wall_offset) -> dict:
        ack_ms, reply_ms = [], []
        twice, missing = 0, 0
        rows_by_chat: Counter[str] = Counter()
        for outcome, uid in zip(outcomes, ids, strict=False):
            if outcome.status is not None:
                ack_ms.append((outcome.done - outcome.due) * 1000)
            rows = replies.get(uid, [])
            rows_by_chat.update(row.split(":", 1)[0] for row in rows)
            if len(rows) != 1:
                missing += len(rows) == 0
                twice += len(rows) > 1
                continue
            arrived = notes["sends"].get(rows[0])
            if arrived is None:
                missing += 1
                continue
            reply_ms.append((arrived - (outcome.due + wall_offset)) * 1000)
        # A send repeated (a retry after Telegram had taken it) is a message in the chat that no row names.
        twice += sum(max(0, sends - rows_by_chat[chat]) for chat, sends in notes["by_chat"].items())
        return turn_summary(outcomes, ids, ack_ms, reply_ms, missing, twice, self.options.reply_bound_s)


def run(options: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    run_turns(options, parser, BotAPI, TelegramStack, TelegramRoundTrip)


if __name__ == "__main__":  # run inside a tree: `prepare N` / `collect FILE`
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    {"prepare": lambda arg: prepare(int(arg)), "collect": collect}[sys.argv[1]](sys.argv[2])
