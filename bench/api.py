"""REST API serving cost (issue 13): throughput, latency and server CPU per request of the plain API.

Drives `GET /health`, `POST /auth/login`, `GET /messages?limit=50`, `POST /messages` (a user writing
to another user) and `GET /reports` with a fixed number of concurrent keep-alive connections (closed
loop, `--connections`, 16 and 64 by default) against the stack as the Procfile starts it: its `web`
line (gunicorn, production settings) and its `worker` line, on PostgreSQL and Redis. The load
generator is wrk (the Debian/Ubuntu package `wrk`), scripted in Lua so every request carries its own
user's token and body.

Reported per tree, endpoint and connection count, for each run and as the median of the runs:
requests/s, p50/p99/max latency, errors (socket errors, timeouts and non-2xx answers), and the CPU
the web processes (gunicorn's master and workers, from /proc) used per request. After the runs: the
resident memory of each web process.

`--baseline-dir` points at a second checkout (e.g. a worktree of the baseline commit, with its own
virtualenv in `.venv`): both stacks run side by side, each on its own database and Redis databases,
and every run of one tree is followed by the same run of the other (A/B/A/B), so both see the same
machine load. Method and results: docs/PERFORMANCE.md ("REST API serving cost").

    git worktree add ../baseline 3dcd456   # then create ../baseline/.venv from its requirements.txt
    .venv/bin/python bench/api.py --baseline-dir ../baseline \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_api \\
        --baseline-database-url postgres://postgres@127.0.0.1:5432/bench_api_base \\
        --redis-url redis://127.0.0.1:6379 --redis-dbs 13,14 --baseline-redis-dbs 11,12

The script starts and stops every process it needs and only talks to 127.0.0.1. The databases must
exist; the script migrates them and replaces its own bench users in them.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USER_PREFIX = "api-bench-"
LOGIN_USER = f"{USER_PREFIX}login"
LOGIN_PASSWORD = "api-bench-Password-1"  # a bench user on a throwaway database
ENDPOINTS = ("health", "login", "create", "list", "reports")
PATHS = {
    "health": "GET /health",
    "login": "POST /auth/login",
    "list": "GET /messages?limit=50",
    "create": "POST /messages",
    "reports": "GET /reports",
}


# --- run inside the tree under test (its own interpreter and code) ---------------------------------
def prepare(count: int) -> None:
    """Fresh bench users with one session each, and one user who logs in with a password; prints
    [[user id, access token], ...] and nothing else on stdout."""
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Q

    call_command("migrate", verbosity=0)
    from accounts.models import User
    from messaging.models import Conversation, Message

    try:
        from accounts.services.sessions import session_open
    except ImportError:  # before accounts.services became a package
        from accounts.services import session_open  # type: ignore[attr-defined,no-redef]

    old = list(User.objects.filter(username__startswith=USER_PREFIX).values_list("id", flat=True))
    Message.objects.filter(Q(sender_id__in=old) | Q(recipient_id__in=old)).delete()
    Conversation.objects.filter(Q(user_id__in=old) | Q(user_a_id__in=old) | Q(user_b_id__in=old)).delete()
    User.objects.filter(id__in=old).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # now, rather than autovacuum in the middle of a run
            cursor.execute("VACUUM ANALYZE")
    User.objects.create_user(LOGIN_USER, f"{LOGIN_USER}@example.com", LOGIN_PASSWORD)
    users = []
    for index in range(count):
        user = User.objects.create_user(f"{USER_PREFIX}{index}", f"{USER_PREFIX}{index}@example.com", None)
        _session, tokens = session_open(user=user, device_info="bench", ip_address="127.0.0.1")
        users.append([user.pk, tokens.access])
    print(json.dumps(users))


# --- the stack of one tree ---------------------------------------------------------------------
def procfile_command(tree: Path, role: str) -> tuple[dict[str, str], list[str]]:
    """The environment assignments and the argument list of a Procfile line."""
    for line in (tree / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == role:
            words = shlex.split(command)
            env = {}
            while words and "=" in words[0] and not words[0].startswith("-"):
                key, _, value = words.pop(0).partition("=")
                env[key] = value
            return env, words
    raise SystemExit(f"{tree / 'Procfile'} has no {role} line")


def _local_bind(args: list[str], port: int) -> list[str]:
    """The web line, listening on 127.0.0.1 only: a --bind in the line is rewritten, and a line
    without one (the port comes from a config file) gets one."""
    args = [arg.replace("$PORT", str(port)).replace("0.0.0.0:", "127.0.0.1:") for arg in args]
    if not any(arg in ("-b", "--bind") or arg.startswith("--bind=") for arg in args):
        args += ["--bind", f"127.0.0.1:{port}"]
    return args


@dataclass
class Tree:
    name: str
    root: Path
    python: str
    database_url: str
    redis_dbs: tuple[int, int]  # cache, broker
    redis_url: str

    def env(self, port: int) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CELERY_"))}
        env.update({
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "api-bench-secret-key-not-for-production-" + "x" * 20,
            "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on the loopback, TLS ends before
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"{self.redis_url}/{self.redis_dbs[0]}",
            "CELERY_BROKER_URL": f"{self.redis_url}/{self.redis_dbs[1]}",
            "LOG_TO_FILES": "false",
            "JWT_ACCESS_MINUTES": "600",  # one token per user for the whole sitting
            "PORT": str(port),
            "PYTHONPATH": str(self.root),
        })  # fmt: skip
        return env


def _cluster_class():
    from ai_throughput import Cluster

    class TreeCluster(Cluster):
        """The web and worker lines of one tree's Procfile, run by that tree's interpreter."""

        def __init__(self, tree: Tree, port: int):
            super().__init__(argparse.Namespace(), tree.env(port))
            self.tree, self.port = tree, port

        def _spawn(self, role: str, args: list[str]) -> subprocess.Popen:
            # BENCH_LOGS_DIR: each process's output (its access log, a 5xx's traceback) kept there
            logs = os.environ.get("BENCH_LOGS_DIR")
            if logs:
                os.makedirs(logs, exist_ok=True)
            output = open(os.path.join(logs, f"{self.tree.name}-{role}.log"), "ab") if logs else subprocess.DEVNULL  # noqa: SIM115
            proc = subprocess.Popen(
                [self.tree.python, *args],
                cwd=self.tree.root,
                env=self.env,
                start_new_session=True,
                stdout=output,
                stderr=subprocess.STDOUT if logs else subprocess.DEVNULL,
            )
            self.procs.append((role, proc))
            return proc

        def start(self) -> None:
            from ai_throughput import wait_for_http

            for role in ("web", "worker"):
                line_env, words = procfile_command(self.tree.root, role)
                self.env.update(line_env)
                if role == "web":
                    words = _local_bind(words, self.port)
                self._spawn(role, ["-m", *words])  # `gunicorn ...` / `celery ...` as modules
            wait_for_http(self.port, "/health", time.time() + 90)

        def web_pids(self) -> list[int]:
            from ai_throughput import _descendants

            proc = dict(self.procs)["web"]
            return [proc.pid, *_descendants(proc.pid)]

        def web_rss_mb(self) -> list[float]:
            sizes = []
            for pid in self.web_pids():
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(round(int(line.split()[1]) / 1024, 1))
            return sizes

    return TreeCluster


# --- the load --------------------------------------------------------------------------------------
LUA = r"""
local users = %(users)s
local kind = "%(kind)s"
local login_body = '%(login_body)s'
local counter = 0
local threads = {}

function setup(thread)
  thread:set("offset", #threads * 7919)
  table.insert(threads, thread)
end

function init(args)
  counter = offset
end

function request()
  counter = counter + 1
  local user = users[counter %% #users + 1]
  local auth = {["Authorization"] = "Bearer " .. user[2], ["Content-Type"] = "application/json"}
  if kind == "health" then
    return wrk.format("GET", "/health")
  elseif kind == "login" then
    return wrk.format("POST", "/auth/login", {["Content-Type"] = "application/json"}, login_body)
  elseif kind == "list" then
    return wrk.format("GET", "/messages?limit=50", auth)
  elseif kind == "create" then
    local recipient = users[(counter + 1) %% #users + 1]
    local body = string.format('{"recipient_id": %%d, "content": "Hello, this is message %%d"}', recipient[1], counter)
    return wrk.format("POST", "/messages", auth, body)
  else
    return wrk.format("GET", "/reports", auth)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, "write": %%d, "status": %%d, ' ..
    '"timeout": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def lua_script(kind: str, users: list[list]) -> str:
    table = "{" + ", ".join(f'{{{uid}, "{token}"}}' for uid, token in users) + "}"
    login_body = json.dumps({"username": LOGIN_USER, "password": LOGIN_PASSWORD})
    return LUA % {"users": table, "kind": kind, "login_body": login_body}


def wrk_run(port: int, script: Path, connections: int, seconds: float, threads: int, timeout_s: float) -> dict:
    args = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
            f"--timeout={round(timeout_s)}s", "-s", str(script), f"http://127.0.0.1:{port}"]  # fmt: skip
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


class Stack:
    def __init__(self, tree: Tree, options: argparse.Namespace):
        from ai_throughput import free_port

        self.tree, self.options = tree, options
        self.port = free_port()
        self.cluster = _cluster_class()(tree, self.port)
        self.scripts: dict[str, Path] = {}
        self.workdir = Path(tempfile.mkdtemp(prefix=f"bench-api-{tree.name}-"))

    def prepare(self) -> None:
        env = self.tree.env(self.port)
        out = subprocess.run(
            [self.tree.python, str(Path(__file__).resolve()), "--prepare", str(self.options.users)],
            cwd=self.tree.root, env=env, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        users = json.loads(out.strip().splitlines()[-1])
        for kind in ENDPOINTS:
            path = self.workdir / f"{kind}.lua"
            path.write_text(lua_script(kind, users))
            self.scripts[kind] = path
        self.users = users

    def seed(self) -> None:
        """Unmeasured: fills every user's list past 50 messages and gives each a few reports (through
        the API, so the same on every tree), and warms the processes up."""
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        for uid, token in self.users:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            for number in range(self.options.reports):
                body = json.dumps({"title": f"Bench report {number}", "content": f"Report {number} of user {uid}"})
                conn.request("POST", "/reports", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                assert response.status == 201, (response.status, self.tree.name)
        conn.close()
        for kind in ("create", "list", "reports", "health"):
            result = wrk_run(self.port, self.scripts[kind], 16, self.options.warm_up, self.options.wrk_threads, 10)
            print(f"{self.tree.name} warm-up {PATHS[kind]}: {json.dumps(result)}", file=sys.stderr, flush=True)
        for _ in range(20):  # the lists hold 50 messages or more (the warm-up above may not get there)
            if all(self.listed(token) >= 50 for _uid, token in self.users):
                return
            wrk_run(self.port, self.scripts["create"], 16, 2, self.options.wrk_threads, 10)
        raise SystemExit(f"{self.tree.name}: the message lists did not fill up")

    def listed(self, token: str) -> int:
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", "/messages?limit=50", headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        rows = json.loads(response.read())
        conn.close()
        assert response.status == 200, (response.status, self.tree.name)
        return len(rows)

    def settle(self, timeout: float = 180.0) -> None:
        """Waits until the web processes are idle: requests a run left queued (64 logins take half a
        minute of hashing after the load generator has gone) must not land in the next run."""
        deadline = time.time() + timeout
        before = self.cluster.cpu_seconds()["web"]
        while time.time() < deadline:
            time.sleep(1.0)
            now = self.cluster.cpu_seconds()["web"]
            if now - before < 0.05:
                return
            before = now

    def measure(self, kind: str, connections: int) -> dict:
        before = self.cluster.cpu_seconds()["web"]
        seconds = self.options.login_duration if kind == "login" else self.options.duration
        result = wrk_run(self.port, self.scripts[kind], connections, seconds, self.options.wrk_threads, 10)
        time.sleep(0.3)  # answers already sent may still be logging
        used = self.cluster.cpu_seconds()["web"] - before
        requests = max(1, result["requests"])
        errors = sum(result[key] for key in ("connect", "read", "write", "status", "timeout"))
        return {
            "req_s": round(result["requests"] / (result["duration_us"] / 1e6), 1),
            "p50_ms": round(result["p50_us"] / 1000, 1),
            "p99_ms": round(result["p99_us"] / 1000, 1),
            "max_ms": round(result["max_us"] / 1000, 1),
            "errors": errors,
            "requests": result["requests"],
            "cpu_ms_per_request": round(used * 1000 / requests, 2),
        }


def median_of(runs: list[dict]) -> dict:
    keys = ("req_s", "p50_ms", "p99_ms", "max_ms", "cpu_ms_per_request")
    out: dict = {key: round(statistics.median(run[key] for run in runs), 2) for key in keys}
    out["errors"] = sum(run["errors"] for run in runs)
    out["max_ms"] = max(run["max_ms"] for run in runs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)  # internal: run inside a tree
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379", help="server URL, without a db number")
    parser.add_argument("--redis-dbs", default="13,14", help="cache,broker database numbers")
    parser.add_argument("--baseline-dir", type=Path, help="a second checkout to run beside this one")
    parser.add_argument("--baseline-python", help="its interpreter (default: its .venv/bin/python)")
    parser.add_argument("--baseline-database-url", default="")
    parser.add_argument("--baseline-redis-dbs", default="11,12")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS), help=f"among {', '.join(ENDPOINTS)}")
    parser.add_argument("--connections", default="16,64", help="concurrent connections, one pass each")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each endpoint per tree")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--login-duration", type=float, default=10.0, help="seconds per login run")
    parser.add_argument("--warm-up", type=float, default=3.0, help="unmeasured seconds per endpoint at start")
    parser.add_argument("--users", type=int, default=16, help="users the traffic is spread over")
    parser.add_argument("--reports", type=int, default=5, help="reports per user")
    parser.add_argument("--wrk-threads", type=int, default=2)
    options = parser.parse_args()
    if options.prepare is not None:
        prepare(options.prepare)
        return
    sys.path.insert(0, str(ROOT / "bench"))
    if not options.database_url.startswith("postgres"):
        parser.error("--database-url (or DATABASE_URL): a PostgreSQL database, the production shape")
    endpoints = [name for name in options.endpoints.split(",") if name]
    if set(endpoints) - set(ENDPOINTS):
        parser.error(f"--endpoints: choose among {', '.join(ENDPOINTS)}")

    def dbs(text: str) -> tuple[int, int]:
        cache, broker = (int(part) for part in text.split(","))
        return cache, broker

    trees = [Tree("current", ROOT, sys.executable, options.database_url, dbs(options.redis_dbs), options.redis_url)]
    if options.baseline_dir:
        base = options.baseline_dir.resolve()
        if not options.baseline_database_url or options.baseline_database_url == options.database_url:
            parser.error("--baseline-database-url: a database of its own (the schemas differ)")
        python = options.baseline_python or str(base / ".venv" / "bin" / "python")
        trees.insert(0, Tree("baseline", base, python, options.baseline_database_url,
                             dbs(options.baseline_redis_dbs), options.redis_url))  # fmt: skip

    stacks = [Stack(tree, options) for tree in trees]
    report: dict = {"setup": {}, "runs": {}, "median": {}, "rss_mb": {}}
    try:
        for stack in stacks:
            stack.prepare()
            stack.cluster.start()
            stack.seed()
            report["rss_mb"][stack.tree.name] = {"after_start": stack.cluster.web_rss_mb()}
            report["setup"][stack.tree.name] = {
                "web": " ".join(procfile_command(stack.tree.root, "web")[1]),
                "web_processes": len(stack.cluster.web_pids()) - 1,
            }
        loads = [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
        for connections in (int(c) for c in options.connections.split(",")):
            for kind in endpoints:
                for round_ in range(options.rounds):
                    for stack in stacks:  # A/B/A/B: both trees see the same machine load
                        for idle in stacks:
                            idle.settle()
                        result = stack.measure(kind, connections)
                        key = f"{stack.tree.name} {PATHS[kind]} c={connections}"
                        report["runs"].setdefault(key, []).append(result)
                        print(f"{key} round {round_ + 1}: {json.dumps(result)}", file=sys.stderr, flush=True)
        for stack in stacks:
            report["rss_mb"][stack.tree.name]["after_runs"] = stack.cluster.web_rss_mb()
        loads += [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
    finally:
        for stack in stacks:
            stack.cluster.stop()
            shutil.rmtree(stack.workdir, ignore_errors=True)
    for key, runs in report["runs"].items():
        report["median"][key] = median_of(runs)
    if len(stacks) == 2:
        report["ratio_current_to_baseline"] = ratios(report["median"])
    report["setup"].update({
        "rounds": options.rounds, "duration_s": options.duration, "users": options.users,
        "load_generator": f"wrk, {options.wrk_threads} threads", "cpus": len(os.sched_getaffinity(0)),
        "loadavg_before_after": loads,
    })  # fmt: skip
    print(json.dumps(report, indent=2))


def ratios(medians: dict) -> dict:
    out = {}
    for key, current in medians.items():
        if not key.startswith("current "):
            continue
        base = medians.get("baseline " + key.removeprefix("current "))
        if not base:
            continue
        out[key.removeprefix("current ")] = {
            name: round(current[name] / base[name], 2) if base[name] else None
            for name in ("req_s", "p99_ms", "cpu_ms_per_request")
        }
    return out


if __name__ == "__main__":
    main()
