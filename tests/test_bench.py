"""The AI throughput benchmark runs end to end (a tiny load, the embedded stack): its numbers are
measured with `bench/ai_throughput.py` by hand (docs/PERFORMANCE.md), never asserted here."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEADLINE_S = 120
# the embedded stack (SQLite, filesystem broker) whatever this test run uses
STACK_VARIABLES = ("DATABASE_URL", "AI_MESSAGE_DATABASE_URL", "REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL")


@pytest.mark.timeout(DEADLINE_S + 10)
def test_the_benchmark_drives_conversations_and_reports_its_measures(tmp_path):
    env = {name: value for name, value in os.environ.items() if name not in STACK_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", DATABASE_URL=f"sqlite:///{tmp_path / 'bench.sqlite3'}")
    result = subprocess.run(
        [sys.executable, "bench/ai_throughput.py", "--conversations", "3", "--messages", "2", "--latency", "0.1",
         "--ai-workers", "1", "--ai-threads", "4", "--web-workers", "1", "--web-threads", "2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=DEADLINE_S,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert (report["prompts"], report["replies"], report["failed"], report["errors"]) == (6, 6, 0, 0)
    assert report["database"] == "sqlite" and report["broker"] == "filesystem"
    assert report["replies_per_s"] > 0
    # every turn waited for the stand-in's latency, so the turn is longer than it
    assert report["turn_p50_ms"] >= 100
    for key in ("overhead_p50_ms", "overhead_p99_ms", "before_llm_p50_ms", "after_llm_p50_ms", "post_p50_ms"):
        assert report[key] >= 0, key
    assert set(report["cpu_ms_per_reply"]) == {"web", "worker_ai", "fake_llm", "load_generator", "whole_machine"}
