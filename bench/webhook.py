"""Webhook acknowledgement benchmark (issue 8, point 8: "Webhook speed").

Posts signed Twilio inbound webhooks (`POST /twilio/inbound`) at a fixed arrival rate and measures
how fast they are acknowledged, with `POST /messages` (a registered user writing to another user,
JWT auth) on the same stack as the yardstick. The stack is the production shape: gunicorn
(`config.wsgi`, gthread, `--web-workers` processes × the Procfile's 8 threads), the `default,sends`
Celery worker and `worker_ai`, PostgreSQL and Redis, the Twilio API pointed at the loopback stand-in
(`demo/twilio_server/`, so the replies to inbound messages are really sent) and the LLM
stand-in (`demo/llm_server.py`).

Open loop: request i is due at t0 + i/rate whatever the earlier ones are doing; a dispatcher hands
each due request to an idle sender out of a pool of `--senders` threads with a keep-alive connection
each (the most recently used first, so a low rate keeps a few connections hot), and the latency is
measured from the time the request was due, so waiting for a free sender or a server thread counts
(no coordinated omission). Reported per endpoint:

* each step of a step-up search (`--rates`, `--duration` seconds each): p50/p90/p99/max latency, the
  achieved rate, the statuses, the CPU per request of every process role; a rate is *held* when
  the achieved rate is at least 95 % of it, every answer is 2xx, nothing failed on the wire, and
  p99 <= `--p99-bound-ms`; the search stops at the first rate not held (tried twice);
* `max_rate`: the highest rate held, and the ratio webhook / messages;
* `at_40pct`: both endpoints at 40 % of the `POST /messages` maximum rate;
* `burst`: every one of the `--senders` connections sending back to back (closed loop) for
  `--burst-seconds`: the rate, the statuses and the number of 5xx.

Between steps the script waits (at most `--drain-timeout` s) until the background work the step
queued (replies to inbound messages, their Twilio sends) is finished, so each step starts idle.
Method and results: docs/PERFORMANCE.md ("Webhook acknowledgement").

`--round-trip` measures the whole turn instead (the reply sent to the Twilio stand-in and its status
callbacks posted back, CPU per message by process, A/B against `--baseline-dir`): bench/roundtrip.py;
with `--channel telegram`, Telegram updates and the Bot API stand-in's sendMessage: bench/roundtrip_telegram.py.

Run it against PostgreSQL and Redis (the production shape), e.g.:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_webhook \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/7 REDIS_URL=redis://127.0.0.1:6379/8 \\
    .venv/bin/python bench/webhook.py

Without those variables it runs on the embedded defaults (SQLite, filesystem broker). The script
starts and stops every process it needs; it only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from ai_throughput import Cluster, bench_users, free_port, machine_cpu, percentile, services_cpu, wait_for_http

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

INBOUND_PATH = "/twilio/inbound"
MESSAGES_PATH = "/messages"
ENDPOINTS = {"webhook": INBOUND_PATH, "messages": MESSAGES_PATH}
USER_PREFIX = "webhook-bench-"
TWILIO_NUMBER = "+15550009999"  # our number: the inbound To, and TWILIO_DEFAULT_FROM
HELD_SHARE = 0.95  # of the target rate


def person_number(index: int) -> str:
    return f"+1555010{index:04d}"


@dataclass
class Request:
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Outcome:
    due: float
    done: float = 0.0
    status: int | None = None
    error: str | None = None


# --- the load generator ----------------------------------------------------------------------------
class Sender(threading.Thread):
    """One keep-alive connection; sends what the dispatcher hands it and goes back to the pool."""

    def __init__(self, pool: SenderPool, port: int, timeout: float):
        super().__init__(daemon=True)
        self.pool, self.port, self.timeout = pool, port, timeout
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.conn: http.client.HTTPConnection | None = None

    def _once(self, request: Request) -> int:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        self.conn.request("POST", request.path, body=request.body, headers=request.headers)
        response = self.conn.getresponse()
        response.read()
        if response.will_close:
            self.conn.close()
            self.conn = None
        return response.status

    def send(self, request: Request, outcome: Outcome) -> None:
        reused = self.conn is not None
        try:
            try:
                outcome.status = self._once(request)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                if not reused:
                    raise
                # the server closed this idle keep-alive connection before reading the request
                # (gunicorn's keep-alive timeout): connect again and send it once more
                self.pool.count("reconnects")
                self._drop()
                outcome.status = self._once(request)
        except (OSError, http.client.HTTPException) as exc:
            outcome.error = repr(exc)
            self._drop()
        outcome.done = time.perf_counter()

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def run(self) -> None:
        while True:
            item = self.inbox.get()
            if item is None:
                self._drop()
                return
            request, outcome = item
            self.send(request, outcome)
            self.pool.release(self)


class SenderPool:
    """Up to `size` concurrent connections to the web server; idle senders are reused last-in first-out."""

    def __init__(self, port: int, size: int, timeout: float = 10.0):
        self.cond = threading.Condition()
        self.counters: dict[str, int] = {}
        self.senders = [Sender(self, port, timeout) for _ in range(size)]
        self.idle = list(self.senders)
        self.busy = 0
        for sender in self.senders:
            sender.start()

    def count(self, name: str) -> None:
        with self.cond:
            self.counters[name] = self.counters.get(name, 0) + 1

    def release(self, sender: Sender) -> None:
        with self.cond:
            self.idle.append(sender)
            self.busy -= 1
            self.cond.notify()

    def acquire(self, give_up_at: float) -> Sender | None:
        with self.cond:
            while not self.idle:
                left = give_up_at - time.perf_counter()
                if left <= 0:
                    return None
                self.cond.wait(min(left, 0.5))
            self.busy += 1
            return self.idle.pop()

    def wait_idle(self, deadline: float) -> bool:
        with self.cond:
            while self.busy:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.5))
            return True

    def close(self) -> None:
        for sender in self.senders:
            sender.inbox.put(None)
        for sender in self.senders:
            sender.join(timeout=15)


def open_loop(pool: SenderPool, requests: list[Request], rate: float, max_lag: float) -> tuple[list[Outcome], float]:
    """Request i is due at t0 + i/rate. Stops dispatching when it falls more than `max_lag` s
    behind schedule (the server is not keeping up: the step has failed anyway)."""
    t0 = time.perf_counter() + 0.05
    outcomes: list[Outcome] = []
    for index, request in enumerate(requests):
        due = t0 + index / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        sender = pool.acquire(give_up_at=due + max_lag)
        if sender is None:
            break
        outcome = Outcome(due=due)
        outcomes.append(outcome)
        sender.inbox.put((request, outcome))
    return outcomes, t0


def closed_loop(pool: SenderPool, make_request, seconds: float) -> tuple[list[Outcome], float]:
    """Every sender busy all the time: a request is due the moment a sender is free."""
    t0 = time.perf_counter()
    outcomes: list[Outcome] = []
    index = 0
    while time.perf_counter() < t0 + seconds:
        sender = pool.acquire(give_up_at=t0 + seconds)
        if sender is None:
            break
        outcome = Outcome(due=time.perf_counter())
        outcomes.append(outcome)
        sender.inbox.put((make_request(index), outcome))
        index += 1
    return outcomes, t0


# --- the requests ------------------------------------------------------------------------------------
class Traffic:
    """Builds signed webhooks and authenticated POST /messages, spread over `people` conversations."""

    def __init__(self, *, base_url: str, auth_token: str, account_sid: str, users: list[tuple[int, str]]):
        from twilio.request_validator import RequestValidator

        self.signed_url = base_url + INBOUND_PATH
        self.validator = RequestValidator(auth_token)
        self.account_sid = account_sid
        self.users = users
        self.serial = 0

    def webhook(self, index: int) -> Request:
        sid = "SM" + uuid.uuid4().hex
        # A text of its own each time: each step's indexes start again at 0, and a number that sent
        # one text three times in a row would be stopped by the loop breaker (no reply to measure).
        self.serial += 1
        form = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "From": person_number(index % len(self.users)),
            "To": TWILIO_NUMBER,
            "Body": f"Hello, this is inbound message {self.serial}",
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "NumMedia": "0",
            "NumSegments": "1",
        }
        signature = self.validator.compute_signature(self.signed_url, form)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        return Request(INBOUND_PATH, urlencode(form).encode(), headers)

    def message(self, index: int) -> Request:
        _sender_id, token = self.users[index % len(self.users)]
        recipient_id, _ = self.users[(index + 1) % len(self.users)]
        self.serial += 1
        body = json.dumps({"recipient_id": recipient_id, "content": f"Hello, this is message {self.serial}"})
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        return Request(MESSAGES_PATH, body.encode(), headers)

    def build(self, endpoint: str, count: int) -> list[Request]:
        make = self.webhook if endpoint == "webhook" else self.message
        return [make(index) for index in range(count)]


# --- the database side ------------------------------------------------------------------------------
def prepare_people(count: int, known: int) -> list[tuple[int, str]]:
    """Fresh bench users (the first `known` of them with the phone number their webhooks come
    from) with one session each, and no rows left from an earlier run of this benchmark."""
    from django.apps import apps
    from django.db.models import Q

    from accounts.models import User
    from messaging.models import Conversation, Message

    if apps.is_installed("inbox"):
        from inbox.models import Contact

        address = "address"
    else:  # a tree from before the inbox (issue 29's baseline, dd3010a)
        from twilio_channel.models import Contact

        address = "number"

    old = list(User.objects.filter(username__startswith=USER_PREFIX).values_list("id", flat=True))
    bench_numbers = Q(participant_number__startswith=person_number(0)[:8])
    Conversation.objects.filter(
        Q(user_id__in=old) | Q(user_a_id__in=old) | Q(user_b_id__in=old) | bench_numbers
    ).delete()
    Message.objects.filter(bench_numbers | Q(sender_id__in=old) | Q(recipient_id__in=old)).delete()
    Contact.objects.filter(**{f"{address}__startswith": person_number(0)[:8]}).delete()
    User.objects.filter(id__in=old).delete()
    return bench_users(USER_PREFIX, count, [person_number(index) for index in range(known)])


def background_left() -> int:
    """Replies still to be generated or sent: inbound rows waiting for their reply, and outbound
    rows that Twilio has not accepted yet (no SID) and that have not failed."""
    from messaging.models import Message

    waiting = Message.objects.filter(reply_state__in=["pending", "processing"]).count()
    unsent = Message.objects.filter(direction="outbound", external_id__isnull=True).exclude(status="failed")
    return waiting + unsent.count()


def drain(timeout: float) -> tuple[float, int]:
    """Waits until the background work is done: (seconds waited, items left when it gave up)."""
    started = time.perf_counter()
    left = background_left()
    while left and time.perf_counter() - started < timeout:
        time.sleep(0.25)
        left = background_left()
    return round(time.perf_counter() - started, 2), left


def replies_since(moment: datetime) -> dict[str, int]:
    """Outbound messages (replies to the inbound ones) created since `moment`, by status."""
    from django.db.models import Count

    from messaging.models import Message

    rows = Message.objects.filter(direction="outbound", created_at__gte=moment).values("status")
    return {row["status"] or "none": row["n"] for row in rows.annotate(n=Count("id")).order_by("status")}


# --- one measurement --------------------------------------------------------------------------------
class Bench:
    def __init__(self, options: argparse.Namespace, cluster: Cluster, pool: SenderPool, traffic: Traffic):
        self.options, self.cluster, self.pool, self.traffic = options, cluster, pool, traffic
        from django.db import connection

        # the local PostgreSQL and Redis servers' CPU, when this run uses them
        used = {
            "postgresql": connection.vendor == "postgresql",
            "redis": "redis" in os.environ.get("CELERY_BROKER_URL", ""),
        }
        self.services = [role for role, yes in used.items() if yes]

    def _summary(self, outcomes: list[Outcome], t0: float, wanted: int) -> dict:
        done = [o for o in outcomes if o.done]
        answered = [o for o in done if o.status is not None]
        latencies = [(o.done - o.due) * 1000 for o in answered]
        statuses: dict[str, int] = {}
        for outcome in answered:
            statuses[str(outcome.status)] = statuses.get(str(outcome.status), 0) + 1
        ok = sum(1 for o in answered if 200 <= (o.status or 0) < 300)
        span = max((o.done for o in done), default=t0) - t0
        errors = [o.error for o in done if o.error]
        result = {
            "requests": wanted,
            "sent": len(outcomes),
            "ok": ok,
            "statuses": statuses,
            "non_2xx": len(answered) - ok,
            "5xx": sum(1 for o in answered if (o.status or 0) >= 500),
            "errors": len(errors) + (len(outcomes) - len(done)),
            "achieved_per_s": round(ok / span, 1) if span > 0 else 0.0,
        }
        if latencies:
            result.update(
                p50_ms=round(percentile(latencies, 50), 1),
                p90_ms=round(percentile(latencies, 90), 1),
                p99_ms=round(percentile(latencies, 99), 1),
                max_ms=round(max(latencies), 1),
            )
        if errors:
            result["first_errors"] = errors[:3]
        return result

    def _measured(self, endpoint: str, run) -> dict:
        """Runs one load (`run()` -> outcomes, t0, wanted), waits for its background work, and adds
        the CPU each process role used per request, from the start to the end of the drain."""
        started_at = datetime.now(UTC)
        cpu_before, machine_before, own_before = self.cluster.cpu_seconds(), machine_cpu(), time.process_time()
        services_before = services_cpu()
        if self.options.pause_workers:
            self.cluster.signal_workers(signal.SIGSTOP)
        try:
            outcomes, t0, wanted = run()
            finished = self.pool.wait_idle(deadline=time.perf_counter() + 30)
        finally:
            self.cluster.signal_workers(signal.SIGCONT)
        busy = machine_cpu()[0] - machine_before[0], machine_cpu()[1] - machine_before[1]
        result = self._summary(outcomes, t0, wanted)
        if not finished:
            result["errors"] += 1
            result.setdefault("first_errors", []).append("requests still unanswered 30 s after the step")
        own_after = time.process_time()
        result["drain_s"], result["background_left"] = drain(self.options.drain_timeout)
        cpu_after, services_after = self.cluster.cpu_seconds(), services_cpu()
        count = max(1, result["sent"])
        result["cpu_ms_per_request"] = {
            role: round((cpu_after[role] - cpu_before.get(role, 0.0)) * 1000 / count, 2) for role in cpu_after
        }
        for role in self.services:  # every process of that name on the machine counts
            used = services_after[role] - services_before[role]
            result["cpu_ms_per_request"][role] = round(used * 1000 / count, 2)
        result["cpu_ms_per_request"]["load_generator"] = round((own_after - own_before) * 1000 / count, 2)
        result["machine_cpu_busy_pct"] = round(100 * busy[0] / busy[1], 1) if busy[1] else 0.0
        if endpoint == "webhook":
            result["replies"] = replies_since(started_at)
        return result

    def step(self, endpoint: str, rate: float) -> dict:
        wanted = max(1, round(rate * self.options.duration))
        requests = self.traffic.build(endpoint, wanted)  # signed before the clock starts

        def run():
            outcomes, t0 = open_loop(self.pool, requests, rate, self.options.max_lag)
            return outcomes, t0, wanted

        result = {"rate": rate, **self._measured(endpoint, run)}
        result["held"] = (
            result["sent"] == wanted
            and result["errors"] == 0
            and result["non_2xx"] == 0
            and result["achieved_per_s"] >= HELD_SHARE * rate
            and result.get("p99_ms", float("inf")) <= self.options.p99_bound_ms
        )
        print(f"{endpoint} {rate:g}/s: " + json.dumps({k: v for k, v in result.items() if k != "replies"}),
              file=sys.stderr, flush=True)  # fmt: skip
        return result

    def search(self, endpoint: str, rates: list[float]) -> dict:
        steps, best = [], None
        for rate in rates:
            result = self.step(endpoint, rate)
            steps.append(result)
            if not result["held"]:
                result = self.step(endpoint, rate)  # a shared machine has hiccups: once more
                steps.append(result)
            if not result["held"]:
                break
            best = rate
        return {"max_rate": best, "steps": steps}

    def burst(self, endpoint: str) -> dict:
        make = self.traffic.webhook if endpoint == "webhook" else self.traffic.message

        def run():
            outcomes, t0 = closed_loop(self.pool, make, self.options.burst_seconds)
            return outcomes, t0, len(outcomes)

        result = {"senders": self.options.senders, "seconds": self.options.burst_seconds}
        result.update(self._measured(endpoint, run))
        print(f"{endpoint} burst: " + json.dumps(result), file=sys.stderr, flush=True)
        return result


# --- the stack ------------------------------------------------------------------------------------
class WebhookCluster(Cluster):
    """The Twilio and LLM stand-ins, gunicorn, the `default,sends` worker and `worker_ai`."""

    def signal_workers(self, signum: int) -> None:
        """SIGSTOP / SIGCONT to the Celery workers (every process of each)."""
        for role, proc in self.procs:
            if role.startswith("worker") and proc.poll() is None:
                os.killpg(proc.pid, signum)

    def stop(self) -> None:
        self.signal_workers(signal.SIGCONT)
        super().stop()

    def start(self) -> tuple[int, str]:
        """Starts everything on the ports `stack_env` put in the environment; returns the web port
        and the Twilio stand-in's URL."""
        options, env = self.options, self.env
        web_port = int(env["PUBLIC_BASE_URL"].rsplit(":", 1)[1])
        twilio_port = int(env["TWILIO_API_BASE_URL"].rsplit(":", 1)[1])
        llm_port = int(env["LITELLM_BASEURL"].rsplit(":", 1)[1])
        self._spawn("fake_twilio", ["-m", "demo.twilio_server", "--port", str(twilio_port),
                                    "--account-sid", env["TWILIO_ACCOUNT_SID"],
                                    "--auth-token", env["TWILIO_AUTH_TOKEN"]])  # fmt: skip
        self._spawn("fake_llm", ["-m", "demo.llm_server", "--port", str(llm_port), "--latency", str(options.latency)])
        deadline = time.time() + 60
        wait_for_http(twilio_port, "/2010-04-01/Accounts/none.json", deadline)
        wait_for_http(llm_port, "/v1/models", deadline)
        self._spawn(
            "web",
            ["-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{web_port}", "-k", "gthread",
             "-w", str(options.web_workers), "--threads", str(options.web_threads), "--timeout", "90",
             "--log-level", "warning"]
        )  # fmt: skip
        quiet = ["-l", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        workers = [
            self._spawn("worker", ["-m", "celery", "-A", "config", "worker", "-Q", "default,sends",
                                   "-n", "bench-default@%h", *quiet]),
            self._spawn("worker_ai", ["-m", "celery", "-A", "config", "worker", "-Q", "ai", "-P", "threads",
                                      "-c", str(options.ai_threads), "-n", "bench-ai@%h", *quiet]),
        ]  # fmt: skip
        for proc in workers:  # before the pool forks its children: they inherit the niceness
            if options.worker_nice:
                os.setpriority(os.PRIO_PGRP, proc.pid, options.worker_nice)
        wait_for_http(web_port, "/health", deadline)
        return web_port, env["TWILIO_API_BASE_URL"]


def stack_env() -> dict[str, str]:
    """The environment of every process: the embedded defaults unless DATABASE_URL and friends are
    set, no debug, the Twilio API and the LLM on their loopback stand-ins (each on a free port)."""
    from demo.twilio_server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

    web_port, twilio_port, llm_port = free_port(), free_port(), free_port()

    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    env.update({"DJANGO_DEBUG": "false", "LOG_TO_FILES": "false", "LOG_LEVEL": "WARNING",
                "CELERY_TASK_ALWAYS_EAGER": "false",  # the replies run on the workers, as deployed
                # One reply per message (no burst window): the cost measured is a message's, as the
                # peer answers each; a sender's messages a second apart would otherwise share a reply.
                "AI_BURST_WINDOW_S": "0",
                "LITELLM_API_KEY": "bench-placeholder", "LITELLM_MODEL": "bench-model",
                "JWT_ACCESS_MINUTES": "600",  # one token per user for the whole run
                "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
                "TWILIO_DEFAULT_FROM": TWILIO_NUMBER, "TWILIO_VALIDATE_SIGNATURE": "true",
                "TWILIO_API_BASE_URL": f"http://127.0.0.1:{twilio_port}",
                "LITELLM_BASEURL": f"http://127.0.0.1:{llm_port}",
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}"})  # fmt: skip
    return env


def parse_rates(text: str) -> list[float]:
    """'50,100,150' or 'start:stop:step' (stop included)."""
    if ":" in text:
        start, stop, step = (float(part) for part in text.split(":"))
        count = int((stop - start) / step + 1e-9) + 1
        return [start + index * step for index in range(max(0, count))]
    return [float(part) for part in text.split(",") if part.strip()]


def main() -> None:
    import roundtrip  # the whole turn (issue 29): its own stacks, one per tree

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--rates",
        type=parse_rates,
        default=parse_rates("25:1000:25"),
        help="target rates of the step-up search, '50,100' or 'start:stop:step' (default 25:1000:25)",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per step")
    parser.add_argument("--senders", type=int, default=64, help="concurrent connections at most")
    parser.add_argument("--p99-bound-ms", type=float, default=200.0, help="a held rate has its p99 below this")
    parser.add_argument("--max-lag", type=float, default=2.0, help="stop a step this many s behind schedule")
    parser.add_argument("--burst-seconds", type=float, default=10.0, help="closed loop with every sender")
    parser.add_argument("--drain-timeout", type=float, default=120.0, help="wait for background work, s")
    parser.add_argument("--people", type=int, default=64, help="users / phone numbers the traffic is spread over")
    parser.add_argument(
        "--known-share",
        type=float,
        default=0.0,
        help="share of the webhook senders that are registered users (AI replies); the others are strangers",
    )
    parser.add_argument("--latency", type=float, default=1.0, help="LLM stand-in latency per call, s")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes (one per core)")
    parser.add_argument("--web-threads", type=int, default=8, help="threads per gunicorn process (as the Procfile)")
    parser.add_argument("--ai-threads", type=int, default=32, help="worker_ai threads (as the Procfile)")
    parser.add_argument(
        "--pause-workers",
        action="store_true",
        help="stop the Celery workers while a load runs (resumed for the drain): the acknowledgement "
        "alone, as if the replies were generated on other machines",
    )
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=0,
        help="run the Celery workers at this CPU niceness (default 0, as the Procfile): what a lower "
        "priority for the reply work than for the web processes would give on a shared machine",
    )
    parser.add_argument("--endpoints", default="messages,webhook", help="which endpoints to measure")
    parser.add_argument("--warm-up", type=float, default=2.0, help="seconds of warm-up per endpoint at 20/s")
    roundtrip.add_arguments(parser)
    options = parser.parse_args()
    if options.round_trip and options.channel == "telegram":
        import roundtrip_telegram

        roundtrip_telegram.run(options, parser)
        return
    if options.round_trip:
        roundtrip.run(options, parser)
        return
    endpoints = [name for name in options.endpoints.split(",") if name]
    unknown = set(endpoints) - set(ENDPOINTS)
    if unknown or not endpoints:
        parser.error(f"--endpoints: choose among {', '.join(ENDPOINTS)}")

    env = stack_env()
    os.environ.update(env)
    # `timeout` or Ctrl-C: stop the processes started below (the finally clause) before leaving
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    users = prepare_people(options.people, round(options.known_share * options.people))

    cluster = WebhookCluster(options, env)
    report: dict = {}
    pool = None
    try:
        web_port, _twilio_url = cluster.start()
        traffic = Traffic(
            base_url=env["PUBLIC_BASE_URL"],
            auth_token=env["TWILIO_AUTH_TOKEN"],
            account_sid=env["TWILIO_ACCOUNT_SID"],
            users=users,
        )
        cluster.settle()
        pool = SenderPool(web_port, options.senders)
        bench = Bench(options, cluster, pool, traffic)
        # Warm-up, not measured: grows the thread and connection pools, opens keep-alive
        # connections, and waits for the workers to answer (they are up once the drain ends).
        warm_rate = 20.0
        for endpoint in endpoints:
            requests = traffic.build(endpoint, max(1, round(warm_rate * options.warm_up)))
            open_loop(pool, requests, warm_rate, options.max_lag)
            pool.wait_idle(deadline=time.perf_counter() + 30)
            drain(options.drain_timeout)
        cluster.settle()
        for endpoint in endpoints:
            report[endpoint] = bench.search(endpoint, options.rates)
        yardstick = report.get("messages", {}).get("max_rate")
        if yardstick:
            rate = round(0.4 * yardstick, 1)
            for endpoint in endpoints:
                report[endpoint]["at_40pct"] = bench.step(endpoint, rate)
        for endpoint in endpoints:
            report[endpoint]["burst"] = bench.burst(endpoint)
    finally:
        if pool is not None:
            pool.close()
        cluster.stop()

    from django.db import connection

    webhook_max = report.get("webhook", {}).get("max_rate")
    messages_max = report.get("messages", {}).get("max_rate")
    ratio = round(webhook_max / messages_max, 2) if webhook_max and messages_max else None
    webhook_40 = report.get("webhook", {}).get("at_40pct", {})
    report["summary"] = {
        "messages_max_rate": messages_max,
        "webhook_max_rate": webhook_max,
        "ratio": ratio,
        "rate_at_40pct": webhook_40.get("rate"),
        "webhook_p99_ms_at_40pct": webhook_40.get("p99_ms"),
        "messages_p99_ms_at_40pct": report.get("messages", {}).get("at_40pct", {}).get("p99_ms"),
        "burst_5xx": {endpoint: report[endpoint]["burst"]["5xx"] for endpoint in endpoints},
        "target_ratio_met": ratio is not None and ratio >= 1.5,
        "target_p99_at_40pct_met": bool(webhook_40) and webhook_40.get("p99_ms", float("inf")) < 50,
    }
    report["setup"] = {
        "rates": options.rates,
        "duration_s": options.duration,
        "senders": options.senders,
        "p99_bound_ms": options.p99_bound_ms,
        "people": options.people,
        "known_share": options.known_share,
        "pause_workers": options.pause_workers,
        "worker_nice": options.worker_nice,
        "web_workers": options.web_workers,
        "web_threads": options.web_threads,
        "ai_threads": options.ai_threads,
        "database": connection.vendor,
        "broker": os.environ.get("CELERY_BROKER_URL", "").split("://")[0] or "filesystem",
        "settings": os.environ["DJANGO_SETTINGS_MODULE"],
        "reconnects": pool.counters.get("reconnects", 0) if pool else 0,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
