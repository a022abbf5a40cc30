"""OpenAPI schema and Swagger UI, served with local assets only (CONTRACT §8.1)."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

from core.openapi import drop_slash_aliases

ASSET = re.compile(r"""<(?:script|link|img)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


@pytest.mark.django_db
def test_schema_is_valid_and_lists_the_auth_paths(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert {"/auth/login", "/auth/register", "/auth/me"} <= set(schema["paths"])
    assert "/auth/login/" not in schema["paths"]  # the slash alias is routed, not documented twice


@pytest.mark.django_db
def test_the_api_v1_aliases_are_routed_and_described_once(client, user):
    schema = _schema(client)
    paths = set(schema["paths"])
    assert not [path for path in paths if path.startswith("/api/v1/")]
    # Each seed operation is listed once, without the prefix: the v1 copy was the only duplicate.
    operation_ids = [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))
    assert {"/auth/login", "/messages", "/messages/ai", "/reports", "/auth/conversations"} <= paths
    assert "`/api/v1/` prefix" in schema["info"]["description"]
    # The alias still answers, the same as the listed path.
    body = {"username": user.username, "password": "wrong"}
    for path in ("/auth/login", "/api/v1/auth/login"):
        response = client.post(path, body, content_type="application/json")
        assert (response.status_code, response.json()) == (401, {"detail": "Incorrect username or password"}), path


@pytest.mark.parametrize("url", ["/api/docs/", "/docs"])
@pytest.mark.django_db
def test_swagger_ui_uses_only_local_assets(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assets = ASSET.findall(html)
    assert assets, html
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", html, re.IGNORECASE), html
    # The start-up script is the split view's own `?script` answer (no inline script: CSP).
    script = f"{url}?script="
    assert script in assets, assets
    response = client.get(script)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in response.content.decode()
    for asset in assets:
        if asset == script:
            continue
        assert asset.startswith(settings.STATIC_URL), asset
        # Each one is a file of an installed app, so runserver (DEBUG) and collectstatic serve it.
        assert finders.find(asset.removeprefix(settings.STATIC_URL).split("?")[0]), asset
    assert "<style" not in html and not re.search(r"<script>", html), html


def test_swagger_css_is_found_by_the_static_finders():
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css")
    assert "django.contrib.staticfiles" in settings.INSTALLED_APPS


def test_slash_aliases_are_dropped_only_when_the_canonical_path_exists():
    view = object()
    endpoints = [
        ("/auth/login", "", "POST", view),
        ("/auth/login/", "", "POST", view),
        ("/api/only-slash/", "", "GET", view),
        ("/api/v1/auth/login", "", "POST", view),
        ("/api/v1/auth/login/", "", "POST", view),
        ("/api/v1/auth/me", "", "GET", view),  # `/auth/me` routes PUT only here: the GET stays
        ("/auth/me", "", "PUT", view),
    ]
    assert [path for path, *_ in drop_slash_aliases(endpoints)] == [
        "/auth/login",
        "/api/only-slash/",
        "/api/v1/auth/me",
        "/auth/me",
    ]


def test_spectacular_validates_without_warnings(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml")],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-6000:]


def _schema(client) -> dict:
    return client.get("/api/schema/", {"format": "json"}).json()


@pytest.mark.django_db
def test_every_operation_documents_the_errors_it_can_answer(client):
    schema = _schema(client)
    refs = {"#/components/schemas/ErrorDetail", "#/components/schemas/Error"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            places = {parameter["in"] for parameter in operation.get("parameters", [])}
            if "requestBody" in operation or "query" in places:
                assert "400" in responses, (method, path)
            if "path" in places:
                assert "404" in responses, (method, path)
            for code, response in responses.items():
                if code.startswith("4"):
                    assert response["content"]["application/json"]["schema"]["$ref"] in refs, (method, path, code)
    assert {"401", "403"} <= set(schema["paths"]["/messages"]["get"]["responses"])
    assert {"401", "429"} <= set(schema["paths"]["/auth/login"]["post"]["responses"])
    assert "404" in schema["paths"]["/messages"]["post"]["responses"]  # an unknown recipient
    assert not {"401", "403"} & set(schema["paths"]["/auth/register"]["post"]["responses"])  # public


@pytest.mark.django_db
def test_the_error_bodies_the_api_sends_match_the_documented_schema(client, auth_client, user):
    import jsonschema

    error = _schema(client)["components"]["schemas"]["ErrorDetail"]
    bodies = [
        auth_client.get("/messages?skip=-1"),  # fields at fault
        auth_client.get("/messages/987654321"),  # not found
        client.get("/messages"),  # no credentials
        client.post("/auth/login", {"username": user.username, "password": "wrong"}, content_type="application/json"),
        auth_client.post("/messages", {"recipient_id": 987654321, "content": "x"}, format="json"),
    ]
    assert [response.status_code for response in bodies] == [400, 404, 401, 401, 404]
    for response in bodies:
        jsonschema.validate(response.json(), error)
