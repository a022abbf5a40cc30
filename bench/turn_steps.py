"""The steps of one auto-reply turn run in one process, in a loop: the CPU and the statements of
each (the inbound webhook and the two status callbacks through Django's test client, the two
tasks' services called directly), with the Twilio stand-in as a separate process. Where the CPU
of `bench/webhook.py --round-trip` goes, step by step (docs/PERFORMANCE.md, "Where the CPU of a
turn goes"). `--profile STEP` prints that step's profile by CPU clock.

    DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_SECRET_KEY=... DJANGO_ALLOWED_HOSTS=testserver \\
    DJANGO_SECURE_SSL_REDIRECT=false DATABASE_URL=postgres://... REDIS_URL=redis://.../N \\
    CELERY_BROKER_URL=redis://.../N .venv/bin/python bench/turn_steps.py --turns 150

It replaces its bench rows in the database, and the tasks it queues stay in the broker (no worker
runs): use a database and a Redis database of its own."""

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
# handle_inbound sends the reply it decided itself, once its transaction commits (the Twilio call
# included); before, a second task did (`send_message`).
STEPS = ("webhook", "handle_inbound", "status_sent", "status_delivered")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=150, help="measured turns, after 10 of warm-up")
    parser.add_argument("--people", type=int, default=64, help="numbers the webhooks come from")
    parser.add_argument("--profile", choices=STEPS, help="print this step's profile")
    parser.add_argument("--statements", action="store_true", help="print the last turn's SQL, step by step")
    options = parser.parse_args()

    from demo.twilio_server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

    port = free_port()
    standin = subprocess.Popen([sys.executable, "-m", "demo.twilio_server", "--port", str(port)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = "http://testserver"
    os.environ.update({
        "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
        "TWILIO_DEFAULT_FROM": "+15550009999", "TWILIO_API_BASE_URL": f"http://127.0.0.1:{port}",
        "PUBLIC_BASE_URL": base, "TWILIO_VALIDATE_SIGNATURE": "true",
    })  # fmt: skip
    try:
        wait_for_http(port, "/2010-04-01/Accounts/none.json", time.time() + 30)
        run(options, base, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
    finally:
        standin.terminate()


def run(options: argparse.Namespace, base: str, account_sid: str, auth_token: str) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import transaction
    from django.test import Client
    from roundtrip import AUTO_REPLY
    from twilio.request_validator import RequestValidator
    from webhook import TWILIO_NUMBER, Traffic, prepare_people

    from inbox.services.answer import inbound_answer
    from inbox.services.modes import auto_reply_config_set
    from messaging.models import Message

    prepare_people(options.people, 0)
    with transaction.atomic():
        auto_reply_config_set(enabled=True, message=AUTO_REPLY)
    traffic = Traffic(base_url=base, auth_token=auth_token, account_sid=account_sid, users=[(0, "")] * options.people)
    validator = RequestValidator(auth_token)
    client = Client()

    def webhook(index: int) -> None:
        request = traffic.webhook(index)
        response = client.generic("POST", request.path, request.body, content_type=request.headers["Content-Type"],
                                  HTTP_X_TWILIO_SIGNATURE=request.headers["X-Twilio-Signature"])  # fmt: skip
        assert response.status_code == 200, response.content

    def status(reply: Message, step: str) -> None:
        url = f"{base}/twilio/status?mid={reply.pk}"
        form = {"AccountSid": account_sid, "MessageSid": reply.twilio_sid, "SmsSid": reply.twilio_sid,
                "MessageStatus": step, "SmsStatus": step, "From": TWILIO_NUMBER, "To": reply.to_number,
                "ApiVersion": "2010-04-01"}  # fmt: skip
        response = client.post(f"/twilio/status?mid={reply.pk}", form,
                                HTTP_X_TWILIO_SIGNATURE=validator.compute_signature(url, form))  # fmt: skip
        assert response.status_code < 300, response.content

    steps = Steps(STEPS, profile=options.profile)
    for index in range(options.turns + 10):
        if index == 10:  # warm-up done
            steps.warmed_up()
        steps.timed("webhook", webhook, index)
        inbound = Message.objects.filter(direction="inbound").latest("pk")  # not counted: between steps
        reply = steps.timed("handle_inbound", inbound_answer, message_id=inbound.pk)
        if reply is None:  # over the per-number flood limit: no reply to this one
            continue
        reply.refresh_from_db()
        steps.timed("status_sent", status, reply, "sent")
        steps.timed("status_delivered", status, reply, "delivered")
    steps.report(sql=options.statements)


if __name__ == "__main__":
    main()
