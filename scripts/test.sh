#!/usr/bin/env bash
# Sets up a virtualenv (first run only), installs the pinned requirements, lints, runs every test.
# Extra arguments go to pytest. DATABASE_URL / REDIS_URL / CELERY_BROKER_URL switch the backing
# services; without them the suite runs on SQLite with in-process fakes.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --disable-pip-version-check -q -r requirements.txt
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
