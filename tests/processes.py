"""Real server processes that fault tests start, stop and start again: small helper classes, one per
kind of process (fixtures live in the conftest files). Every wait has a timeout."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.db import connection


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A `redis-server` of the test's own on a free loopback port (never a shared one such as 6379),
    without persistence. `stop()` then `start()` brings it back on the same port, empty."""

    def __init__(self, *, port: int | None = None, binary: str | None = None) -> None:
        self.binary = binary or shutil.which("redis-server")
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self._dir: Path | None = None

    @classmethod
    def available(cls) -> bool:
        return shutil.which("redis-server") is not None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    @property
    def log(self) -> str:
        path = self._dir and self._dir / "redis.log"
        return path.read_text(errors="replace") if path and path.exists() else ""

    def start(self, *, timeout: float = 10.0) -> RedisServer:
        if self.binary is None:
            raise RuntimeError("redis-server is not installed")
        if self.process is not None:
            raise RuntimeError("already running")
        self._dir = self._dir or Path(tempfile.mkdtemp(prefix="redis-server-"))
        argv = [
            self.binary,
            *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self._dir)),
            *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            *("--logfile", str(self._dir / "redis.log")),
        ]
        self.process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while not self.ping():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server on port {self.port} did not start:\n{self.log[-2000:]}")
            time.sleep(0.05)
        return self

    def ping(self) -> bool:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def stop(self, *, timeout: float = 10.0) -> None:
        """Terminate the server and wait until it has exited (killed if it takes longer than `timeout`)."""
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)

    def close(self) -> None:
        """Stop and remove its folder."""
        self.stop()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


ROOT = Path(__file__).resolve().parent.parent


def shared_database_url() -> str:
    """The URL of the database this test session runs on (pytest-django's test database), for a
    subprocess to share it. Only a server database can be shared: SQLite's is in memory."""
    conf = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("a subprocess can share only a PostgreSQL test database")
    user = quote(conf.get("USER") or "")
    password = f":{quote(conf['PASSWORD'])}" if conf.get("PASSWORD") else ""
    host, port = conf.get("HOST") or "127.0.0.1", conf.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{conf['NAME']}"


class CeleryProcess:
    """`celery -A config <args>` with the project's local settings and `env` on top; its output goes
    to `log_path`, which `wait_for` reads."""

    def __init__(self, args: list[str], *, env: dict[str, str], log_path: Path) -> None:
        self.args = args
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @classmethod
    def worker(cls, name: str, *, env: dict[str, str], log_dir: Path, queues: str = "ai,default") -> CeleryProcess:
        args = ["worker", "-Q", queues, "-P", "threads", "-c", "4", "-n", f"{name}@%h", "-l", "INFO"]
        args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        return cls(args, env=env, log_path=log_dir / f"{name}.log")

    @classmethod
    def beat(cls, *, env: dict[str, str], log_dir: Path) -> CeleryProcess:
        args = ["beat", "-s", str(log_dir / "beat-schedule"), "-l", "INFO"]
        return cls(args, env=env, log_path=log_dir / "beat.log")

    def start(self, *, ready: str | None = None, timeout: float = 30) -> CeleryProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_DEBUG": "false",
            "LOG_TO_FILES": "false",
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", *self.args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if ready:
            self.wait_for(ready, timeout=timeout)
        return self

    def wait_for(self, text: str, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"celery {self.args[0]} exited:\n{self.output()[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"no {text!r} from celery {self.args[0]} within {timeout}s:\n{self.output()[-3000:]}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a lost machine would: no shutdown at all."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


class ProjectCeleryApp:
    """The test process's own Celery app sending to `broker_url` (not eager) inside the block, with
    `conf` on top; everything is restored afterwards."""

    def __init__(self, broker_url: str, *, transport_options: dict | None = None, **conf) -> None:
        self.changes = {
            "broker_url": broker_url,
            "task_always_eager": False,
            "broker_transport_options": transport_options or {},
            **conf,
        }

    def __enter__(self):
        from config.celery import app

        self.app = app
        self.saved = {key: app.conf[key] for key in self.changes}
        # Celery reads the CELERY_BROKER_URL variable before its own setting (the CI pass sets it).
        self.saved_env = os.environ.pop("CELERY_BROKER_URL", None)
        app.conf.update(self.changes)
        drop_connection_pools(app)
        return app

    def __exit__(self, *exc_info) -> None:
        if self.saved_env is not None:
            os.environ["CELERY_BROKER_URL"] = self.saved_env
        self.app.conf.update(self.saved)
        drop_connection_pools(self.app)


def drop_connection_pools(app) -> None:
    """Forget pooled broker connections and producers (kombu keeps a process-wide registry), so the
    next send uses the broker configured now and never a pool closed by a stopped worker."""
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


@contextmanager
def in_process_worker(queues: list[str]):
    """The project's Celery app (not eager) consumed by a worker thread in this process: the memory
    broker, or the CI Redis when CELERY_BROKER_URL points at one, with the project's options."""
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    broker = os.environ.get("CELERY_BROKER_URL", "")
    url = broker if broker.startswith(("redis://", "rediss://")) else "memory://"
    options = {"polling_interval": 0.05} if url == "memory://" else settings.CELERY_BROKER_TRANSPORT_OPTIONS
    with (
        ProjectCeleryApp(url, transport_options=options) as app,
        start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, queues=queues, loglevel="WARNING"),
    ):
        yield app
