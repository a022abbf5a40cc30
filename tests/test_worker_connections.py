"""A Celery worker keeps its PostgreSQL connections across tasks (issue 29): N tasks run on at most
one backend per worker process or thread, not one each; a backend the server ends is replaced, and
a transaction a task leaves open does not reach the next task (config/celery_fixup.py)."""

from __future__ import annotations

import re
import time

import pytest
from django.db import connection

from tests.processes import CeleryProcess, ProjectCeleryApp, shared_database_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

TASKS = 50
PROBE = re.compile(r"probe (\d+) backend=(\d+) started=(\S+) open_xact=(\S+)")


@pytest.fixture(scope="module")
def redis_server(module_redis_server):
    return module_redis_server


@pytest.fixture
def worker_env(redis_server) -> dict[str, str]:
    return {
        "DATABASE_URL": shared_database_url(),
        "CELERY_BROKER_URL": redis_server.url(0),
        "REDIS_URL": redis_server.url(1),
        "DJANGO_SECRET_KEY": "worker-connections-secret-key-0123456789abcdef01234567",
        "JWT_SIGNING_KEY": "",
    }


@pytest.fixture
def sends_to(redis_server, settings):
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS if settings.CELERY_BROKER_URL.startswith("redis") else {}
    with ProjectCeleryApp(redis_server.url(0), transport_options=options) as app:
        yield app


@pytest.fixture
def worker(worker_env, tmp_path):
    started: list[CeleryProcess] = []

    def start(pool: str, concurrency: int) -> CeleryProcess:
        args = ["worker", "-Q", "probe", "-P", pool, "-c", str(concurrency), "-n", f"probe-{pool}@%h", "-l", "INFO"]
        args += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--include", "tests.celery_probe"]
        process = CeleryProcess(args, env=worker_env, log_path=tmp_path / f"{pool}.log").start(ready="ready.")
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def _run(app, worker: CeleryProcess, numbers: range, **kwargs) -> dict[int, tuple[int, str, str]]:
    """Send one probe per number, one after the other's answer is logged; {n: (pid, start, open_xact)}."""
    for n in numbers:
        app.send_task("tests.probe_backend", args=[n], kwargs=kwargs, queue="probe")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        seen = {int(n): (int(pid), start, xact) for n, pid, start, xact in PROBE.findall(worker.output())}
        if all(n in seen for n in numbers):
            return {n: seen[n] for n in numbers}
        time.sleep(0.2)
    raise AssertionError(f"not every probe ran:\n{worker.output()[-3000:]}")


# A prefork child's pool opens its first connection in the background and, when the first task asks
# before that one is ready, one more: at most two per process, whatever the number of tasks. The
# threads share one pool, which grows to the threads that run at once.
@pytest.mark.parametrize(("pool", "concurrency", "most"), [("prefork", 2, 4), ("threads", 4, 4)])
def test_tasks_reuse_the_worker_s_backends(worker, sends_to, pool, concurrency, most):
    process = worker(pool, concurrency)

    seen = _run(sends_to, process, range(TASKS))

    backends = {(pid, start) for pid, start, _ in seen.values()}
    assert len(backends) <= most, f"{len(backends)} backends for {TASKS} tasks"


def test_a_backend_the_server_ended_is_replaced_and_no_transaction_leaks_into_the_next_task(worker, sends_to):
    process = worker("prefork", 1)
    first = _run(sends_to, process, range(5))
    pids = {pid for pid, _, _ in first.values()}
    with connection.cursor() as cursor:  # what a database restart does to the worker's connection
        # With a timeout, PostgreSQL (14+) waits until each backend has exited before it answers.
        cursor.execute("SELECT pg_terminate_backend(pid, 10000) FROM unnest(%s::int[]) AS pid", [list(pids)])

    after = _run(sends_to, process, range(5, 10))

    assert {pid for pid, _, _ in after.values()}.isdisjoint(pids)  # each ran, on a new backend
    assert "Traceback" not in process.output()

    _run(sends_to, process, range(10, 11), leave_transaction_open=True)
    following = _run(sends_to, process, range(11, 14))  # the pool's two connections: one is the same
    assert [xact for _, _, xact in following.values()] == ["None", "None", "None"]
