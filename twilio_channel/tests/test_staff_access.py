"""Every staff route under `/api/` (CONTRACT §3.0), found from the URL configuration so a new one
cannot be left open: anonymous callers get 401, other users 403, and staff get in by session,
superuser token or API key. Agents (staff, not superuser) get in by session or token to the
messaging routes only; every other staff route, a new one included, answers them 403."""

import json
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.helpers import client_for

pytestmark = pytest.mark.django_db

API_KEY = "staff-api-key-for-tests-0123456789"
PUBLIC = {"/api/health", "/api/schema/", "/api/docs/"}
SAMPLES = {
    "message_id": "1",
    "participant": "%2B48123456789",
    "sid": "SM" + "0" * 32,
    "document_id": "1",
    "gap_id": "1",
}


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def _sample_path(route: str) -> str:
    path = route.lstrip("^").rstrip("$").replace("/?", "")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLES[m.group(1)], path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLES[m.group(1)], path)
    return "/" + path.replace("^", "")


def staff_routes() -> list[tuple[str, str]]:
    found = set()
    for route, callback in _walk(get_resolver().url_patterns):
        if not route.startswith("api/") or route.startswith("api/v1"):
            continue
        path = _sample_path(route)
        if path.rstrip("/") in {public.rstrip("/") for public in PUBLIC}:
            continue
        view = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        for method in ("get", "post", "put", "delete"):
            if view is not None and hasattr(view, method):
                found.add((method, path.rstrip("/")))
    return sorted(found)


ROUTES = staff_routes()
# What an agent may call: sending, the log and its stats, retrying, the phone threads and their mode.
AGENT_ROUTES = {
    ("post", "/api/send-message"),
    ("get", "/api/messages"),
    ("get", "/api/messages/stats"),
    ("post", "/api/messages/1/retry"),
    ("get", "/api/conversations"),
    ("get", "/api/conversations/%2B48123456789"),
    ("post", "/api/conversations/%2B48123456789/mode"),
    ("get", "/api/insights"),  # how the assistant is doing: the agents' work too
}
SUPERUSER_ROUTES = [route for route in ROUTES if route not in AGENT_ROUTES]


def call(client, method: str, path: str, **headers):
    if method == "get":
        return client.get(path, **headers)
    return getattr(client, method)(path, json.dumps({}), content_type="application/json", **headers)


def test_the_walk_finds_the_staff_routes():
    assert ("post", "/api/send-message") in ROUTES
    assert ("post", "/api/conversations/%2B48123456789/mode") in ROUTES
    assert len(ROUTES) >= 11


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anonymous_callers_get_401(method, path):
    response = call(Client(), method, path)
    assert (response.status_code, response.json()) == (401, {"error": "Authentication required."})


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_other_users_get_403_with_a_token_or_a_session(user, method, path):
    response = call(client_for(user), method, path)
    assert (response.status_code, response.json()) == (403, {"error": "Forbidden."})
    session = Client()
    session.force_login(user)
    assert call(session, method, path).json() == {"error": "Forbidden."}


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_staff_get_in_by_session_superuser_token_or_api_key(superuser, settings, method, path):
    settings.APP_API_KEY = API_KEY
    session = Client()
    session.force_login(superuser)
    for client, headers in [(session, {}), (client_for(superuser), {}), (Client(), {"HTTP_X_API_KEY": API_KEY})]:
        response = call(client, method, path, **headers)
        assert response.status_code not in (401, 403), (method, path, response.content)


def test_the_agent_routes_are_routed():
    assert set(ROUTES) >= AGENT_ROUTES
    assert ("post", "/api/ai/config") in SUPERUSER_ROUTES and ("post", "/api/auto-reply/config") in SUPERUSER_ROUTES


@pytest.mark.parametrize(("method", "path"), sorted(AGENT_ROUTES))
def test_agents_get_the_messaging_routes_by_session_or_token(agent, method, path):
    session = Client()
    session.force_login(agent)
    for client in (session, client_for(agent)):
        response = call(client, method, path)
        assert response.status_code not in (401, 403), (method, path, response.content)


@pytest.mark.parametrize(("method", "path"), SUPERUSER_ROUTES)
def test_agents_get_403_on_configuration_ai_and_twilio_account_routes(agent, method, path):
    session = Client()
    session.force_login(agent)
    for client in (session, client_for(agent)):
        response = call(client, method, path)
        assert (response.status_code, response.json()) == (403, {"error": "Forbidden."}), (method, path)


def test_a_wrong_or_unconfigured_api_key_is_401(settings):
    settings.APP_API_KEY = ""
    response = Client().get("/api/messages", HTTP_X_API_KEY="anything")
    assert (response.status_code, response.json()) == (401, {"error": "Authentication required."})
    settings.APP_API_KEY = API_KEY
    assert Client().get("/api/messages", HTTP_X_API_KEY=API_KEY + "x").status_code == 401
    assert Client().get("/api/messages", HTTP_X_API_KEY=API_KEY).status_code == 200
