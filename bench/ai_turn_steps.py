"""One AI turn in a loop in one process: the CPU and the statements of a user's message to the bot
(`message_send`, as `POST /messages` calls it) and of its turn (`ai_reply_process`, what the
`worker_ai` task runs), with the LLM stand-in as a separate process answering at once. Where the CPU
per reply of `bench/ai_throughput.py` goes without threads, the broker or other processes
(docs/PERFORMANCE.md). `--profile turn` prints the turn's profile by CPU clock; `--statements`
the last turn's SQL.

    DATABASE_URL=postgres://... CELERY_BROKER_URL=memory:// .venv/bin/python bench/ai_turn_steps.py --turns 200

The queued tasks go to the broker and no worker runs them: use `memory://` or a Redis database of
its own. It replaces its bench users (`bench-turn-*`) and their conversations."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from ai_throughput import free_port, wait_for_http
from steps import Steps

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("send", "turn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=200, help="measured turns, after 20 of warm-up")
    parser.add_argument("--people", type=int, default=20, help="conversations the turns go round")
    parser.add_argument("--profile", choices=STEPS, help="print this step's profile")
    parser.add_argument("--statements", action="store_true", help="print the last turn's SQL, step by step")
    options = parser.parse_args()

    port = free_port()
    standin = subprocess.Popen([sys.executable, "-m", "demo.llm_server", "--port", str(port)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.update({"DJANGO_DEBUG": "false", "LOG_TO_FILES": "false", "LOG_LEVEL": "WARNING",
                       "CELERY_TASK_ALWAYS_EAGER": "false", "LITELLM_API_KEY": "bench-placeholder",
                       "LITELLM_MODEL": "bench-model", "LITELLM_BASEURL": f"http://127.0.0.1:{port}"})  # fmt: skip
    try:
        wait_for_http(port, "/v1/models", time.time() + 30)
        run(options)
    finally:
        standin.terminate()


def run(options: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from accounts.models import User
    from messaging.models import Conversation
    from messaging.services.messages import message_send
    from orchestrator.services.turns import ai_reply_process

    call_command("migrate", verbosity=0)
    old = list(User.objects.filter(username__startswith="bench-turn-").values_list("id", flat=True))
    Conversation.objects.filter(user_id__in=old).delete()
    User.objects.filter(id__in=old).delete()
    people = [User.objects.create_user(f"bench-turn-{index}", f"bench-turn-{index}@example.com", None)
              for index in range(options.people)]  # fmt: skip

    steps = Steps(STEPS, profile=options.profile)
    for index in range(options.turns + 20):
        if index == 20:  # warm-up done: litellm's lazy imports, the ORM's caches, the conversations
            steps.warmed_up()
        sender = people[index % len(people)]
        text = f"Hello number {index}, how are you today?"
        message = steps.timed("send", message_send, sender=sender, recipient_id=settings.AI_BOT_USER_ID, content=text)
        reply = steps.timed("turn", ai_reply_process, message_id=message.pk)
        assert reply is not None and reply.in_reply_to_id == message.pk, f"no reply to message {message.pk}"
    steps.report(sql=options.statements)


if __name__ == "__main__":
    main()
