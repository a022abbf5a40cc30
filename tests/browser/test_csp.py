"""The Content-Security-Policy in a real browser (README "Browser hardening"): every main page (the
user panel, the staff panel, the admin, Swagger UI and the browsable API) renders and runs its
scripts with no violation reported, neither as a `securitypolicyviolation` event nor on the console."""

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's init scripts run outside the page's policy, so this listener sees every violation.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " + event.sourceFile);
});
"""


class Watched:
    """One signed-in page that records CSP violations and console errors."""

    def __init__(self, browsing, user) -> None:
        self.page = browsing.page()
        self.page.context.add_init_script(RECORD_VIOLATIONS)
        self.console: list[str] = []
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.page.goto("/accounts/login/")
        self.check("/accounts/login/")
        self.page.locator("#id_username").fill(user.username)
        self.page.locator("#id_password").fill(PASSWORD)
        self.page.locator("form[action='/accounts/login/'] button[type=submit]").click()
        self.page.wait_for_load_state("networkidle")

    def visit(self, path: str, ready: str = "body") -> None:
        self.page.goto(path)
        expect(self.page.locator(ready).first).to_be_visible()
        self.page.wait_for_load_state("networkidle")
        self.check(path)

    def check(self, path: str) -> None:
        violations = self.page.evaluate("window.__cspViolations || []")
        refused = [line for line in self.console if "Content Security Policy" in line or "Refused to" in line]
        assert (violations, refused) == ([], []), path
        self.console.clear()


def test_the_user_panel_runs_under_the_policy(browsing):
    watched = Watched(browsing, UserFactory(username="ada"))
    for path in ("/app/conversations/", "/app/conversations/new/", "/app/reports/", "/app/profile/"):
        watched.visit(path, "main")
    # htmx at work (the AI thread polls and the composer posts) without eval or injected styles.
    watched.page.goto("/app/conversations/")
    watched.page.get_by_role("link", name="AI Assistant").click()
    watched.page.wait_for_load_state("networkidle")
    watched.check("the AI thread")
    # Swagger UI asks for the schema with the user's session: no staff route in it.
    watched.visit("/docs", ".swagger-ui .info")
    expect(watched.page.locator(".opblock-summary-path", has_text="/messages").first).to_be_visible()
    expect(watched.page.locator(".opblock-summary-path", has_text="/api/send-message")).to_have_count(0)


def test_the_staff_panel_the_admin_the_docs_and_the_browsable_api_run_under_the_policy(browsing):
    watched = Watched(browsing, UserFactory(username="boss", is_superuser=True))
    for path in ("/?tab=messages", "/?tab=auto-reply", "/?tab=ai", "/?tab=handoff", "/chat/+48123456789"):
        watched.visit(path, "main")
    for path in ("/admin/", "/admin/accounts/user/add/", "/admin/messaging/message/token-usage/"):
        watched.visit(path, "#content")
    from django.contrib import admin

    for model in admin.site._registry:  # every changelist of the console
        watched.visit(f"/admin/{model._meta.app_label}/{model._meta.model_name}/", "#content")
    watched.visit("/docs", ".swagger-ui .info")  # Swagger UI rendered the schema: its scripts ran
    watched.visit("/api/docs/", ".swagger-ui .info")
    expect(watched.page.locator(".opblock-summary-path", has_text="/api/send-message")).to_have_count(1)
    for path in ("/api/v1/", "/api/v1/messages", "/api/v1/auth/me"):
        watched.visit(path, ".response-info")
    # A PUT from the page: DRF's scripts send it and write the answer's page in place.
    watched.page.locator("form[data-method=PUT] button", has_text="PUT").first.click()
    watched.page.wait_for_load_state("networkidle")
    expect(watched.page.locator(".request-info")).to_contain_text("PUT /api/v1/auth/me")
    watched.check("the PUT's answer")


def test_an_agent_works_in_the_staff_panel_without_the_configuration_tabs(browsing):
    watched = Watched(browsing, UserFactory(username="helper", is_staff=True))
    watched.visit("/", "main")
    tabs = watched.page.get_by_role("navigation", name="Dashboard sections")
    expect(tabs.get_by_role("link", name="Messages")).to_be_visible()
    expect(tabs.get_by_role("link", name="Handoff inbox")).to_be_visible()
    expect(tabs.get_by_role("link", name="AI", exact=True)).to_have_count(0)
    expect(tabs.get_by_role("link", name="Auto-reply")).to_have_count(0)
    for path in ("/?tab=handoff", "/chat/+48123456789"):
        watched.visit(path, "main")
    assert watched.page.goto("/?tab=ai").status == 403
    assert watched.page.goto("/admin/").url.endswith("/admin/login/?next=/admin/")
