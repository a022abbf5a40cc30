"""Celery's own CPU per task (issue 29): what publishing a task to the Redis broker costs the process
that queues it (`apply_async`, as the webhook and `POST /messages` queue theirs), and what a worker
of the Procfile's shape (threads pool, `-l INFO`, the project's Celery settings) spends receiving,
running and acknowledging it, for a task that does nothing. The floor under a task's figures in
docs/PERFORMANCE.md: what a task costs before its body runs.

The tasks are published one at a time at a fixed rate (open loop: the worker waits between them, as
it does in production), to a queue of the bench's own; the worker's CPU (from /proc) over a round,
from the moment it is idle to the moment it is idle again with the queue empty, is divided by the
tasks. Redis's CPU is the whole server's. Run it against a Redis server of its own:

    redis-server --port 6391 --save '' --appendonly no --daemonize yes
    CELERY_BROKER_URL=redis://127.0.0.1:6391/7 .venv/bin/python bench/celery_floor.py --tasks 1500 --rate 100 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ai_throughput import python_loop_s, services_cpu
from celery import shared_task
from web_floor import cpu_seconds

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
QUEUE = "bench_floor"


@shared_task(name="bench.celery_floor.noop", ignore_result=True)
def noop(message_id: int) -> None:
    """The task whose cost is Celery's alone: an id in, nothing done (the project's tasks take ids)."""


def process_cpu(pid: int) -> float:
    """CPU seconds (user and system) of the worker and its threads so far."""
    return sum(cpu_seconds(pid))


def settled(pid: int, timeout: float = 60.0, quiet_s: float = 0.02) -> float:
    """The process's CPU once it used less than `quiet_s` in a second (booted, or done draining)."""
    deadline = time.time() + timeout
    before = process_cpu(pid)
    while time.time() < deadline:
        time.sleep(1.0)
        now = process_cpu(pid)
        if now - before < quiet_s:
            return now
        before = now
    raise SystemExit("the worker did not settle")


def run_round(worker_pid: int, tasks: int, rate: float, redis_client) -> dict:
    worker_before, redis_before = settled(worker_pid), services_cpu()["redis"]
    published_cpu = 0.0
    started = time.perf_counter()
    for index in range(tasks):
        wait = started + index / rate - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        cpu = time.process_time()
        noop.apply_async((index,), queue=QUEUE)
        published_cpu += time.process_time() - cpu
    while redis_client.llen(QUEUE):
        time.sleep(0.2)
    worker_after, redis_after = settled(worker_pid), services_cpu()["redis"]
    return {
        "publish_ms": round(published_cpu * 1000 / tasks, 3),
        "worker_ms": round((worker_after - worker_before) * 1000 / tasks, 3),
        "redis_ms": round((redis_after - redis_before) * 1000 / tasks, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=1500, help="tasks per round")
    parser.add_argument("--rate", type=float, default=100.0, help="tasks published per second")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16, help="worker threads (the Procfile's worker)")
    parser.add_argument("--log-level", default="INFO", help="the worker's (the Procfile's: INFO)")
    options = parser.parse_args()
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://"):
        raise SystemExit("CELERY_BROKER_URL=redis://... (a Redis server of the bench's own)")

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(BENCH), str(ROOT)]))
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    env.update({"DJANGO_DEBUG": "false", "LOG_TO_FILES": "false", "LOG_LEVEL": "WARNING"})
    os.environ.update(env)
    sys.path[:0] = [str(ROOT)]

    import django
    import redis

    django.setup()
    from config.celery import app

    redis_client = redis.Redis.from_url(broker)
    redis_client.delete(QUEUE)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-I", "celery_floor", "-Q", QUEUE,
         "-P", "threads", "-c", str(options.concurrency), "-n", "bench-floor@%h", "-l", options.log_level,
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(2.0)
        noop.apply_async((0,), queue=QUEUE)  # warm-up: the first publish and the first task pay for imports
        rounds = [run_round(worker.pid, options.tasks, options.rate, redis_client) for _ in range(options.rounds)]
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        app.close()
    report = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    print(json.dumps({"rounds": rounds, "median": report, "tasks": options.tasks, "rate": options.rate,
                      "concurrency": options.concurrency, "log_level": options.log_level,
                      "python_loop_10m_s": python_loop_s()}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
