"""The whole turn of an inbound SMS (issue 29): `bench/webhook.py --round-trip`.

Posts signed inbound webhooks at fixed arrival rates (open loop, the load generator of
bench/webhook.py) with the automatic reply on (a fixed text: the turn without the AI), waits until
every reply has reached the Twilio stand-in (bench/provider.py) and both of its status callbacks
(`sent`, `delivered`) have been posted back to the web process and answered, and reports per rate:

* the acknowledgement's and the reply's delay (stand-in arrival minus the time the webhook was
  due), p50 / p99 / max, and whether every reply arrived within `--reply-bound-s` (5 s);
* exactly once: each inbound message has one reply row, and each reply row reached the stand-in
  once (its StatusCallback URL names it), with both callbacks answered 2xx;
* CPU per message by process: the Procfile's `web`, `worker` and `worker_ai` lines (each with
  its children), the PostgreSQL backends connected to the tree's own database (read from their
  process titles: the machine's other databases do not count; a backend that ended during the
  step is missing), Redis (the whole server: shared with whatever else uses it), the stand-in, the
  load generator, and the whole machine (shared too).

The highest rate at which every reply went out within the bound is the tree's `max_rate`. This module
runs the stacks and the steps; bench/roundtrip_report.py judges a step and writes the report.

`--baseline-dir` runs a second checkout's stack beside this one (its own interpreter, database and
Redis database; the stand-in and the load generator are shared), and every step runs on the
baseline and then on this tree, as bench/api.py does, so both see the same machine. Each stack is
the Procfile's web, worker and worker_ai lines with production settings (bench/api.py's Tree).

    .venv/bin/python bench/webhook.py --round-trip --rates 20,40,60,80 \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_turn --redis-db 1 \\
        --baseline-dir ../baseline --baseline-database-url postgres://postgres@127.0.0.1:5432/bench_turn_base \\
        --baseline-redis-db 2

Each tree's cache and broker share its one Redis database (their keys do not meet). The databases
must exist; the script migrates them and replaces its own bench rows in them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ai_throughput import Cluster, backends_cpu, free_port, machine_cpu, python_loop_s, services_cpu, wait_for_http
from api import Tree, _cluster_class, procfile_command
from roundtrip_report import CALLBACKS_PER_REPLY, cpu_report, medians, turn_summary
from webhook import TWILIO_NUMBER, Request, SenderPool, Traffic, open_loop

ROOT = Path(__file__).resolve().parent.parent
AUTO_REPLY = "Thanks for your message, we will get back to you soon."


# --- run inside the tree under test (its own interpreter and code) ---------------------------------
def prepare(people: int) -> None:
    """Migrates, removes the rows of an earlier run, turns the automatic reply on (the AI off)."""
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from django.apps import apps
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from webhook import prepare_people

    if apps.is_installed("inbox"):
        from inbox.services.modes import auto_reply_config_set
    else:  # a tree from before the inbox (issue 29's baseline, dd3010a)
        from twilio_channel.services.modes import auto_reply_config_set

    prepare_people(people, 0)
    with transaction.atomic():
        auto_reply_config_set(enabled=True, message=AUTO_REPLY)


def collect(path: str, channel: str = "", field: str = "pk") -> None:
    """Prints {inbound external id: [reply row's `field`, ...]} for the ids listed in `path` (of
    `channel`'s messages when given)."""
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from messaging.models import Message

    # A tree from before the inbox (issue 29's baseline, dd3010a) names it `twilio_sid`.
    external_id = "external_id" if hasattr(Message, "external_id") else "twilio_sid"
    ids = json.loads(Path(path).read_text())
    found = Message.objects.filter(**{f"{external_id}__in": ids}, **({"channel": channel} if channel else {}))
    inbound = dict(found.values_list("pk", external_id))
    replies: dict[str, list] = {external_id: [] for external_id in inbound.values()}
    rows = Message.objects.filter(in_reply_to_id__in=list(inbound), direction="outbound")
    for parent, value in rows.values_list("in_reply_to_id", field):
        replies[inbound[parent]].append(value)
    print(json.dumps(replies))


# --- measuring ----------------------------------------------------------------------------------
class Provider(Cluster):
    """The Twilio stand-in, shared by both trees: the StatusCallback URLs tell their sends apart."""

    role = "twilio_standin"

    def arguments(self) -> list[str]:
        return [str(ROOT / "bench" / "provider.py"), "--callback-delay", str(self.options.callback_delay),
                "--api-latency", str(self.options.api_latency)]  # fmt: skip

    def start(self) -> str:
        port = free_port()
        self._spawn(self.role, [*self.arguments(), "--port", str(port)])
        wait_for_http(port, "/_bench", time.time() + 30)
        self.port = port
        return f"http://127.0.0.1:{port}"

    def call(self, method: str, path: str) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request(method, path)
        notes = json.loads(conn.getresponse().read())
        conn.close()
        return notes


class TurnStack:
    """One tree's Procfile stack (web, worker, worker_ai), its traffic and its sender pool. A
    channel's variant (bench/roundtrip_telegram.py) changes `script` (its in-tree `prepare` and
    `collect`), `channel_env` and `requests`."""

    script = Path(__file__).resolve()

    def __init__(self, tree: Tree, options: argparse.Namespace, provider_url: str):
        self.tree, self.options = tree, options
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.cluster = _cluster_class()(tree, self.port)
        self.cluster.env.update({
            "PUBLIC_BASE_URL": self.base_url, "LOG_LEVEL": "WARNING",
            "LITELLM_API_KEY": "bench-placeholder", "LITELLM_MODEL": "bench-model",
            "AI_BURST_WINDOW_S": "0",  # one reply per message: the turn measured is a message's
            # 64 numbers sending for minutes pass the loop breaker's 20 messages per contact in
            # 10 min, which would stop their replies: the bench measures the turn, not that limit.
            "AUTO_REPLY_LIMIT_PER_CONTACT": "1000000",
            **self.channel_env(provider_url),
        })  # fmt: skip
        self.database = tree.database_url.rsplit("/", 1)[1]
        self.pool: SenderPool | None = None

    def channel_env(self, provider_url: str) -> dict[str, str]:
        from demo.twilio_server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

        people = [(0, "")] * self.options.people
        self.traffic = Traffic(base_url=self.base_url, auth_token=DEFAULT_AUTH_TOKEN,
                               account_sid=DEFAULT_ACCOUNT_SID, users=people)  # fmt: skip
        return {
            "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
            "TWILIO_DEFAULT_FROM": TWILIO_NUMBER, "TWILIO_VALIDATE_SIGNATURE": "true",
            "TWILIO_API_BASE_URL": provider_url,
        }  # fmt: skip

    def requests(self, count: int) -> tuple[list[Request], list[str]]:
        """`count` inbound webhooks and the channel's id of each message (what `collect` looks up)."""
        requests = [self.traffic.webhook(index) for index in range(count)]
        return requests, [
            dict(pair.split("=", 1) for pair in r.body.decode().split("&"))["MessageSid"] for r in requests
        ]

    def in_tree(self, *args: str) -> str:
        return subprocess.run(
            [self.tree.python, str(self.script), *args],
            cwd=self.tree.root, env=self.cluster.env, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    def start(self) -> None:
        self.in_tree("prepare", str(self.options.people))
        self.cluster.start()  # the web and worker lines
        line_env, words = procfile_command(self.tree.root, "worker_ai")
        self.cluster.env.update(line_env)
        self.cluster._spawn("worker_ai", ["-m", *words])
        self.cluster.settle()  # booted: imports done, heaps frozen
        self.pool = SenderPool(self.port, self.options.senders)

    def cpu(self) -> dict:
        return {"roles": self.cluster.cpu_seconds(), "backends": backends_cpu(self.database)}


class RoundTrip:
    def __init__(self, options: argparse.Namespace, provider: Provider, stacks: list[TurnStack]):
        self.options, self.provider, self.stacks = options, provider, stacks

    def wait_done(self, expected: int) -> None:
        """Until `expected` replies reached the stand-in and each has its callbacks answered."""
        deadline = time.time() + self.options.drain_timeout
        while time.time() < deadline:
            notes = self.provider.call("GET", "/_bench")
            answered = sum(len(items) for items in notes["callbacks"].values())
            if len(notes["creates"]) >= expected and answered >= CALLBACKS_PER_REPLY * len(notes["creates"]):
                return
            time.sleep(0.25)

    def step(self, stack: TurnStack, rate: float, *, measured: bool = True) -> dict:
        assert stack.pool is not None
        count = max(1, round(rate * (self.options.duration if measured else self.options.warm_up)))
        requests, sids = stack.requests(count)
        self.provider.call("POST", "/_bench/reset")
        stack.cluster.settle(timeout=30)
        before, services_before, machine_before = stack.cpu(), services_cpu(), machine_cpu()
        provider_before, own_before = self.provider.cpu_seconds(), time.process_time()
        wall_offset = time.time() - time.perf_counter()
        outcomes, _t0 = open_loop(stack.pool, requests, rate, self.options.max_lag)
        stack.pool.wait_idle(deadline=time.perf_counter() + 30)
        acked = [o for o in outcomes if o.status is not None and 200 <= o.status < 300]
        own_after = time.process_time()
        self.wait_done(len(acked))
        after, services_after, machine_after = stack.cpu(), services_cpu(), machine_cpu()
        provider_after = self.provider.cpu_seconds()
        notes = self.provider.call("GET", "/_bench")
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(sids, handle)
        try:
            replies = json.loads(stack.in_tree("collect", handle.name).strip().splitlines()[-1])
        finally:
            os.unlink(handle.name)
        if not measured:
            return {}
        result = self._turns(stack, outcomes, sids, replies, notes, wall_offset)
        sent = max(1, len(outcomes))
        roles = {role: after["roles"][role] - before["roles"].get(role, 0.0) for role in after["roles"]}
        pids = after["backends"]
        roles["postgresql_own_db"] = sum(pids[pid] - before["backends"].get(pid, 0.0) for pid in pids)
        roles["redis_whole_server"] = services_after["redis"] - services_before["redis"]
        roles[self.provider.role] = provider_after[self.provider.role] - provider_before[self.provider.role]
        roles["load_generator"] = own_after - own_before
        busy = machine_after[0] - machine_before[0], machine_after[1] - machine_before[1]
        result.update(cpu_report(roles, busy, sent))
        result["backends"] = {"new": len(set(pids) - set(before["backends"])),
                              "ended": len(set(before["backends"]) - set(pids))}  # fmt: skip
        return {"rate": rate, **result}

    def _turns(self, stack, outcomes, sids, replies, notes, wall_offset) -> dict:
        ack_ms, reply_ms = [], []
        twice, missing, callbacks_bad = 0, 0, 0
        for outcome, sid in zip(outcomes, sids, strict=False):
            if outcome.status is not None:
                ack_ms.append((outcome.done - outcome.due) * 1000)
            rows = replies.get(sid, [])
            if len(rows) != 1:
                missing += len(rows) == 0
                twice += len(rows) > 1
                continue
            key = f"{stack.base_url}/twilio/status?mid={rows[0]}"
            arrivals = notes["creates"].get(key, [])
            if len(arrivals) != 1:
                missing += not arrivals
                twice += len(arrivals) > 1
                continue
            reply_ms.append((arrivals[0] - (outcome.due + wall_offset)) * 1000)
            answers = notes["callbacks"].get(key, [])
            ok = [a for a in answers if a[2] is not None and 200 <= a[2] < 300]
            callbacks_bad += len(ok) != CALLBACKS_PER_REPLY
        return turn_summary(outcomes, sids, ack_ms, reply_ms, missing, twice, self.options.reply_bound_s,
                            callbacks_not_answered_2xx=callbacks_bad)  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("--round-trip")
    group.add_argument("--round-trip", action="store_true", help="the whole turn: webhook, reply, send, callbacks")
    group.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    group.add_argument("--redis-url", default="redis://127.0.0.1:6379", help="server URL, without a db number")
    group.add_argument("--redis-db", type=int, default=1, help="this tree's cache and broker")
    group.add_argument("--baseline-dir", type=Path, help="a second checkout to run beside this one")
    group.add_argument("--baseline-python", help="its interpreter (default: its .venv/bin/python)")
    group.add_argument("--baseline-database-url", default="")
    group.add_argument("--baseline-redis-db", type=int, default=15)
    group.add_argument("--reply-bound-s", type=float, default=5.0, help="every reply sent within this")
    group.add_argument("--callback-delay", type=float, default=0.3, help="the stand-in's delay per callback, s")
    group.add_argument("--api-latency", type=float, default=0.0, help="the stand-in's delay per send, s (Twilio's)")
    group.add_argument("--rounds", type=int, default=1, help="passes over the rates")
    group.add_argument("--channel", choices=("sms", "telegram"), default="sms",
                       help="the inbound channel (telegram: bench/roundtrip_telegram.py)")  # fmt: skip


def run(
    options: argparse.Namespace,
    parser: argparse.ArgumentParser,
    provider_class=None,
    stack_class=None,
    bench_class=None,
) -> None:
    """The steps over the rates; a channel's variant passes its stand-in, stack and bench classes."""
    provider_class, stack_class = provider_class or Provider, stack_class or TurnStack
    bench_class = bench_class or RoundTrip
    if not options.database_url.startswith("postgres"):
        parser.error("--database-url (or DATABASE_URL): a PostgreSQL database, the production shape")
    trees = [Tree("current", ROOT, sys.executable, options.database_url, (options.redis_db,) * 2, options.redis_url)]
    if options.baseline_dir:
        base = options.baseline_dir.resolve()
        if not options.baseline_database_url or options.baseline_database_url == options.database_url:
            parser.error("--baseline-database-url: a database of its own")
        if options.baseline_redis_db == options.redis_db:
            parser.error("--baseline-redis-db: a Redis database of its own")
        python = options.baseline_python or str(base / ".venv" / "bin" / "python")
        trees.insert(0, Tree("baseline", base, python, options.baseline_database_url,
                             (options.baseline_redis_db,) * 2, options.redis_url))  # fmt: skip
    provider = provider_class(
        argparse.Namespace(callback_delay=options.callback_delay, api_latency=options.api_latency), dict(os.environ)
    )
    stacks: list[TurnStack] = []
    report: dict = {"setup": {"python_loop_10m_s": python_loop_s()}, "steps": []}
    try:
        provider_url = provider.start()
        stacks = [stack_class(tree, options, provider_url) for tree in trees]
        bench = bench_class(options, provider, stacks)
        for stack in stacks:
            stack.start()
            bench.step(stack, 20.0, measured=False)  # warm-up: pools, connections, imports
        best: dict[str, float | None] = {stack.tree.name: None for stack in stacks}
        failed: set[str] = set()
        for round_ in range(options.rounds):
            for rate in options.rates:
                for stack in stacks:  # A/B: both trees see the same machine load
                    if stack.tree.name in failed:
                        continue
                    result = bench.step(stack, rate)
                    result.update(tree=stack.tree.name, round=round_ + 1)
                    report["steps"].append(result)
                    print(json.dumps(result), file=sys.stderr, flush=True)
                    if result["held"]:
                        best[stack.tree.name] = max(rate, best[stack.tree.name] or 0.0)
                    elif round_ == options.rounds - 1:
                        failed.add(stack.tree.name)
                if len(failed) == len(stacks):
                    break
        report["max_rate"] = best
    finally:
        for stack in stacks:
            if stack.pool is not None:
                stack.pool.close()
            stack.cluster.stop()
        provider.stop()
    report["median_cpu_ms_per_message"] = medians(report["steps"])
    report["setup"].update({
        "rates": options.rates, "duration_s": options.duration, "people": options.people,
        "senders": options.senders, "reply_bound_s": options.reply_bound_s,
        "callback_delay_s": options.callback_delay, "api_latency_s": options.api_latency,
        "cpus": len(os.sched_getaffinity(0)),
        "channel": options.channel,
        "web": {s.tree.name: " ".join(procfile_command(s.tree.root, "web")[1]) for s in stacks},
    })  # fmt: skip
    print(json.dumps(report, indent=2))


if __name__ == "__main__":  # run inside a tree: `prepare N` / `collect FILE`
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    {"prepare": lambda arg: prepare(int(arg)), "collect": collect}[sys.argv[1]](sys.argv[2])
