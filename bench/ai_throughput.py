"""AI throughput benchmark (issue: messaging and the AI orchestrator, point 6).

Drives N concurrent conversations through the real HTTP API (`POST /messages` to the AI bot, -1)
against the project's OpenAI-compatible stand-in with a fixed latency, served by gunicorn and the
`worker_ai` Celery process (thread pool), and reports:

* replies/s over the measured round (first post to last reply) and in its steady state,
* turn overhead = turn time (user message stored -> AI reply stored) minus the LLM latency,
  p50 and p99, split into before and after the LLM call,
* the POST latency, and CPU per reply per process role.

Each conversation is a closed loop: it sends its next message once the previous one is answered,
as a person would. A warm-up round (one message each) comes first; the conversations start spread
over `--ramp-up` seconds. Replies are detected by polling the database (cheap, and it keeps polling
traffic from stealing CPU from the server being measured). Method and results: docs/PERFORMANCE.md.

Run it against PostgreSQL and Redis (the production shape), e.g.:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_ai \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/5 REDIS_URL=redis://127.0.0.1:6379/6 \\
    .venv/bin/python bench/ai_throughput.py --conversations 70 --messages 8 --latency 1.0

Without those variables it runs on the embedded defaults (SQLite, filesystem broker).
The script starts and stops every process it needs; it only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(port: int, path: str, deadline: float) -> None:
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not come up")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


class Cluster:
    """The fake LLM, gunicorn and the worker_ai processes, started in their own process groups."""

    def __init__(self, options: argparse.Namespace, env: dict[str, str]):
        self.options = options
        self.env = env
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def _spawn(self, role: str, args: list[str]) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=self.env, start_new_session=True, stdout=subprocess.DEVNULL
        )
        self.procs.append((role, proc))
        return proc

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by each role, children included (gunicorn's workers)."""
        ticks = os.sysconf("SC_CLK_TCK")
        totals: dict[str, float] = {}
        for role, proc in self.procs:
            pids = [proc.pid, *_descendants(proc.pid)]
            used = 0.0
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                used += (int(fields[11]) + int(fields[12])) / ticks
            totals[role] = round(totals.get(role, 0.0) + used, 2)
        return totals

    def settle(self, timeout: float = 120.0, quiet_s: float = 0.1) -> bool:
        """Waits until the stack is idle (the workers done booting: importing, warming up, freezing
        their heap), whatever the broker: less than `quiet_s` CPU seconds in a second, all roles."""
        deadline = time.time() + timeout
        before = sum(self.cpu_seconds().values())
        while time.time() < deadline:
            time.sleep(1.0)
            now = sum(self.cpu_seconds().values())
            if now - before < quiet_s:
                return True
            before = now
        return False

    def start(self) -> tuple[int, str]:
        llm_port, web_port = free_port(), free_port()
        self._spawn(
            "fake_llm",
            ["-m", "demo.llm_server", "--port", str(llm_port), "--latency", str(self.options.latency)],
        )
        self.env["LITELLM_BASEURL"] = f"http://127.0.0.1:{llm_port}"
        self._spawn(
            "web",
            ["-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{web_port}", "-k", "gthread",
             "-w", str(self.options.web_workers), "--threads", str(self.options.web_threads), "--log-level", "warning"]
        )  # fmt: skip
        # BENCH_PROFILE_DIR: every thread of worker_ai under cProfile (bench/profiled.py)
        profiled = (
            [str(ROOT / "bench" / "profiled.py"), self.env["BENCH_PROFILE_DIR"]]
            if self.env.get("BENCH_PROFILE_DIR")
            else []
        )
        for index in range(self.options.ai_workers):
            self._spawn(
                "worker_ai",
                [*profiled, "-m", "celery", "-A", "config", "worker", "-Q", "ai", "-P", "threads",
                 "-c", str(self.options.ai_threads), "-n", f"bench-ai{index}@%h", "-l", "warning",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"]
            )  # fmt: skip
        deadline = time.time() + 60
        wait_for_http(web_port, "/health", deadline)
        wait_for_http(llm_port, "/v1/models", deadline)
        return web_port, self.env["LITELLM_BASEURL"]

    def stop(self) -> None:
        for _role, proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _role, proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


def services_cpu() -> dict[str, float]:
    """CPU seconds used so far by the local PostgreSQL and Redis servers (every process of each),
    when they run on this machine; other processes of the same name count too."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals = {"postgresql": 0.0, "redis": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, rest = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        name = head.split("(", 1)[1]
        role = "postgresql" if name.startswith("postgres") else "redis" if name.startswith("redis-serv") else None
        if role:
            fields = rest.split()
            totals[role] += (int(fields[11]) + int(fields[12])) / ticks
    return totals


def backends_cpu(database: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to `database` (its process title)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
            # "postgres: [16/main:] user database host(port) state"
            if not title or title[0] != "postgres:" or database not in title[1:5]:
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(proc.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def python_loop_s() -> float:
    """The machine's speed, as docs/PERFORMANCE.md states it: a 10 M-step Python loop."""
    started = time.perf_counter()
    for _ in range(10_000_000):
        pass
    return round(time.perf_counter() - started, 2)


def _descendants(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return children + [grandchild for child in children for grandchild in _descendants(child)]


def prepare_users(count: int) -> list[tuple[int, str]]:
    """Fresh bench users with one session each, and no rows left from an earlier run."""
    from accounts.models import User
    from messaging.models import Conversation

    old = list(User.objects.filter(username__startswith="bench-").values_list("id", flat=True))
    Conversation.objects.filter(user_id__in=old).delete()
    User.objects.filter(id__in=old).delete()
    return bench_users("bench-", count)


def bench_users(prefix: str, count: int, phone_numbers: list[str] | None = None) -> list[tuple[int, str]]:
    """(id, access token) of `count` new users named `prefix` + index, each with one session (tokens
    minted directly: login hashing is not what the benches measure); the first ones get
    `phone_numbers`. Called right after the deletes of an earlier run's rows."""
    from django.db import connection

    from accounts.models import User
    from accounts.services.sessions import session_open

    if connection.vendor == "postgresql":
        # The deletes leave dead rows: vacuum now rather than let autovacuum run mid-measurement.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    numbers = phone_numbers or []
    users = []
    for index in range(count):
        user = User.objects.create_user(f"{prefix}{index}", f"{prefix}{index}@example.com", None)
        if index < len(numbers):
            User.objects.filter(pk=user.pk).update(phone_number=numbers[index])
        _session, tokens = session_open(user=user, device_info="bench", ip_address="127.0.0.1")
        users.append((user.pk, tokens.access))
    return users


class ReplyWatcher(threading.Thread):
    """Polls the database for replies to the prompts in flight and wakes their conversations."""

    def __init__(self):
        super().__init__(daemon=True)
        self.waiting: dict[int, threading.Event] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.backend_pid: int | None = None  # its PostgreSQL backend: the bench's cost, not the server's

    def expect(self, message_id: int) -> threading.Event:
        event = threading.Event()
        with self.lock:
            self.waiting[message_id] = event
        return event

    def run(self) -> None:
        from django.db import connection

        from messaging.models import Message

        if connection.vendor == "postgresql":
            connection.ensure_connection()
            self.backend_pid = connection.connection.info.backend_pid
        while not self.stopped.is_set():
            with self.lock:
                oldest = min(self.waiting, default=None)
            if oldest is not None:
                # Every reply to a prompt in flight, and the few to prompts since answered: one bound
                # to compile, where an IN list of every prompt in flight cost the bench more CPU
                # than the rows it finds.
                answered = Message.objects.filter(in_reply_to_id__gte=oldest).values_list("in_reply_to_id", flat=True)
                with self.lock:
                    for message_id in answered:
                        event = self.waiting.pop(message_id, None)
                        if event:
                            event.set()
            time.sleep(0.02)
        connection.close()


def _post(conn: http.client.HTTPConnection, body: str, headers: dict) -> tuple[http.client.HTTPResponse, bytes]:
    conn.request("POST", "/messages", body=body, headers=headers)
    response = conn.getresponse()
    return response, response.read()


def converse(
    port: int,
    uid: int,
    token: str,
    messages: int,
    watcher: ReplyWatcher,
    sent: list,
    errors: list,
    post_ms: list,
    delay: float,
) -> None:
    time.sleep(delay)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for index in range(messages):
        # unique text, so the stand-in's timings can be matched to this message
        body = json.dumps({"recipient_id": -1, "content": f"Hello number {index} from {uid}, how are you today?"})
        started = time.perf_counter()
        try:
            response, payload = _post(conn, body, headers)
        except OSError:
            # the server closed an idle keep-alive connection: reconnect and send once more
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                response, payload = _post(conn, body, headers)
            except OSError as exc:
                errors.append(repr(exc))
                continue
        if response.status != 201:
            errors.append(f"POST /messages -> {response.status} {payload[:200]!r}")
            continue
        post_ms.append((time.perf_counter() - started) * 1000)
        message_id = json.loads(payload)["id"]
        sent.append(message_id)
        if not watcher.expect(message_id).wait(timeout=60):
            errors.append(f"no reply to message {message_id} within 60 s")


def run_round(
    port: int, users: list[tuple[int, str]], messages: int, watcher: ReplyWatcher, ramp_up: float = 0.0
) -> tuple[list, list, list]:
    """Conversation i starts i/N of `ramp_up` late: people do not all press "send" in the same
    millisecond, and with the LLM's fixed latency a common start would keep them in lock-step waves."""
    sent: list[int] = []
    errors: list[str] = []
    post_ms: list[float] = []
    threads = [
        threading.Thread(
            target=converse,
            args=(port, uid, token, messages, watcher, sent, errors, post_ms, ramp_up * index / len(users)),
        )
        for index, (uid, token) in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent, errors, post_ms


def llm_timings(llm_url: str) -> dict[str, tuple[float, float]]:
    """The stand-in's (arrived, answered) wall-clock times per user message text."""
    host, port = llm_url.rsplit("/", 1)[-1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", "/_timings")
    return {text: (arrived, answered) for arrived, answered, text in json.loads(conn.getresponse().read())}


def split_turns(sent: list[int], timings: dict[str, tuple[float, float]]) -> dict:
    """Where the overhead goes: before the LLM call (HTTP commit -> Celery -> worker -> request
    sent) and after it (answer received -> reply stored)."""
    from messaging.models import Message

    prompts = {m.id: m for m in Message.objects.filter(id__in=sent).only("id", "content", "created_at")}
    replies = Message.objects.filter(in_reply_to_id__in=sent).only("created_at", "in_reply_to_id")
    before, after = [], []
    for reply in replies:
        prompt = prompts[reply.in_reply_to_id]
        if prompt.content not in timings:
            continue
        arrived, answered = timings[prompt.content]
        before.append((arrived - prompt.created_at.timestamp()) * 1000)
        after.append((reply.created_at.timestamp() - answered) * 1000)
    if not before:
        return {}
    return {
        "before_llm_p50_ms": round(percentile(before, 50), 1),
        "before_llm_p99_ms": round(percentile(before, 99), 1),
        "after_llm_p50_ms": round(percentile(after, 50), 1),
        "after_llm_p99_ms": round(percentile(after, 99), 1),
    }


def summarise(sent: list[int], latency: float) -> dict:
    from messaging.models import Message

    prompts = {m.id: m for m in Message.objects.filter(id__in=sent)}
    replies = list(Message.objects.filter(in_reply_to_id__in=sent).only("created_at", "in_reply_to_id", "model"))
    # Steady state: from the moment every conversation has started to the moment the first one ends.
    first_sent: dict[int, datetime] = {}
    last_answered: dict[int, datetime] = {}
    for reply in replies:
        conversation = prompts[reply.in_reply_to_id].conversation_id
        sent_at = prompts[reply.in_reply_to_id].created_at
        first_sent[conversation] = min(sent_at, first_sent.get(conversation, sent_at))
        last_answered[conversation] = max(reply.created_at, last_answered.get(conversation, reply.created_at))
    steady_from, steady_to = max(first_sent.values()), min(last_answered.values())
    steady_replies = sum(1 for r in replies if steady_from <= r.created_at <= steady_to)
    steady_s = (steady_to - steady_from).total_seconds()
    turns = [(r.created_at - prompts[r.in_reply_to_id].created_at).total_seconds() for r in replies]
    overheads_ms = [max(0.0, turn - latency) * 1000 for turn in turns]
    start = min(p.created_at for p in prompts.values())
    end = max(r.created_at for r in replies)
    window = (end - start).total_seconds()
    return {
        "prompts": len(prompts),
        "replies": len(replies),
        "failed": sum(1 for p in Message.objects.filter(id__in=sent, reply_state="failed")),
        "window_s": round(window, 2),
        "replies_per_s": round(len(replies) / window, 1) if window else 0.0,
        "steady_replies_per_s": round(steady_replies / steady_s, 1) if steady_s > 0 else None,
        "steady_window_s": round(max(0.0, steady_s), 2),
        "turn_p50_ms": round(statistics.median(turns) * 1000, 1),
        "overhead_p50_ms": round(percentile(overheads_ms, 50), 1),
        "overhead_p99_ms": round(percentile(overheads_ms, 99), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=70)
    parser.add_argument("--messages", type=int, default=8, help="messages per conversation (closed loop)")
    parser.add_argument("--latency", type=float, default=1.0, help="fake LLM latency per call, seconds")
    parser.add_argument("--ai-workers", type=int, default=2, help="worker_ai processes (one per core)")
    parser.add_argument("--ai-threads", type=int, default=40, help="threads per worker_ai process")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes (one per core)")
    parser.add_argument("--web-threads", type=int, default=8, help="threads per gunicorn process (as the Procfile)")
    parser.add_argument(
        "--ramp-up", type=float, default=None, help="seconds over which the conversations start (default: --latency)"
    )
    options = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    env.update({"DJANGO_DEBUG": "false", "LOG_TO_FILES": "false", "LOG_LEVEL": "WARNING",
                "CELERY_TASK_ALWAYS_EAGER": "false",  # the turns run on worker_ai: that is what is measured
                "LITELLM_API_KEY": "bench-placeholder", "LITELLM_MODEL": "bench-model"})  # fmt: skip
    os.environ.update(env)

    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0)
    users = prepare_users(options.conversations)

    cluster = Cluster(options, env)
    try:
        port, llm_url = cluster.start()
        watcher = ReplyWatcher()
        watcher.start()
        ramp_up = options.latency if options.ramp_up is None else options.ramp_up
        # Warm-up, not measured: one message per conversation grows the thread pools and the
        # database connection pools to their working size and opens the keep-alive connections.
        _warm_sent, warm_errors, _warm_posts = run_round(port, users, 1, watcher, ramp_up)
        if warm_errors:
            raise SystemExit(f"warm-up failed: {warm_errors[:3]}")
        database = connection.settings_dict["NAME"] if connection.vendor == "postgresql" else None
        cpu_before, machine_before, own_before = cluster.cpu_seconds(), machine_cpu(), time.process_time()
        services_before, backends_before = services_cpu(), backends_cpu(database) if database else {}
        sent, errors, post_ms = run_round(port, users, options.messages, watcher, ramp_up)
        cpu_after, machine_after, own_after = cluster.cpu_seconds(), machine_cpu(), time.process_time()
        services_after, backends_after = services_cpu(), backends_cpu(database) if database else {}
        watcher.stopped.set()  # after the reading: its connection closes when it stops
        timings = llm_timings(llm_url)
    finally:
        cluster.stop()

    result = summarise(sent, options.latency)
    result.update(split_turns(sent, timings))
    if post_ms:  # what the sender waits for: the POST, before the turn overhead above starts
        result.update(post_p50_ms=round(percentile(post_ms, 50), 1), post_p99_ms=round(percentile(post_ms, 99), 1))
    replies = max(1, result["replies"])
    result["cpu_ms_per_reply"] = {
        role: round((cpu_after[role] - cpu_before.get(role, 0.0)) * 1000 / replies, 1) for role in cpu_after
    }
    result["cpu_ms_per_reply"]["load_generator"] = round((own_after - own_before) * 1000 / replies, 1)
    broker = os.environ.get("CELERY_BROKER_URL", "")
    in_use = {"postgresql": connection.vendor == "postgresql", "redis": broker.startswith("redis")}
    for role, used in services_after.items():
        if in_use[role]:
            result["cpu_ms_per_reply"][role] = round((used - services_before[role]) * 1000 / replies, 1)
    if database:
        # The backends of this database alone (the machine's other databases do not count), the
        # watcher's polling apart: it is the load generator's work, not the server's.
        used = {pid: backends_after[pid] - backends_before.get(pid, 0.0) for pid in backends_after}
        polling = used.pop(watcher.backend_pid, 0.0)
        result["cpu_ms_per_reply"]["postgresql_own_db"] = round(sum(used.values()) * 1000 / replies, 1)
        result["cpu_ms_per_reply"]["load_generator_polling_db"] = round(polling * 1000 / replies, 1)
    busy, total = machine_after[0] - machine_before[0], machine_after[1] - machine_before[1]
    result["cpu_ms_per_reply"]["whole_machine"] = round(busy * 1000 / replies, 1)
    result["machine_cpu_busy_pct"] = round(100 * busy / total, 1) if total else 0.0
    result.update(
        conversations=options.conversations,
        messages_per_conversation=options.messages,
        llm_latency_s=options.latency,
        ramp_up_s=ramp_up,
        ai_workers=options.ai_workers,
        ai_threads=options.ai_threads,
        web_workers=options.web_workers,
        web_threads=options.web_threads,
        database=connection.vendor,
        broker=os.environ.get("CELERY_BROKER_URL", "").split("://")[0] or "filesystem",
        errors=len(errors),
        python_loop_10m_s=python_loop_s(),
    )
    print(json.dumps(result, indent=2))
    if errors:
        print("first errors:", *errors[:5], sep="\n  ", file=sys.stderr)


if __name__ == "__main__":
    main()
