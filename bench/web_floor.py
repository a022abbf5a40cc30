"""The web process's CPU per request under gunicorn (issue 29): our Twilio status callback and
inbound webhook against the floor, each served alone by the tree's `gunicorn.conf.py` (gthread,
production settings, PostgreSQL, Redis) and posted at a fixed rate (open loop, bench/webhook.py's
load generator), the gunicorn processes' CPU (master and workers, from /proc) divided by the
requests answered. The cases:

* `raw`: a bare WSGI callable (bench/web_floor_app.py): gunicorn alone, with its access log;
* `bare`: Django serving a view that parses the form and answers JSON, no middleware;
* `stack`: the same view behind the production middleware stack;
* `status`: signed status callbacks (`sent`, then `delivered`, of outbound rows made for it);
* `webhook`: signed inbound webhooks (64 numbers, the automatic reply on; no worker runs, so the
  replies stay queued in the broker);
* `peer`: the same webhooks served by the issue's peer, the second seed app's inbound webhook
  (store in SQLite, answer) written as a bare WSGI callable (bench/web_floor_app.py): its floor.

`--conn close` posts each request on a new connection (`Connection: close`), as the Twilio stand-in
does for status callbacks; `keep` reuses keep-alive connections. `--access` varies the access log:
`mask` (gunicorn.conf.py as is), `plain` (gunicorn's own logger), `off` (no access log); `fast` is
gunicorn.conf.py with gunicorn's C request parser (gunicorn_h1c, found in `--fast-parser-path`). Several
`--trees` (checkouts with their own `--database-urls`) run alternately, case by case, in each round.
`--servers gunicorn,granian` serves each case by both, alternately: granian (a Rust HTTP server with
a WSGI interface; not a dependency of the project) is imported from `--granian-path`, a folder it was
installed into (`pip install --target DIR granian`), and runs with gunicorn.conf.py's shape: the same
processes (WEB_CONCURRENCY), 8 threads each, keep-alive, an access line per request to the same null
output (its own logger: `--access` varies gunicorn's alone).

    .venv/bin/python bench/web_floor.py --database-urls postgres://postgres@127.0.0.1:5432/floor \\
        --redis-url redis://127.0.0.1:6403/4 --cases raw,bare,stack,status,webhook --rounds 3

`--profile-dir DIR` runs gunicorn under bench/profiled.py (every thread by its CPU clock). In-process,
with the settings in the environment: `--middleware-costs CALLS` (DJANGO_SETTINGS_MODULE=web_floor_settings)
prints what each middleware of the stack adds to a request, `--access-costs CALLS` an access line's
cost, `--apply-costs ROWS` the status callback
service's CPU (run from the tree to measure: its code is imported from the working directory).
The databases must exist; the script migrates them and replaces its own bench rows in them."""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from ai_throughput import _descendants, free_port, wait_for_http
from webhook import TWILIO_NUMBER, Request, SenderPool, Traffic, open_loop, person_number

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
SID_PREFIX = "SMfloor"
PEOPLE = 64
APPS = {
    "raw": ("web_floor_app:raw_app", {}),
    "peer": ("web_floor_app:peer_app", {}),
    "bare": ("config.wsgi:application", {"DJANGO_SETTINGS_MODULE": "web_floor_settings", "BENCH_MIDDLEWARE": "none"}),
    "stack": ("config.wsgi:application", {"DJANGO_SETTINGS_MODULE": "web_floor_settings"}),
    "status": ("config.wsgi:application", {}),
    "webhook": ("config.wsgi:application", {}),
}
ACCESS = {
    "mask": "",
    "plain": "logger_class = 'gunicorn.glogging.Logger'\n",
    "off": "accesslog = None\n",
    "fast": "http_parser = 'fast'\n",  # gunicorn's C parser, from `--fast-parser-path`
}


# --- run inside the tree's environment (its database) ------------------------------------------
def prepare(count: int) -> None:
    """Migrates, turns the automatic reply on, and makes `count` outbound rows (queued, with a SID)
    for the status callbacks; prints [[pk, sid], ...]."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from roundtrip import AUTO_REPLY
    from webhook import prepare_people

    from inbox.services.modes import auto_reply_config_set
    from messaging.models import Message
    from twilio_channel.models import MessageStatusEvent

    prepare_people(PEOPLE, 0)
    with transaction.atomic():
        auto_reply_config_set(enabled=True, message=AUTO_REPLY)
    MessageStatusEvent.objects.filter(twilio_sid__startswith=SID_PREFIX).delete()
    Message.objects.filter(external_id__startswith=SID_PREFIX).delete()
    fixed = {"channel": "sms", "direction": "outbound", "from_number": TWILIO_NUMBER, "content": "Thanks",
             "status": "queued"}  # fmt: skip
    number = [person_number(i % PEOPLE) for i in range(count)]
    rows = Message.objects.bulk_create(
        [Message(**fixed, to_number=number[i], participant_number=number[i], external_id=f"{SID_PREFIX}{i:027d}")
         for i in range(count)]
    )  # fmt: skip
    print(json.dumps([[row.pk, row.external_id] for row in rows]))


# --- in-process, one call at a time ------------------------------------------------------------
def middleware_costs(calls: int) -> None:
    """µs of CPU per request of Django's WSGI handler serving the floor view (a urlencoded form like
    a status callback's) with no middleware, then with the production stack's first 1, 2, ... (run
    with DJANGO_SETTINGS_MODULE=web_floor_settings)."""
    import io

    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    body = status_requests("http://127.0.0.1", [[1, f"{SID_PREFIX}{1:027d}"]], False)[0].body

    def environ() -> dict:
        return {"REQUEST_METHOD": "POST", "PATH_INFO": "/floor", "QUERY_STRING": "mid=1", "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
                "HTTP_HOST": "127.0.0.1", "CONTENT_TYPE": "application/x-www-form-urlencoded",
                "CONTENT_LENGTH": str(len(body)), "HTTP_X_TWILIO_SIGNATURE": "x", "wsgi.input": io.BytesIO(body),
                "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr}  # fmt: skip

    def cost(middleware: list[str]) -> float:
        with override_settings(MIDDLEWARE=middleware):
            handler = WSGIHandler()
            runs = []
            for _ in range(6):  # the first is the warm-up
                started = time.process_time()
                for _ in range(calls):
                    b"".join(handler(environ(), lambda status, headers, exc_info=None: None))
                runs.append((time.process_time() - started) * 1e6 / calls)
            return statistics.median(runs[1:])

    stack = list(settings.MIDDLEWARE)
    previous = cost([])
    print(f"no middleware: {previous:.0f} µs")
    for count in range(1, len(stack) + 1):
        now = cost(stack[:count])
        print(f"+ {stack[count - 1]:58s} {now:5.0f} µs ({now - previous:+4.0f})")
        previous = now


def access_costs(calls: int) -> None:
    """µs of CPU per access line (to /dev/null) of gunicorn's own logger and of gunicorn.conf.py's
    masking one, for a status callback's request, and of the masking alone."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config  # type: ignore[import-untyped]
    from gunicorn.glogging import Logger  # type: ignore[import-untyped]

    from core.access_log import URL_ATOMS, PhoneMaskingLogger
    from core.redact import mask_phones_in_url

    request = status_requests("http://127.0.0.1", [[1, f"{SID_PREFIX}{1:027d}"]], False)[0]
    headers = [(name.upper(), value) for name, value in {**request.headers, "Host": "127.0.0.1:8000"}.items()]
    environ = {"REQUEST_METHOD": "POST", "RAW_URI": request.path, "SERVER_PROTOCOL": "HTTP/1.1",
               "PATH_INFO": request.path.split("?")[0], "QUERY_STRING": request.path.split("?")[1],
               "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SCRIPT_NAME": "",
               "wsgi.url_scheme": "http", "wsgi.multithread": True, "SERVER_SOFTWARE": "gunicorn",
               **{f"HTTP_{name.replace('-', '_')}": value for name, value in headers}}  # fmt: skip
    response = SimpleNamespace(status="200 OK", sent=16, headers=[("Content-Type", "application/json")] * 8)
    for logger_class in (Logger, PhoneMaskingLogger):
        config = Config()
        config.set("accesslog", os.devnull)
        logger = logger_class(config)
        started = time.process_time()
        for _ in range(calls):
            logger.access(response, SimpleNamespace(headers=headers), environ, timedelta(milliseconds=3))
        print(f"{logger_class.__name__}: {(time.process_time() - started) * 1e6 / calls:.1f} µs a line")
    atoms = [environ["RAW_URI"], environ["PATH_INFO"], environ["QUERY_STRING"], "-"] * 2 + ["-"]
    assert len(atoms) == len(URL_ATOMS)
    started = time.process_time()
    for _ in range(calls):
        for atom in atoms:
            mask_phones_in_url(atom)
    print(f"the masking alone: {(time.process_time() - started) * 1e6 / calls:.1f} µs a line")


def apply_costs(count: int) -> None:
    """µs of CPU of `status_apply` (the callback's service: its UPDATE and INSERT) per `sent` and per
    `delivered` of `count` new outbound rows, medians after the first 200."""
    sys.path.insert(0, os.getcwd())  # the tree under test's code
    import django

    django.setup()
    from messaging.models import Message
    from twilio_channel.models import MessageStatusEvent
    from twilio_channel.services.statuses import status_apply

    prefix = SID_PREFIX + "apply"
    MessageStatusEvent.objects.filter(twilio_sid__startswith=prefix).delete()
    Message.objects.filter(external_id__startswith=prefix).delete()
    rows = Message.objects.bulk_create(
        [Message(channel="sms", direction="outbound", to_number=person_number(i % PEOPLE), status="queued",
                 external_id=f"{prefix}{i:022d}") for i in range(count)]
    )  # fmt: skip
    for step in ("sent", "delivered"):
        times = []
        for row in rows:
            started = time.process_time()
            assert status_apply(sid=row.external_id, status=step, message_id=row.pk)
            times.append((time.process_time() - started) * 1e6)
        print(f"status_apply {step}: {statistics.median(times[200:]):.0f} µs")


# --- the stack ---------------------------------------------------------------------------------
def tree_env(root: Path, database_url: str, redis_url: str, port: int) -> dict[str, str]:
    from demo.twilio_server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CELERY_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "floor-bench-secret-key-not-for-production-" + "x" * 20,
        "DJANGO_SECURE_SSL_REDIRECT": "false", "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url,
        "LOG_TO_FILES": "false", "LOG_LEVEL": "WARNING", "PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "AUTO_REPLY_LIMIT_PER_CONTACT": "1000000",
        "AI_BURST_WINDOW_S": "0",
        "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
        "TWILIO_DEFAULT_FROM": TWILIO_NUMBER, "TWILIO_VALIDATE_SIGNATURE": "true",
        "TWILIO_API_BASE_URL": "http://127.0.0.1:9",  # never called: no worker runs
        "PYTHONPATH": f"{root}:{BENCH}", "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "1"),
    })  # fmt: skip
    return env


def cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU seconds so far of `pid` and its descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    user = system = 0.0
    for each in [pid, *_descendants(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        user, system = user + int(fields[11]) / ticks, system + int(fields[12]) / ticks
    return user, system


def granian_args(env: dict[str, str], app: str) -> list[str]:
    """granian serving `app` as gunicorn.conf.py has gunicorn serve it (processes, threads, keep-alive,
    an access line per request)."""
    return ["-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", env["PORT"],
            "--workers", env["WEB_CONCURRENCY"], "--blocking-threads", "8", "--http1-keep-alive",
            "--access-log", "--log-level", "warning", app]  # fmt: skip


class Server:
    def __init__(
        self, root: Path, python: str, env: dict[str, str], app: str, access: str, profile_dir: str, server: str
    ):
        self.conf = tempfile.NamedTemporaryFile("w", suffix=".py", delete=False)  # noqa: SIM115
        self.conf.write(f"exec(open({str(root / 'gunicorn.conf.py')!r}).read())\n{ACCESS[access]}")
        self.conf.close()
        profiled = [str(BENCH / "profiled.py"), profile_dir] if profile_dir else []
        if server == "granian":
            args = [python, *profiled, *granian_args(env, app)]
        else:
            bind = f"127.0.0.1:{env['PORT']}"
            args = [python, *profiled, "-m", "gunicorn", "-c", self.conf.name, "--bind", bind, app]
        self.proc = subprocess.Popen(args, cwd=root, env=env, start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        wait_for_http(int(env["PORT"]), "/health", time.time() + 90)

    def cpu(self) -> tuple[float, float]:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.unlink(self.conf.name)


# --- the requests ------------------------------------------------------------------------------
def status_requests(base_url: str, rows: list[list], close: bool) -> list[Request]:
    from twilio.request_validator import RequestValidator

    from demo.twilio_server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

    validator = RequestValidator(DEFAULT_AUTH_TOKEN)
    requests = []
    for step in ("sent", "delivered"):  # every row's `sent` before its `delivered`
        for index, (pk, sid) in enumerate(rows):
            path = f"/twilio/status?mid={pk}"
            form = {"AccountSid": DEFAULT_ACCOUNT_SID, "ApiVersion": "2010-04-01", "From": TWILIO_NUMBER,
                    "MessageSid": sid, "MessageStatus": step, "SmsSid": sid, "SmsStatus": step,
                    "To": person_number(index % PEOPLE)}  # fmt: skip
            headers = {"Content-Type": "application/x-www-form-urlencoded",
                       "X-Twilio-Signature": validator.compute_signature(base_url + path, form)}  # fmt: skip
            requests.append(Request(path, urlencode(form).encode(), headers))
    return _closing(requests, close)


def _closing(requests: list[Request], close: bool) -> list[Request]:
    if close:
        for request in requests:
            request.headers["Connection"] = "close"
    return requests


def case_requests(case: str, base_url: str, count: int, rows: list[list], close: bool) -> list[Request]:
    from demo.twilio_server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

    if case == "status":
        return status_requests(base_url, rows[: count // 2], close)
    if case in ("webhook", "peer"):
        traffic = Traffic(base_url=base_url, auth_token=DEFAULT_AUTH_TOKEN, account_sid=DEFAULT_ACCOUNT_SID,
                          users=[(0, "")] * PEOPLE)  # fmt: skip
        traffic.serial = int(time.time() * 1000)  # texts distinct across runs
        return _closing([traffic.webhook(index) for index in range(count)], close)
    # the floor: a status callback's form, unsigned
    return _closing(
        [Request("/" if case == "raw" else "/floor", r.body, {"Content-Type": r.headers["Content-Type"]})
         for r in status_requests(base_url, rows[: count // 2], False)],
        close,
    )  # fmt: skip


# --- one measurement ---------------------------------------------------------------------------
def measure(tree: dict, case: str, conn: str, access: str, server_name: str, options: argparse.Namespace) -> dict:
    port = free_port()
    env = tree_env(tree["root"], tree["database_url"], options.redis_url, port)
    app, app_env = APPS[case]
    env.update(app_env)
    if access == "fast":
        env["PYTHONPATH"] += f":{options.fast_parser_path}"
    if server_name == "granian":
        env["PYTHONPATH"] += f":{options.granian_path}"
    peer_db = Path(tempfile.gettempdir()) / f"web-floor-peer-{port}.sqlite3"
    if case == "peer":
        env["BENCH_PEER_DB"] = str(peer_db)
    count = round(options.rate * options.duration)
    warm = options.warm_up
    rows: list[list] = []
    if case in ("raw", "bare", "stack"):  # unsigned forms of the callback's shape, no rows needed
        rows = [[index, f"{SID_PREFIX}{index:027d}"] for index in range(count + warm)]
    elif case == "status":
        out = subprocess.run([tree["python"], __file__, "--prepare", str(count + warm)], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
        rows = json.loads(out.strip().splitlines()[-1])
    elif case == "webhook":
        subprocess.run([tree["python"], __file__, "--prepare", "0"], cwd=ROOT, env=env, capture_output=True, check=True)
    server = Server(tree["root"], tree["python"], env, app, access, options.profile_dir, server_name)
    base_url = env["PUBLIC_BASE_URL"]
    pool = SenderPool(port, options.senders)
    try:
        if case == "status":  # warm-up rows first, measured rows after: each row's sent, then delivered
            warm_requests = status_requests(base_url, rows[: warm // 2], conn == "close")
            requests = status_requests(base_url, rows[warm // 2 : warm // 2 + count // 2], conn == "close")
        else:
            everything = case_requests(case, base_url, count + warm, rows, conn == "close")
            warm_requests, requests = everything[:warm], everything[warm:]
        outcomes, _ = open_loop(pool, warm_requests, options.rate, 5.0)
        pool.wait_idle(time.perf_counter() + 30)
        time.sleep(0.5)
        before, wall = server.cpu(), time.perf_counter()
        outcomes, _ = open_loop(pool, requests, options.rate, 5.0)
        pool.wait_idle(time.perf_counter() + 30)
        after, wall = server.cpu(), time.perf_counter() - wall
    finally:
        pool.close()
        server.stop()
        for leftover in (peer_db, Path(f"{peer_db}-journal")):
            leftover.unlink(missing_ok=True)
    ok = sum(1 for o in outcomes if o.status is not None and 200 <= o.status < 300)
    latencies = sorted((o.done - o.due) * 1000 for o in outcomes if o.done)
    return {
        "tree": tree["name"], "case": case, "conn": conn, "access": access, "server": server_name,
        "sent": len(outcomes), "ok": ok,
        "cpu_ms_per_request": round((sum(after) - sum(before)) * 1000 / max(1, len(outcomes)), 3),
        "system_ms_per_request": round((after[1] - before[1]) * 1000 / max(1, len(outcomes)), 3),
        "p50_ms": round(latencies[len(latencies) // 2], 1) if latencies else None, "wall_s": round(wall, 1),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--middleware-costs", type=int, metavar="CALLS", help="in-process: each middleware's cost")
    parser.add_argument("--access-costs", type=int, metavar="CALLS", help="in-process: an access line's cost")
    parser.add_argument("--apply-costs", type=int, metavar="ROWS", help="in-process: status_apply's cost")
    parser.add_argument("--trees", default=str(ROOT), help="checkouts, comma-separated (the first is the baseline)")
    parser.add_argument("--database-urls", default=os.environ.get("DATABASE_URL", ""), help="one per tree")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--cases", default="raw,bare,stack,status,webhook")
    parser.add_argument("--conn", default="keep,close")
    parser.add_argument("--access", default="mask")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warm-up", type=int, default=200)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--profile-dir", default="")
    parser.add_argument("--fast-parser-path", default="", help="a folder holding gunicorn_h1c, for `--access fast`")
    parser.add_argument("--servers", default="gunicorn", help="gunicorn (gunicorn.conf.py), granian, or both")
    parser.add_argument("--granian-path", default="", help="a folder holding granian, for `--servers granian`")
    options = parser.parse_args()
    if options.prepare is not None:
        prepare(options.prepare)
        return
    if options.middleware_costs:
        middleware_costs(options.middleware_costs)
        return
    if options.access_costs:
        access_costs(options.access_costs)
        return
    if options.apply_costs:
        apply_costs(options.apply_costs)
        return
    trees = [
        {"name": Path(root).name, "root": Path(root).resolve(), "database_url": url,
         "python": str(Path(root).resolve() / ".venv/bin/python")}
        for root, url in zip(options.trees.split(","), options.database_urls.split(","), strict=True)
    ]  # fmt: skip
    results = []
    for round_ in range(options.rounds):
        for case in options.cases.split(","):
            for conn in options.conn.split(","):
                for access in options.access.split(","):
                    for server in options.servers.split(","):
                        for tree in trees:
                            result = {"round": round_ + 1, **measure(tree, case, conn, access, server, options)}
                            results.append(result)
                            print(json.dumps(result), flush=True)
    print("\nmedian CPU ms per request (of which system):")
    fields = ("case", "conn", "access", "server", "tree")
    keys = sorted({tuple(r[field] for field in fields) for r in results}, key=str)
    for key in keys:
        chosen = [r for r in results if tuple(r[field] for field in fields) == key]
        values = [r["cpu_ms_per_request"] for r in chosen]
        system = statistics.median(r["system_ms_per_request"] for r in chosen)
        runs = ", ".join(f"{v:.3f}" for v in values)
        print(f"  {' '.join(key):40s} {statistics.median(values):7.3f} ({system:.3f})  ({runs})")


if __name__ == "__main__":
    main()
