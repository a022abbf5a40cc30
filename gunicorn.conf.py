"""gunicorn's settings for the web process, however it is started (Procfile, Dockerfile, compose):
`gunicorn -c gunicorn.conf.py config.wsgi`.

One process per CPU this process may use by default, so no core sits idle (gunicorn's own default
is a single process): `WEB_CONCURRENCY` overrides it. Each process serves `WEB_THREADS` requests at
once (gthread). `PORT` is the port to listen on (default 8000). `WEB_KEEPALIVE_S` (75) is how long an
idle keep-alive connection stays open.
"""

import os


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # honours taskset and container CPU sets
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _positive_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return max(1, int(value)) if value else default


bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = _positive_int("WEB_CONCURRENCY", _usable_cpus())
worker_class = "gthread"
threads = _positive_int("WEB_THREADS", 8)
# Above AI_SYNC_TIMEOUT_S (60 s): the blocking AI chat must finish before gunicorn gives up on it.
timeout = 90
# Longer than the idle timeout of the load balancers in front (60 s is common; gunicorn's default is
# 2 s): a proxy that reuses a connection gunicorn has just closed gets a reset and answers 502, and
# proxies do not retry a POST, so a Twilio webhook would be lost. gthread parks idle connections in
# its poller, so they hold no thread.
keepalive = _positive_int("WEB_KEEPALIVE_S", 75)
accesslog = "-"
# The access log with phone numbers in paths masked (`/chat/+48*****789`), like every other log line.
logger_class = "core.access_log.PhoneMaskingLogger"
