"""The Procfile's `release` line, run the way honcho runs it, leaves a deploy whose admin works
with the production settings (WhiteNoise's manifest storage), where `migrate` alone serves a 500.

It runs in a copy of the project: collectstatic writes into the copy's staticfiles/ (STATIC_ROOT is
not read from the environment), never into the working tree."""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.tests.test_settings import COPY_IGNORE
from tests.helpers import json_printed
from tests.test_deploy import PROD, ROOT, SERVICE_VARS, procfile, strong_secret

HOST = "app.example.com"
# One GET of the admin's login page, and of the stylesheet it links, with the test client (no server).
ADMIN_LOGIN = """
import django, json, re
django.setup()
from django.test import Client
client = Client(raise_request_exception=False, HTTP_HOST=%(host)r)
response = client.get("/admin/login/", secure=True)
css = re.findall(r"/static/admin/css/base\\.[0-9a-f]{12}\\.css", response.content.decode(errors="replace"))
print(json.dumps({
    "status": response.status_code,
    "error": str(response.exc_info[1]) if response.exc_info else None,
    "css": css,
    "css_status": client.get(css[0], secure=True).status_code if css else None,
}))
"""


@pytest.fixture
def project(tmp_path) -> Path:
    """The project's code in a fresh folder, as a deploy receives it: no staticfiles/, var/ or .env."""
    root = tmp_path / "app"
    shutil.copytree(ROOT, root, ignore=COPY_IGNORE)
    return root


def deploy_env(tmp_path: Path) -> dict[str, str]:
    # Blank values beat anything a developer's .env would fill in; the broker is never reached
    # (production only refuses a filesystem or in-memory one).
    env = {**os.environ, **dict.fromkeys(SERVICE_VARS, "")}
    env.update(
        DJANGO_SECRET_KEY=strong_secret(),
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_ALLOWED_HOSTS=HOST,
        LOG_TO_FILES="false",
        PYTHONDONTWRITEBYTECODE="1",
        # The Procfile says `python`: this interpreter, with the project's packages.
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    # The release line sets the settings module itself: without it, manage.py's default (local)
    # would apply, and no manifest would be written.
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def admin_login(project: Path, env: dict[str, str]) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", ADMIN_LOGIN % {"host": HOST}], cwd=project, env={**env, "DJANGO_SETTINGS_MODULE": PROD},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return json_printed(result)


@pytest.mark.timeout(180)
def test_the_release_step_makes_the_admin_work_in_production(project, tmp_path):
    env = deploy_env(tmp_path)
    assert "collectstatic" in procfile()["release"]

    # What a deploy that only migrates serves: the admin's templates ask for hashed static names.
    before = admin_login(project, env)
    assert before["status"] == 500
    assert "Missing staticfiles manifest entry" in before["error"]

    # honcho runs the Procfile's own line (through a shell, as Dokku and Heroku do).
    release = subprocess.run(
        [sys.executable, "-m", "honcho", "-f", str(project / "Procfile"), "start", "release"], cwd=project, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert release.returncode == 0, (release.stdout + release.stderr)[-3000:]
    manifest = project / "staticfiles" / "staticfiles.json"
    assert manifest.is_file(), "no manifest: the release step ran no collectstatic with the production settings"
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM django_migrations WHERE app = 'admin'").fetchone()[0] > 0

    after = admin_login(project, env)
    assert after["status"] == 200, after["error"]
    assert after["css"], "no hashed stylesheet on the admin's login page"
    assert after["css_status"] == 200  # WhiteNoise serves it from the collected files
