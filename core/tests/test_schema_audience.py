"""`/api/schema/` (and so Swagger UI at `/docs`) lists staff routes only to staff (README "Browser
hardening"): anonymous callers and users see the public and user routes, agents also the staff
messaging routes, superusers and the API key everything."""

import pytest
from django.test import Client

from tests.helpers import client_for

pytestmark = pytest.mark.django_db

API_KEY = "schema-api-key-for-tests-0123456789"
USER_ROUTES = {"/auth/login", "/auth/register", "/auth/me", "/messages", "/reports", "/api/health"}
AGENT_ROUTES = {"/api/send-message", "/api/messages", "/api/messages/{message_id}/retry", "/api/conversations"}
SUPERUSER_ROUTES = {"/api/ai/config", "/api/auto-reply/config", "/api/ai/send", "/auth/users", "/reports/admin/all"}


def paths_for(client, **headers) -> set[str]:
    response = client.get("/api/schema/", {"format": "json"}, **headers)
    assert response.status_code == 200
    return set(response.json()["paths"])


def schema_for(client) -> dict:
    return client.get("/api/schema/", {"format": "json"}).json()


def session(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_callers_see_the_public_and_user_routes_only():
    schema = schema_for(Client())
    paths = set(schema["paths"])
    assert paths >= USER_ROUTES
    assert not paths & (AGENT_ROUTES | SUPERUSER_ROUTES)
    assert not [path for path in paths if path.startswith("/api/") and path != "/api/health"], sorted(paths)
    # Nor do the staff routes' bodies leak through the components.
    assert not [name for name in schema["components"]["schemas"] if "SendMessage" in name or "AIConfig" in name]


def test_users_see_what_anonymous_callers_see_by_session_or_token(user):
    anonymous = paths_for(Client())
    assert paths_for(session(user)) == anonymous
    assert paths_for(client_for(user)) == anonymous


def test_agents_also_see_the_staff_messaging_routes(agent):
    for client in (session(agent), client_for(agent)):
        paths = paths_for(client)
        assert paths >= USER_ROUTES | AGENT_ROUTES
        assert not paths & SUPERUSER_ROUTES, sorted(paths & SUPERUSER_ROUTES)


def test_superusers_and_the_api_key_see_everything(superuser, settings):
    settings.APP_API_KEY = API_KEY
    everything = USER_ROUTES | AGENT_ROUTES | SUPERUSER_ROUTES
    assert paths_for(session(superuser)) >= everything
    assert paths_for(client_for(superuser)) >= everything
    assert paths_for(Client(), HTTP_X_API_KEY=API_KEY) >= everything
    assert paths_for(session(superuser)) == paths_for(Client(), HTTP_X_API_KEY=API_KEY)
