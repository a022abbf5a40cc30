"""The staff panel's Insights tab in a real browser, in English and Polish (issue 27): the SVG
charts are drawn, the tables filled, the filter form works, and nothing breaks the CSP."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from messaging.enums import ConversationKind
from messaging.models import Conversation, Message, ModeChange
from tests.browser.test_csp import RECORD_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = datetime(2026, 3, 2, 10, tzinfo=UTC)
WORDS = {
    "en-US": (
        "Insights",
        "Messages per day",
        "Median time to the first reply",
        "Handoffs per day, by reason",
        "AI cost per day",
        "Show",
    ),
    "pl-PL": (
        "Statystyki",
        "Wiadomości dziennie",
        "Mediana czasu do pierwszej odpowiedzi",
        "Przekazania dziennie, według powodu",
        "Koszt AI dziennie",
        "Pokaż",
    ),
}


def traffic() -> None:
    for n, channel in enumerate(("sms", "whatsapp", "telegram")):
        conversation = Conversation.objects.create(
            key=f"{channel}:+4860000000{n}", kind=ConversationKind.PHONE, participant_number=f"+4860000000{n}"
        )
        for day in range(3):
            asked = DAY + timedelta(days=day, minutes=n)
            Message.objects.create(conversation=conversation, channel=channel, direction="inbound", created_at=asked)
            Message.objects.create(
                conversation=conversation,
                channel=channel,
                direction="outbound",
                status="sent",
                model="m",
                ai_cost=Decimal("0.01") * (n + 1),
                created_at=asked + timedelta(seconds=5 * (n + 1)),
            )
        ModeChange.objects.create(
            conversation=conversation, mode="human", reason="loop", channel=channel, created_at=DAY + timedelta(days=1)
        )


@pytest.mark.parametrize("locale", WORDS)
def test_the_insights_tab_draws_its_charts_and_tables(browsing, screenshot, locale):
    tab, volume, first_reply, handoffs, cost, show = WORDS[locale]
    traffic()
    staff = UserFactory(is_staff=True, username="agent")
    page = browsing.page(locale=locale)
    page.context.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(staff.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(f"{browsing.base_url}/")

    page.get_by_role("link", name=tab, exact=True).click()
    page.locator("#insights-from").fill("2026-03-01")
    page.locator("#insights-to").fill("2026-03-05")
    page.get_by_role("button", name=show).click()

    for title in (volume, first_reply, handoffs, cost):
        expect(page.get_by_role("img", name=title)).to_be_visible()
    expect(page.locator("#chart-volume rect.chart-bar")).to_have_count(9)  # 3 days x 3 channels
    expect(page.locator("#chart-first-reply polyline")).to_have_count(3)
    expect(page.locator("#chart-handoffs rect.chart-bar")).to_have_count(1)  # three loops on one day
    expect(page.locator("#insights-table tr.insights-row")).to_have_count(9)
    expect(page.locator("#insights-top tbody tr")).to_have_count(3)
    assert page.locator("#chart-volume svg.insights-chart").bounding_box()["width"] > 200
    # Drawn where they belong in either language (coordinates never take a decimal comma).
    bars = [page.locator("#chart-volume rect.chart-bar").nth(i).bounding_box() for i in range(9)]
    assert all(bar["height"] > 10 and bar["x"] > 0 for bar in bars)
    assert len({round(bar["x"]) for bar in bars}) == 3  # three days, one stacked bar each
    screenshot(page, f"insights-{locale}")

    page.locator("#insights-channel").select_option("sms")
    page.get_by_role("button", name=show).click()
    expect(page.locator("#insights-table tr.insights-row")).to_have_count(3)
    assert page.evaluate("window.__cspViolations || []") == []
    assert [line for line in console if "Content Security Policy" in line or "Refused to" in line] == []
