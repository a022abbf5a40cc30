"""CPU per send of each path of `messaging.services.messages.message_send`, in one process: the send
shortcut (a message in an existing direct thread as one statement, PostgreSQL only) against the
general path alone, in alternating blocks so that both see the same machine. It measures the
service call only (no HTTP, no session), so the difference it shows is the shortcut's whole gain in
microseconds; bench/api.py gives the same difference as a share of a request. `--bot`: messages to
the AI bot in the sender's AI thread instead, each queuing its AI turn (to the broker that
CELERY_BROKER_URL names; no worker runs them).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_api .venv/bin/python bench/send_paths.py
    DATABASE_URL=... CELERY_BROKER_URL=memory:// .venv/bin/python bench/send_paths.py --bot

The database must exist and be migrated (bench/api.py does both); the script makes its own two
users and removes them and their messages afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DJANGO_READ_DOT_ENV_FILE", "false")
os.environ.setdefault("DJANGO_DEBUG", "false")  # DEBUG keeps every query: not what a server does
os.environ.setdefault("LOG_TO_FILES", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")

PREFIX = "send-paths-bench-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", type=int, default=6, help="blocks per path, alternating")
    parser.add_argument("--sends", type=int, default=500, help="sends per block")
    parser.add_argument("--bot", action="store_true", help="messages to the AI bot, their turns queued")
    options = parser.parse_args()

    if options.bot:  # queued turns never run inline
        os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.db.models import Q

    from accounts.models import User
    from messaging.models import Conversation, Message
    from messaging.services import messages

    if connection.vendor != "postgresql":
        sys.exit("The shortcut runs on PostgreSQL only: set DATABASE_URL to a PostgreSQL database.")
    shortcut = messages._direct_thread_send

    def plain(**kwargs):
        return None

    User.objects.filter(username__startswith=PREFIX).delete()
    a = User.objects.create_user(f"{PREFIX}a", f"{PREFIX}a@example.com", None)
    b = User.objects.create_user(f"{PREFIX}b", f"{PREFIX}b@example.com", None)
    try:
        messages.message_send(sender=a, recipient_id=b.pk, content="the thread")
        if options.bot:
            messages.message_send(sender=a, recipient_id=settings.AI_BOT_USER_ID, content="the AI thread")
            messages.message_send(sender=b, recipient_id=settings.AI_BOT_USER_ID, content="the AI thread")
        cpu_us: dict[str, list[float]] = {"shortcut": [], "plain": []}
        for block in range(options.blocks * 2):
            name = ("shortcut", "plain")[block % 2]
            messages._direct_thread_send = shortcut if name == "shortcut" else plain  # type: ignore[assignment]
            started = time.process_time()
            for n in range(options.sends):
                sender, recipient = (a, b) if n % 2 else (b, a)
                to = settings.AI_BOT_USER_ID if options.bot else recipient.pk
                messages.message_send(sender=sender, recipient_id=to, content=f"message {n}")
            cpu_us[name].append((time.process_time() - started) * 1e6 / options.sends)
        messages._direct_thread_send = shortcut  # type: ignore[assignment]
        for name, values in cpu_us.items():
            each = ", ".join(f"{value:.0f}" for value in values)
            print(f"{name}: median {statistics.median(values):.0f} µs CPU per send ({each})")
        print(f"shortcut / plain: {statistics.median(cpu_us['shortcut']) / statistics.median(cpu_us['plain']):.2f}")
    finally:
        Message.objects.filter(Q(sender_id__in=[a.pk, b.pk]) | Q(recipient_id__in=[a.pk, b.pk])).delete()
        Conversation.objects.filter(Q(user_a=a) | Q(user_b=a) | Q(user__in=[a, b])).delete()
        User.objects.filter(username__startswith=PREFIX).delete()


if __name__ == "__main__":
    main()
