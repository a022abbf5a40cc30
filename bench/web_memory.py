"""Resident memory of the web processes after a mix of requests (issue 29): each tree's
`gunicorn.conf.py` (gthread, `WEB_CONCURRENCY` processes, production settings, PostgreSQL, Redis)
gets `--requests` requests over `--connections` keep-alive connections, in turn a signed Twilio
inbound webhook, `GET /messages?limit=50` and `POST /messages` (bench users with a token each; no
worker runs, so the queued tasks stay in the broker), and then each worker's VmRSS is read from
/proc, with whether numpy is mapped in it. Several `--trees` (checkouts with their own
`--database-urls`) run alternately in each round.

    WEB_CONCURRENCY=2 .venv/bin/python bench/web_memory.py --trees ../base,. \\
        --database-urls postgres://postgres@127.0.0.1:5432/mem_base,postgres://postgres@127.0.0.1:5432/mem \\
        --redis-url redis://127.0.0.1:6402/4 --rounds 3

The databases must exist; the script migrates them and replaces its own bench rows in them."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from ai_throughput import _descendants, free_port
from web_floor import Server, tree_env
from webhook import Request, Traffic

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 16


def prepare(root: str) -> None:
    """In the tree's environment: migrates and makes the bench users; prints [[id, token], ...]."""
    sys.path.insert(0, root)  # the tree's apps before this folder's modules of the same names
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from webhook import prepare_people

    print(json.dumps(prepare_people(PEOPLE, 0)))


def mixed_requests(base_url: str, users: list[list], count: int) -> list[tuple[str, Request]]:
    from demo.twilio_server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

    traffic = Traffic(base_url=base_url, auth_token=DEFAULT_AUTH_TOKEN, account_sid=DEFAULT_ACCOUNT_SID,
                      users=[tuple(user) for user in users])  # fmt: skip
    traffic.serial = int(time.time() * 1000)  # texts distinct across runs
    requests = []
    for index in range(count):
        if index % 3 == 0:
            requests.append(("POST", traffic.webhook(index)))
        elif index % 3 == 1:
            token = users[index % len(users)][1]
            requests.append(("GET", Request("/messages?limit=50", b"", {"Authorization": f"Bearer {token}"})))
        else:
            requests.append(("POST", traffic.message(index)))
    return requests


def send_all(port: int, requests: list[tuple[str, Request]], connections: int) -> dict[int, int]:
    """Closed loop: each connection sends the next request as soon as its last one is answered."""
    pending = iter(requests)
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def connection() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                item = next(pending, None)
            if item is None:
                conn.close()
                return
            method, request = item
            conn.request(method, request.path, body=request.body or None, headers=request.headers)
            response = conn.getresponse()
            response.read()
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1

    threads = [threading.Thread(target=connection) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def worker_memory(master: int) -> list[dict]:
    workers = []
    for pid in _descendants(master):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            maps = Path(f"/proc/{pid}/maps").read_text()
        except OSError:
            continue
        rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        workers.append({"rss_mb": round(rss_kb / 1024, 1), "numpy": "/numpy/" in maps})
    return sorted(workers, key=lambda worker: worker["rss_mb"])


def measure(tree: dict, options: argparse.Namespace) -> dict:
    port = free_port()
    env = tree_env(tree["root"], tree["database_url"], options.redis_url, port)
    prepare_args = [tree["python"], __file__, "--prepare", str(tree["root"])]
    out = subprocess.run(prepare_args, cwd=tree["root"], env=env, capture_output=True, text=True, check=True).stdout
    users = json.loads(out.strip().splitlines()[-1])
    server = Server(tree["root"], tree["python"], env, "config.wsgi:application", "mask", "")
    try:
        statuses = send_all(port, mixed_requests(env["PUBLIC_BASE_URL"], users, options.requests), options.connections)
        time.sleep(1.0)
        workers = worker_memory(server.proc.pid)
    finally:
        server.stop()
    return {"tree": tree["name"], "statuses": statuses, "workers": workers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepare", metavar="ROOT", help=argparse.SUPPRESS)
    parser.add_argument("--trees", default=str(ROOT), help="checkouts, comma-separated")
    parser.add_argument("--database-urls", default=os.environ.get("DATABASE_URL", ""), help="one per tree")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    if options.prepare:
        prepare(options.prepare)
        return
    trees = [
        {"name": Path(root).resolve().name, "root": Path(root).resolve(), "database_url": url,
         "python": str(Path(root).resolve() / ".venv/bin/python")}
        for root, url in zip(options.trees.split(","), options.database_urls.split(","), strict=True)
    ]  # fmt: skip
    results = []
    for _round in range(options.rounds):
        for tree in trees:
            result = measure(tree, options)
            results.append(result)
            print(json.dumps(result), flush=True)
    print("\nmedian RSS per worker, MB (smallest to largest):")
    for tree in trees:
        runs = [[worker["rss_mb"] for worker in r["workers"]] for r in results if r["tree"] == tree["name"]]
        medians = [statistics.median(run[i] for run in runs) for i in range(min(len(run) for run in runs))]
        print(f"  {tree['name']:20s} {' / '.join(f'{m:.1f}' for m in medians)}   (runs: {runs})")


if __name__ == "__main__":
    main()
