#!/usr/bin/env bash
# Sets up a virtualenv (first run only), installs the locked runtime and development requirements
# (hash-checked), lints, type-checks the services and selectors, runs every test.
# Extra arguments go to pytest. DATABASE_URL / REDIS_URL / CELERY_BROKER_URL switch the backing
# services; without them the suite runs on SQLite with in-process fakes.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --disable-pip-version-check -q --require-hashes -r requirements-pip.txt
.venv/bin/python -m pip install --disable-pip-version-check -q --require-hashes -r requirements.txt -r requirements-dev.txt
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# mypy (settings in pyproject.toml) checks the typed layer; the globs pick up modules added later.
shopt -s nullglob globstar
typed=(*/services.py */services/**/*.py */selectors.py */selectors/**/*.py */tokens.py)
.venv/bin/mypy "${typed[@]}"
# The tests run on the embedded defaults and their own values, never on the developer's .env.
export DJANGO_READ_DOT_ENV_FILE=false
exec .venv/bin/python -m pytest "$@"
