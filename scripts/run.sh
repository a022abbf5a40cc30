#!/usr/bin/env bash
# Sets up a virtualenv (first run only), installs the pinned requirements, migrates the database,
# then starts the web server, the Celery workers and beat together (python manage.py devserver).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --disable-pip-version-check -q --require-hashes -r requirements-pip.txt
.venv/bin/python -m pip install --disable-pip-version-check -q --require-hashes -r requirements.txt
.venv/bin/python manage.py migrate --noinput
exec .venv/bin/python manage.py devserver "$@"
