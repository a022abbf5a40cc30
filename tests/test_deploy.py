"""Production run mode: Procfile, Dockerfile, docker-compose.yml, .env.example and the production
settings (CONTRACT §9.1). No Docker engine is needed: the files are parsed."""

import ast
import json
import os
import re
import runpy
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from core.management.commands.devserver import build_processes
from tests.helpers import json_printed

ROOT = Path(__file__).resolve().parent.parent
PROD = "config.settings.production"
PROCESS_TYPES = ["release", "web", "worker", "worker_ai", "beat"]
APP_SERVICES = ["migrate", "web", "worker", "worker_ai", "beat"]
COMPOSE_FOR = {"release": "migrate", "web": "web", "worker": "worker", "worker_ai": "worker_ai", "beat": "beat"}
AI_SYNC_TIMEOUT_DEFAULT_S = 60

# CONTRACT §4.10 "[NEW] Django project" table, its seed aliases, and §9.1's extra switches.
# fmt: off
CONTRACT_VARS = [
    "DJANGO_SECRET_KEY", "DJANGO_DEBUG", "APP_DEBUG", "DJANGO_ALLOWED_HOSTS", "AI_MESSAGE_HOST", "AI_MESSAGE_PORT",
    "APP_HOST", "APP_PORT", "AI_MESSAGE_SSL", "AI_MESSAGE_SSL_CERT", "AI_MESSAGE_SSL_KEY", "DATABASE_URL",
    "AI_MESSAGE_DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "REDIS_URL",
    "CELERY_TASK_ALWAYS_EAGER", "JWT_SIGNING_KEY", "JWT_ACCESS_MINUTES", "JWT_REFRESH_DAYS",
    "CORS_ALLOWED_ORIGINS", "APP_API_KEY", "APP_ENV", "LOGS_FOLDER", "AI_MESSAGE_LOGS_FOLDER", "LOG_TO_FILES",
    "LITELLM_BASEURL", "LITELLM_API_KEY", "LITELLM_MODEL", "CHAT_HISTORY_MAX", "AI_BOT_USER_ID",
    "AI_BOT_DISPLAY_NAME", "AI_LLM_TIMEOUT_S", "AI_SYNC_TIMEOUT_S", "AI_AGENT_STICKY_MINUTES",
    "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_DEFAULT_FROM", "TWILIO_PHONE_NUMBER",
    "TWILIO_MESSAGING_SERVICE_SID", "TWILIO_REPLY_VIA_MESSAGING_SERVICE", "TWILIO_VALIDATE_SIGNATURE",
    "PUBLIC_BASE_URL", "TWILIO_API_BASE_URL", "WHATSAPP_FALLBACK_CONTENT_SID", "TWILIO_KNOWN_USER_AI",
    "TWILIO_SYNC_MIN_INTERVAL_S", "CHAT_MODE", "OPENAI_API_KEY", "OPENAI_MODEL", "OPENAI_TEMPERATURE",
    "AI_TARGET_NUMBER", "AI_SYSTEM_PROMPT", "AI_ENABLED", "DJANGO_SECURE_SSL_REDIRECT", "DJANGO_SECURE_COOKIES",
    "TRUSTED_PROXY_COUNT", "CACHE_URL", "LOG_LEVEL",
]
# fmt: on
ENV_READERS = {"str_alias", "bool_alias", "int_alias", "first_set", "getenv"}
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


# --- Procfile -------------------------------------------------------------------------------


def procfile() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


def procfile_command(process_type: str) -> list[str]:
    """The command without its settings-module prefix."""
    argv = shlex.split(procfile()[process_type])
    assert argv[0] == f"DJANGO_SETTINGS_MODULE={PROD}", process_type
    return argv[1:]


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_procfile_has_the_process_types():
    assert list(procfile()) == PROCESS_TYPES


def test_procfile_commands():
    # One shell runs both steps, so the settings module set in front reaches collectstatic too.
    shell, flag, script = procfile_command("release")
    assert [shell, flag] == ["sh", "-c"]
    assert [shlex.split(step) for step in script.split("&&")] == [
        ["python", "manage.py", "migrate", "--noinput"],
        ["python", "manage.py", "collectstatic", "--noinput"],
    ]
    assert procfile_command("web") == ["gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"]
    worker = procfile_command("worker")
    assert worker[:4] == ["celery", "-A", "config", "worker"]
    assert option(worker, "-Q") == "default,sends"
    assert option(worker, "-P") == "threads"  # sends wait on the provider: many in flight
    assert int(option(worker, "-c")) >= 16
    worker_ai = procfile_command("worker_ai")
    assert worker_ai[:4] == ["celery", "-A", "config", "worker"]
    assert option(worker_ai, "-Q") == "ai"
    assert option(worker_ai, "-P") == "threads"
    assert int(option(worker_ai, "-c")) >= 16
    assert procfile_command("beat")[:4] == ["celery", "-A", "config", "beat"]


def test_devserver_runs_the_same_queues_and_pools_as_the_procfile():
    dev = build_processes(web=False)
    for name in ("worker", "worker_ai"):
        celery_args = procfile_command(name)
        assert option(dev[name], "-Q") == option(celery_args, "-Q")
        assert option(dev[name], "-n") == option(celery_args, "-n")
    for name in ("worker", "worker_ai"):
        assert option(dev[name], "-P") == option(procfile_command(name), "-P")
        assert option(dev[name], "-c") == option(procfile_command(name), "-c")


# --- docker-compose.yml ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_services(compose):
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", *APP_SERVICES}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    for backing in ("postgres", "redis"):
        assert services[backing]["healthcheck"]["test"]


def test_compose_app_services_share_one_image_built_once(compose):
    services = compose["services"]
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    assert [name for name in APP_SERVICES if "build" in services[name]] == ["migrate"]


def test_compose_runs_two_default_workers(compose):
    services = compose["services"]
    default_workers = [
        service
        for service in services.values()
        if "worker" in str(service.get("command", "")) and "default,sends" in str(service.get("command", ""))
    ]
    replicas = sum(service.get("deploy", {}).get("replicas", 1) for service in default_workers)
    assert replicas >= 2


def test_compose_commands_match_the_procfile(compose):
    services = compose["services"]
    for process_type, service in COMPOSE_FOR.items():
        expected = [arg.replace("$PORT", "8000") for arg in procfile_command(process_type)]
        command = services[service]["command"]
        assert (shlex.split(command) if isinstance(command, str) else command) == expected, service


def test_compose_environment_points_at_the_compose_services(compose):
    services = compose["services"]
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == PROD
        assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?"), "the secret must be required"
        assert re.match(r"^postgres(ql)?://[^@]+@postgres:5432/\w+$", env["DATABASE_URL"])
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
        assert str(env["LOG_TO_FILES"]).lower() == "false"


def test_compose_migrates_before_the_app_starts(compose):
    services = compose["services"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "worker_ai", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
    assert services["web"]["ports"]


def web_healthcheck_code(compose) -> str:
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], "the image is python-slim: no curl"
    return test[3]


def test_compose_web_healthcheck_asks_readiness(compose):
    code = web_healthcheck_code(compose)
    assert "http://127.0.0.1:8000/ready" in code
    assert "timeout=" in code


@pytest.mark.parametrize("status", [200, 503])
def test_compose_web_healthcheck_fails_when_not_ready(compose, status):
    """The healthcheck's own code, run against a stand-in for the web process."""
    import http.server
    import threading

    class Ready(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status if self.path == "/ready" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Ready)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        code = web_healthcheck_code(compose).replace("127.0.0.1:8000", f"127.0.0.1:{server.server_port}")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30, check=False)
    finally:
        server.shutdown()
        server.server_close()
    assert (result.returncode == 0) is (status == 200)


def test_compose_workers_healthcheck_pings_their_own_node(compose):
    services = compose["services"]
    for name in ("worker", "worker_ai"):
        command = shlex.split(services[name]["command"])
        node = option(command, "-n").replace("%h", "$$HOSTNAME")  # compose writes $ as $$
        test = services[name]["healthcheck"]["test"]
        assert test[0] == "CMD-SHELL"
        assert shlex.split(test[1])[:6] == ["celery", "-A", "config", "inspect", "ping", "-d"]
        assert shlex.split(test[1])[6] == node


# --- Dockerfile -----------------------------------------------------------------------------


def test_dockerfile():
    text = (ROOT / "Dockerfile").read_text()
    instructions = [line.split(None, 1) for line in text.splitlines() if line.strip() and not line.startswith("#")]
    keywords = [parts[0] for parts in instructions if parts[0].isupper()]
    assert instructions[0] == ["FROM", "python:3.11-slim"]
    assert f"DJANGO_SETTINGS_MODULE={PROD}" in text
    assert "pip install --require-hashes -r requirements.txt" in text
    assert re.search(r"DJANGO_SECRET_KEY=\S+ .*\n?.*manage\.py collectstatic --noinput", text)
    users = [parts[1].strip() for parts in instructions if parts[0] == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert keywords.index("USER") > keywords.index("RUN")  # installs as root, runs as the app user
    cmd = json.loads(next(parts[1] for parts in instructions if parts[0] == "CMD"))
    assert cmd == procfile_command("web")  # the port comes from PORT through gunicorn.conf.py


def test_the_image_user_owns_the_static_files():
    # The release step (compose's `migrate`, Dokku's release container) runs collectstatic again as
    # the image's user: it replaces the manifest and the hashed CSS, so it must own staticfiles/.
    text = (ROOT / "Dockerfile").read_text()
    user = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")][-1]
    assert re.search(rf"chown -R {user}:{user} [^\n]*\bstaticfiles\b", text)


def test_dockerignore_keeps_local_state_and_secrets_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", "var", "logs", ".git"} <= ignored


# --- .env.example ---------------------------------------------------------------------------


def env_names_read_by_settings() -> set[str]:
    names: set[str] = set()
    sources = [*sorted((ROOT / "config" / "settings").rglob("*.py")), ROOT / "config" / "env.py"]
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            is_reader = (
                (isinstance(func, ast.Name) and func.id in ENV_READERS | {"env"})
                or (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env")
                or (
                    isinstance(func, ast.Attribute)
                    and func.attr in {"get", "getenv"}
                    and "environ" in ast.unparse(func)
                )
            )
            if is_reader:
                names |= {
                    arg.value
                    for arg in node.args
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and ENV_NAME.match(arg.value)
                }
    return names


def env_example() -> dict[str, str]:
    entries = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            entries[match[1]] = match[2]
    return entries


def test_the_settings_read_names_the_scan_can_see():
    # Guards the scan itself: these are read in the settings modules through each helper kind.
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "AI_MESSAGE_DATABASE_URL", "LOG_TO_FILES", "TRUSTED_PROXY_COUNT"} <= (
        env_names_read_by_settings()
    )


def test_env_example_lists_every_variable_the_settings_read():
    missing = env_names_read_by_settings() - set(env_example())
    assert not missing, f"add these to .env.example: {sorted(missing)}"


def test_env_example_lists_the_contract_variables():
    missing = set(CONTRACT_VARS) - set(env_example())
    assert not missing, sorted(missing)


def test_env_example_sets_nothing_and_explains_everything():
    lines = (ROOT / ".env.example").read_text().splitlines()
    assert not [line for line in lines if re.match(r"^[A-Z][A-Z0-9_]*=", line)], "keep every variable commented out"
    for index, line in enumerate(lines):
        if re.match(r"^# [A-Z][A-Z0-9_]*=", line):
            # Each block of variables follows a line of explanation.
            above = next(lines[i] for i in range(index - 1, -1, -1) if not re.match(r"^# [A-Z][A-Z0-9_]*=", lines[i]))
            assert above.startswith("# ") and len(above) > 10, line
    assert not env_example()["DJANGO_SECRET_KEY"]


# --- production settings (each in a fresh interpreter) --------------------------------------

SERVICE_VARS = [
    "DATABASE_URL", "AI_MESSAGE_DATABASE_URL", "REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND",
    "DJANGO_SECRET_KEY", "TRUSTED_PROXY_COUNT", "DJANGO_SECURE_SSL_REDIRECT", "DJANGO_SECURE_COOKIES",
    "DJANGO_SECURE_HSTS_SECONDS", "DJANGO_DEBUG", "APP_DEBUG", "JWT_SIGNING_KEY",
]  # fmt: skip
SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in [
    "DEBUG", "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS", "CELERY_BROKER_URL",
]}))
"""


def strong_secret() -> str:
    return secrets.token_urlsafe(64)


def run_production(args: list[str], **env_vars: str) -> subprocess.CompletedProcess:
    # Blank values beat anything a developer's .env would fill in (it never overrides a set variable).
    env = {**os.environ, **dict.fromkeys(SERVICE_VARS, ""), "DJANGO_SETTINGS_MODULE": PROD, "LOG_TO_FILES": "false"}
    env.pop("DJANGO_ALLOWED_HOSTS", None)  # blank would mean "no host at all"
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def production_settings(**env_vars: str) -> dict:
    result = run_production(["-c", SHOW_SETTINGS], **env_vars)
    return json_printed(result)


def test_production_refuses_to_start_without_a_secret_key():
    result = run_production(["-c", "import django; django.setup()"], REDIS_URL="redis://127.0.0.1:6379/2")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("broker", [{}, {"CELERY_BROKER_URL": "filesystem://"}, {"CELERY_BROKER_URL": "memory://"}])
def test_production_refuses_an_in_process_broker(broker):
    result = run_production(["-c", "import django; django.setup()"], DJANGO_SECRET_KEY=strong_secret(), **broker)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "broker" in result.stderr


def test_production_is_secure_by_default():
    values = production_settings(
        DJANGO_SECRET_KEY=strong_secret(), REDIS_URL="redis://127.0.0.1:6379/2", DJANGO_DEBUG="true"
    )
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # no proxy trusted: X-Forwarded-Proto is ignored
    assert values["CELERY_BROKER_URL"].startswith("redis://")


def test_production_switches_come_from_the_environment():
    values = production_settings(
        DJANGO_SECRET_KEY=strong_secret(),
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        TRUSTED_PROXY_COUNT="1",
    )
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


PROBE_REDIRECTS = """
import django, json
django.setup()
from django.test import Client
client = Client(HTTP_HOST="localhost")
print(json.dumps({path: client.get(path).status_code for path in ["/health", "/ready", "/auth/users/me"]}))
"""


def test_probes_are_exempt_from_the_https_redirect(tmp_path):
    # Compose and platform probes speak plain HTTP inside the network. Unreachable cache and broker:
    # /ready answers 503 (not ready), but it answers instead of redirecting.
    from tests.processes import free_port

    result = run_production(
        ["-c", PROBE_REDIRECTS],
        DJANGO_SECRET_KEY=strong_secret(),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CACHE_URL=f"redis://127.0.0.1:{free_port()}/2",
        CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0",
    )
    statuses = json_printed(result)
    assert statuses == {"/health": 200, "/ready": 503, "/auth/users/me": 301}


def test_check_deploy_passes_without_warnings():
    result = run_production(
        ["manage.py", "check", "--deploy"],
        DJANGO_SECRET_KEY=strong_secret(),
        REDIS_URL="redis://127.0.0.1:6379/2",
        DATABASE_URL="postgres://app:app@127.0.0.1:5432/app",  # `check` does not connect
    )
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    # Any warning fails this, the schema generator's included (CONTRACT §8.7).
    assert "System check identified no issues" in output, output[-6000:]


# --- gunicorn.conf.py -----------------------------------------------------------------------


def gunicorn_settings(monkeypatch, **env) -> dict:
    for name in ("WEB_CONCURRENCY", "WEB_THREADS", "WEB_KEEPALIVE_S", "PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_uses_every_usable_core_by_default(monkeypatch):
    settings = gunicorn_settings(monkeypatch)
    assert settings["workers"] == len(os.sched_getaffinity(0))
    assert (settings["worker_class"], settings["threads"], settings["bind"]) == ("gthread", 8, "0.0.0.0:8000")
    assert settings["timeout"] > AI_SYNC_TIMEOUT_DEFAULT_S


def test_gunicorn_process_and_thread_counts_come_from_the_environment(monkeypatch):
    settings = gunicorn_settings(monkeypatch, WEB_CONCURRENCY="3", WEB_THREADS="4", PORT="5005")
    assert (settings["workers"], settings["threads"], settings["bind"]) == (3, 4, "0.0.0.0:5005")


def test_gunicorn_reads_the_config_file_as_the_procfile_passes_it(monkeypatch):
    from gunicorn.app.wsgiapp import WSGIApplication

    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    monkeypatch.setattr(sys, "argv", procfile_command("web"))
    app = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]")  # parses argv and loads -c
    assert (app.cfg.workers, app.cfg.threads, app.cfg.worker_class_str) == (2, 8, "gthread")
    assert app.cfg.timeout == 90 and app.app_uri == "config.wsgi"
