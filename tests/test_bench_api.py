"""bench/api.py starts each tree's stack from its own Procfile and compares like with like: the
helpers that decide what runs and what is reported (the measurements are taken by hand,
docs/PERFORMANCE.md "REST API serving cost")."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import api  # noqa: E402  bench/ is not a package


def test_the_web_line_of_this_procfile_is_what_the_bench_runs():
    env, words = api.procfile_command(ROOT, "web")
    assert env == {"DJANGO_SETTINGS_MODULE": "config.settings.production"}
    assert words[:3] == ["gunicorn", "-c", "gunicorn.conf.py"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # the port from a config file: a loopback bind is added
        (["gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"],
         ["gunicorn", "-c", "gunicorn.conf.py", "config.wsgi", "--bind", "127.0.0.1:8123"]),
        # an older line with its own bind on every interface: rewritten, not doubled
        (["gunicorn", "config.wsgi", "--bind", "0.0.0.0:$PORT", "--threads", "8"],
         ["gunicorn", "config.wsgi", "--bind", "127.0.0.1:8123", "--threads", "8"]),
    ],
)  # fmt: skip
def test_the_web_process_listens_on_the_loopback_only(line, expected):
    assert api._local_bind(line, 8123) == expected


def test_a_procfile_without_the_role_is_refused(tmp_path):
    (tmp_path / "Procfile").write_text("web: gunicorn config.wsgi\n")
    with pytest.raises(SystemExit):
        api.procfile_command(tmp_path, "worker")


def run(req_s: float, p99: float, cpu: float, errors: int = 0) -> dict:
    return {"req_s": req_s, "p50_ms": p99 / 2, "p99_ms": p99, "max_ms": p99 * 2, "errors": errors,
            "cpu_ms_per_request": cpu}  # fmt: skip


def test_medians_keep_every_error_and_the_worst_request():
    runs = [run(100, 50, 3.0), run(300, 10, 1.0, errors=2), run(200, 30, 2.0)]
    assert api.median_of(runs) == {
        "req_s": 200, "p50_ms": 15, "p99_ms": 30, "max_ms": 100, "cpu_ms_per_request": 2.0, "errors": 2
    }  # fmt: skip


def test_ratios_compare_the_same_endpoint_and_connection_count():
    medians = {
        "baseline GET /x c=16": api.median_of([run(100, 200, 8.0)]),
        "current GET /x c=16": api.median_of([run(400, 50, 2.0)]),
        "current GET /x c=64": api.median_of([run(400, 50, 2.0)]),  # no baseline run: no ratio
    }
    assert api.ratios(medians) == {"GET /x c=16": {"req_s": 4.0, "p99_ms": 0.25, "cpu_ms_per_request": 0.25}}
