"""The insights benchmark runs end to end on a small SQLite database: its numbers are measured
with `bench/insights.py` by hand (docs/PERFORMANCE.md), never asserted here."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STACK_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL")


@pytest.mark.timeout(180)
def test_the_benchmark_fills_the_database_and_times_the_insights(tmp_path):
    env = {name: value for name, value in os.environ.items() if name not in STACK_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", DJANGO_READ_DOT_ENV_FILE="false")
    database = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "bench/insights.py", "--database-url", database, "--messages", "800",
         "--conversations", "20", "--days", "10", "--range-days", "5", "--repeat", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=170,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert (report["database"], report["messages"], report["range_days"]) == ("sqlite", 800, 5)
    # Four channels over the five days of the range (the data runs up to now, so today is one).
    assert report["timings"]["all"]["rows"] == 4 * 5
    assert report["timings"]["sms"]["rows"] == 5
    assert report["timings"]["all"]["whole"]["median_ms"] > 0
