"""The Content-Security-Policy (README "Browser hardening"): sent on the panels, the admin, the
browsable API and Swagger UI, and the pages need nothing it forbids (no inline script, no event
handler attribute, no eval in htmx). The browser tests check the same pages for violations."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html"}
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"""<[^>]*\s(?:on[a-z]+|hx-on[\w:-]*)\s*=""", re.IGNORECASE)


def _directives(policy: str) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def test_the_default_policy_allows_only_this_servers_files():
    directives = _directives(settings.CONTENT_SECURITY_POLICY)
    assert directives["script-src"] == "script-src 'self'"
    assert directives["style-src"] == "style-src 'self'"
    assert directives["object-src"] == "object-src 'none'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe" not in settings.CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/", "/app/conversations/", "/app/profile/", "/api/v1/", "/docs", "/api/docs/"])
def test_every_page_carries_the_policy_and_no_inline_script(path, superuser):
    client = Client()
    client.force_login(superuser)
    response = client.get(path, **HTML)
    assert response.status_code == 200, path
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not EVENT_HANDLER.search(html), EVENT_HANDLER.search(html)


def test_the_admin_and_the_json_api_carry_it_too(superuser, auth_client):
    client = Client()
    client.force_login(superuser)
    for path in ("/admin/", "/admin/accounts/user/", "/admin/login/"):
        assert client.get(path)["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY, path
    assert auth_client.get("/messages")["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY


def test_htmx_runs_without_eval_and_injects_no_style(superuser):
    client = Client()
    client.force_login(superuser)
    html = client.get("/app/conversations/", **HTML).content.decode()
    config = re.search(r"""<meta name="htmx-config" content='([^']*)'>""", html)
    assert config, "htmx-config meta missing"
    assert '"allowEval": false' in config[1] and '"includeIndicatorStyles": false' in config[1]


def test_no_template_has_an_inline_script_or_an_event_handler():
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not INLINE_SCRIPT.search(text), template
        assert not EVENT_HANDLER.search(text), template


def test_an_empty_setting_sends_no_header(settings, client):
    from core.middleware import ContentSecurityPolicyMiddleware

    settings.CONTENT_SECURITY_POLICY = ""
    middleware = ContentSecurityPolicyMiddleware(lambda request: client.get("/health"))
    assert "Content-Security-Policy" not in middleware(None)
