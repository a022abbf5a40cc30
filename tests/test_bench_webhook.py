"""The webhook benchmark runs end to end (a tiny load, SQLite): its numbers are measured with
`bench/webhook.py` by hand (docs/PERFORMANCE.md, "Webhook acknowledgement"), never asserted here.

The broker is a redis-server of the test's own: the embedded filesystem broker keeps its queues in
the checkout's `var/` folder, shared with every other worker started from the same tree, which
could take this run's tasks (or hand it theirs)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEADLINE_S = 240
STACK_VARIABLES = ("DATABASE_URL", "AI_MESSAGE_DATABASE_URL", "REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL")
ROLES = {"web", "worker", "worker_ai", "fake_twilio", "fake_llm", "load_generator"}


@pytest.mark.timeout(DEADLINE_S + 10)
def test_the_benchmark_measures_both_endpoints_and_reports_its_measures(tmp_path, redis_server):
    env = {name: value for name, value in os.environ.items() if name not in STACK_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bench.sqlite3'}",
        CELERY_BROKER_URL=redis_server.url(0),
        REDIS_URL=redis_server.url(1),
    )
    # one rate, 10 requests a second for a second; a loose p99 bound: correctness, not speed
    result = subprocess.run(
        [sys.executable, "bench/webhook.py", "--rates", "10", "--duration", "1", "--p99-bound-ms", "5000",
         "--burst-seconds", "1", "--senders", "4", "--people", "4", "--warm-up", "0.5", "--drain-timeout", "60",
         "--web-workers", "1", "--web-threads", "2", "--ai-threads", "2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=DEADLINE_S,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert (report["setup"]["database"], report["setup"]["broker"]) == ("sqlite", "redis")
    for endpoint, status in (("messages", "201"), ("webhook", "200")):
        measured = report[endpoint]
        assert measured["max_rate"] == 10, measured["steps"]
        step = measured["steps"][0]
        assert (step["rate"], step["sent"], step["ok"], step["statuses"]) == (10, 10, 10, {status: 10})
        assert (step["non_2xx"], step["errors"], step["background_left"], step["held"]) == (0, 0, 0, True)
        assert 0 < step["p50_ms"] <= step["p90_ms"] <= step["p99_ms"] <= step["max_ms"]
        assert step["achieved_per_s"] > 0
        assert set(step["cpu_ms_per_request"]) == ROLES | {"redis"}  # and no PostgreSQL: SQLite
        assert measured["at_40pct"]["rate"] == 4 and measured["at_40pct"]["ok"] == 4
        burst = measured["burst"]
        assert burst["senders"] == 4 and burst["sent"] > 0
        assert (burst["ok"], burst["5xx"], burst["errors"]) == (burst["sent"], 0, 0)
    # every signed webhook was accepted, and each got its reply sent to the Twilio stand-in
    replies = report["webhook"]["steps"][0]["replies"]
    assert sum(replies.values()) == 10 and "failed" not in replies, replies
    summary = report["summary"]
    assert (summary["messages_max_rate"], summary["webhook_max_rate"], summary["ratio"]) == (10, 10, 1.0)
    assert summary["rate_at_40pct"] == 4 and summary["webhook_p99_ms_at_40pct"] > 0
    assert summary["burst_5xx"] == {"messages": 0, "webhook": 0}
    assert summary["target_ratio_met"] is False  # 1.0 < 1.5: both stopped at the only rate tried
