"""Browser tests of the web panel: Playwright drives the system's Chromium (never a browser it
downloads) against pytest-django's live server, with a real Celery worker and the loopback LLM.
Without Chromium they skip, except in CI, where they fail (CONTRACT §9.1 point 7)."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="module")
def browser_instance():
    if not CHROMIUM.exists():
        reason = f"needs Chromium at {CHROMIUM} (the distribution's chromium package)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (required in CI)")
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # an AI turn through the worker takes a few seconds
    # Playwright's sync API runs an event loop in the test thread, and Django would refuse the ORM
    # calls the tests make beside it. Only for these tests: a subprocess started later (the deploy
    # check) must not inherit the setting, so the module owns the browser and the variable.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Browsing:
    """Opens browser contexts (one per simulated person) and records every JS dialog they raise."""

    def __init__(self, browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.dialogs: list[str] = []
        self.contexts: list = []

    def page(self, *, locale: str = "en-US", viewport: dict | None = None):
        context = self.browser.new_context(
            base_url=self.base_url, locale=locale, viewport=viewport or {"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()

        def record(dialog) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", record)
        return page

    def login(self, user, password: str, **options):
        page = self.page(**options)
        page.goto("/accounts/login/")
        page.locator("#id_username").fill(user.username)
        page.locator("#id_password").fill(password)
        page.locator("form[action='/accounts/login/'] button[type=submit]").click()
        page.wait_for_url("**/app/conversations/")
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsing(browser_instance, live_server):
    session = Browsing(browser_instance, live_server.url)
    yield session
    session.close()


@pytest.fixture
def screenshot():
    """Saves a page's screenshot under var/screenshots/ (git-ignored) by name."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
