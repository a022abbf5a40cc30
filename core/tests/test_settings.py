"""Settings modules read the contract's variable names and their seed aliases (CONTRACT §4.10)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SHOW = "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps(s.DEBUG))"


def local_debug(**env_vars: str) -> bool:
    # Blank counts as unset, and it beats a developer's .env (which never overrides a set variable).
    env = {**os.environ, "DJANGO_DEBUG": "", "APP_DEBUG": "", "LOG_TO_FILES": "false"}
    env.update(env_vars, DJANGO_SETTINGS_MODULE="config.settings.local")
    result = subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("env_vars", "expected"),
    [
        ({}, True),
        ({"DJANGO_DEBUG": "false"}, False),
        ({"APP_DEBUG": "false"}, False),
        ({"DJANGO_DEBUG": "true", "APP_DEBUG": "false"}, True),
    ],
)
def test_local_debug_defaults_on_and_reads_the_seed_alias(env_vars, expected):
    assert local_debug(**env_vars) is expected
