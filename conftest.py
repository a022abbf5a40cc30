"""Project-wide fixtures: API clients, users, tokens."""

import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.login_guard import fallback_counts, registration_fallback_counts
from accounts.tests.factories import UserFactory
from core.cache import outage
from tests.helpers import client_for

# The processes tests start (another settings module too) never read the developer's .env either;
# the test settings themselves never do (config/env.py).
os.environ["DJANGO_READ_DOT_ENV_FILE"] = "false"


@pytest.fixture(autouse=True)
def _clean_cache():
    # Also what a process remembers of a cache outage (core.cache) and its fallback counts.
    outage.reset()
    fallback_counts.clear()
    registration_fallback_counts.clear()
    cache.clear()
    yield
    outage.reset()
    fallback_counts.clear()
    registration_fallback_counts.clear()
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True)


@pytest.fixture
def agent(db):
    """Staff without superuser: the staff panel and the messaging routes, no configuration."""
    return UserFactory(is_staff=True, username="agent")


@pytest.fixture
def auth_client(user) -> APIClient:
    return client_for(user)


@pytest.fixture
def other_client(other_user) -> APIClient:
    return client_for(other_user)


@pytest.fixture
def admin_client_api(superuser) -> APIClient:
    return client_for(superuser)


def _service_missing(reason: str) -> None:
    # In CI the servers are always there: a missing one is a failure, never a silent skip.
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _require_services(request):
    if request.node.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.skip("needs PostgreSQL: runs in the DATABASE_URL=postgres://… pass")
    if request.node.get_closest_marker("redis"):
        url = os.environ.get("REDIS_URL")
        if not url:
            pytest.skip("needs Redis: runs in the REDIS_URL=redis://… pass")
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        except redis.RedisError:
            _service_missing(f"Redis at {url} is not reachable")


# --- AI: the loopback LLM stand-in (orchestrator) ---------------------------------------------


@pytest.fixture(autouse=True)
def _no_real_llm(request):
    """A developer's LITELLM_*/OPENAI_API_KEY must never send a test to a real LLM: tests run
    unconfigured unless they ask for `fake_llm`."""
    from django.conf import settings as django_settings

    if django_settings.LITELLM_BASEURL or django_settings.LITELLM_API_KEY:
        overrides = request.getfixturevalue("settings")
        overrides.LITELLM_BASEURL = ""
        overrides.LITELLM_API_KEY = ""


@pytest.fixture(scope="session")
def fake_llm_server():
    from tests.fakes.llm_server import FakeLLMServer

    server = FakeLLMServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake_llm(fake_llm_server, settings):
    """The scripted OpenAI-compatible server, with the project pointed at it; empty script per test."""
    fake_llm_server.reset()
    settings.LITELLM_BASEURL = fake_llm_server.url
    settings.LITELLM_API_KEY = "sk-fake-llm-placeholder"
    settings.LITELLM_MODEL = "gpt-3.5-turbo-1106"
    settings.AI_LLM_RETRY_BACKOFF_S = 0
    yield fake_llm_server
    fake_llm_server.reset()


@pytest.fixture
def queued_turns(monkeypatch):
    """The AI turns queued (message id, countdown) instead of run at once, as a broker holds them
    for their countdown; `run_next()` / `run_all()` run them in order as a worker would."""
    from types import SimpleNamespace

    from messaging.bot import bot_responder
    from orchestrator.tasks import process_ai_message

    queue: list[tuple[int, float | None]] = []

    def apply_async(args, countdown=None, **options):
        queue.append((args[0], countdown))

    recorder = SimpleNamespace(
        name=process_ai_message.name, apply_async=apply_async, delay=lambda *args: apply_async(args)
    )
    monkeypatch.setattr(bot_responder(), "turn_task", recorder)

    def run_next() -> int:
        message_id, _ = queue.pop(0)
        process_ai_message.delay(message_id)
        return message_id

    def run_all() -> None:
        while queue:
            run_next()

    return SimpleNamespace(queue=queue, run_next=run_next, run_all=run_all)
