"""Production settings serving only `web_floor_app.floor` (bench/web_floor.py); BENCH_MIDDLEWARE=none
drops the middleware stack."""

import os

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "web_floor_app"
if os.environ.get("BENCH_MIDDLEWARE") == "none":
    MIDDLEWARE: list[str] = []
