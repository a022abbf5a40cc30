"""The web panel in a real browser: what a person does on each main page, end to end."""

import time

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from messaging.models import Conversation
from reports.enums import ReportStatus
from reports.models import Report
from reports.services import report_resolve
from tests.processes import in_process_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def celery_worker_app():
    """A real Celery worker (a thread of this process) answering the AI turns the pages queue."""
    with in_process_worker(["ai", "default"]) as app:
        yield app


def test_the_assistant_answers_without_a_reload(browsing, screenshot, fake_llm, celery_worker_app):
    fake_llm.reply("Hello! I can file a report for you.", delay=1.0)
    user = UserFactory(username="ada")
    page = browsing.login(user, PASSWORD)
    screenshot(page, "conversations")

    page.get_by_role("link", name="AI Assistant").click()
    expect(page.get_by_role("heading", name="AI Assistant")).to_be_visible()
    page.evaluate("window.__notReloaded = true")
    composer = page.get_by_label("Message", exact=True)
    composer.fill("Hi, the tap in room 12 leaks")
    composer.press("Enter")

    expect(page.locator("#typing")).to_be_visible()
    # Through the broker, the worker and the LLM: allow for a loaded machine.
    expect(page.get_by_text("Hello! I can file a report for you.")).to_be_visible(timeout=45_000)
    expect(page.locator("#typing")).to_have_count(0)  # answered: the polling stopped
    assert page.evaluate("window.__notReloaded") is True
    expect(composer).to_have_value("")
    assert fake_llm.requests[-1]["messages"][-1] == {"role": "user", "content": "Hi, the tap in room 12 leaks"}
    screenshot(page, "ai-conversation")


def test_a_message_between_users_is_unread_until_opened(browsing, screenshot):
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob", full_name="Bob Builder")
    page = browsing.login(alice, PASSWORD)
    page.get_by_role("link", name="New message").click()
    page.get_by_label("Find a recipient by name or username").fill("Builder")
    page.get_by_label("bob (Bob Builder)").check()  # the picker fills in as she types
    page.get_by_label("Message", exact=True).fill("Lunch at noon?")
    screenshot(page, "new-message")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".message-body", has_text="Lunch at noon?")).to_be_visible()
    expect(page.locator(".read-state")).to_have_text("Sent")

    other = browsing.login(bob, PASSWORD)
    row = other.locator(".conversation", has_text="alice")
    expect(row.locator(".unread-badge")).to_have_text("1 unread")
    screenshot(other, "conversations-unread")  # the README's picture of the conversations page
    row.get_by_role("link", name="alice").click()
    expect(other.locator(".message-body", has_text="Lunch at noon?")).to_be_visible()
    screenshot(other, "conversation")
    other.get_by_role("link", name="All conversations").click()
    expect(other.locator(".conversation", has_text="alice").locator(".unread-badge")).to_have_count(0)

    page.reload()
    expect(page.locator(".read-state")).to_have_text("Read")


def test_reports_can_be_edited_while_open_and_not_once_resolved(browsing, screenshot):
    user = UserFactory()
    superuser = UserFactory(is_superuser=True)
    page = browsing.login(user, PASSWORD)
    page.get_by_role("link", name="My reports", exact=True).click()
    page.get_by_label("Title").fill("Broken window")
    page.get_by_label("Description").fill("Kitchen, 2nd floor")
    page.get_by_role("button", name="Create report").click()
    expect(page.locator("#report-title")).to_have_text("Broken window")

    page.get_by_text("Edit report").click()
    page.get_by_label("Description").fill("Kitchen, 3rd floor")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#report-content")).to_have_text("Kitchen, 3rd floor")
    screenshot(page, "report")

    report = Report.objects.get(title="Broken window")
    report_resolve(actor=superuser, report_id=report.pk, comment="Glass replaced")
    page.reload()
    expect(page.locator("#not-editable")).to_be_visible()
    expect(page.get_by_text("Edit report")).to_have_count(0)
    expect(page.get_by_text("Glass replaced").first).to_be_visible()
    page.get_by_role("link", name="My reports", exact=True).click()
    page.get_by_label("Status").select_option("resolved")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name="Broken window")).to_be_visible()
    screenshot(page, "reports")
    assert Report.objects.get(pk=report.pk).status == ReportStatus.RESOLVED


def test_the_profile_explains_a_bad_phone_number(browsing, screenshot):
    user = UserFactory()
    page = browsing.login(user, PASSWORD)
    page.get_by_role("link", name="Profile").click()
    page.get_by_label("Phone number").fill("12345")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Phone number must be in E.164 format, e.g. +48123456789")).to_be_visible()
    screenshot(page, "profile")
    page.get_by_label("Phone number").fill("+48 123 456 789")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile was saved.")).to_be_visible()
    expect(page.get_by_label("Phone number")).to_have_value("+48123456789")


def test_the_profile_disconnects_a_linked_telegram_chat(browsing, screenshot):
    from inbox.models import Contact

    user = UserFactory()
    Contact.objects.create(channel="telegram", address="4242", display_name="Ann Lee", user=user)
    page = browsing.login(user, PASSWORD)
    page.get_by_role("link", name="Profile").click()
    section = page.locator("#telegram-connect")
    expect(section.get_by_text("Ann Lee")).to_be_visible()
    screenshot(page, "profile-telegram")
    section.get_by_role("button", name="Disconnect Telegram").click()
    expect(page.get_by_text("Telegram is disconnected")).to_be_visible()
    expect(page.locator("#telegram-connect").get_by_role("button", name="Connect Telegram")).to_be_visible()
    assert Contact.objects.get(channel="telegram", address="4242").user is None


def test_a_hostile_message_is_shown_as_text(browsing):
    attacker = UserFactory(username="mallory")
    victim = UserFactory(username="victim")
    body = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    page = browsing.login(attacker, PASSWORD)
    page.get_by_role("link", name="New message").click()
    page.get_by_label("Find a recipient by name or username").fill("victim")
    page.get_by_label("victim").check()
    page.get_by_label("Message", exact=True).fill(body)
    page.get_by_role("button", name="Send").click()

    target = browsing.login(victim, PASSWORD)
    expect(target.get_by_text(body)).to_be_visible()  # the preview in the list
    target.get_by_role("link", name="mallory").click()
    expect(target.locator(".message-body", has_text=body)).to_be_visible()
    time.sleep(0.5)  # an onerror handler would have fired by now
    assert browsing.dialogs == []
    assert target.locator("#thread-messages img").count() == 0


def test_the_panel_speaks_polish(browsing, screenshot):
    user = UserFactory()
    polish = browsing.login(user, PASSWORD, locale="pl-PL")  # Accept-Language: pl-PL
    expect(polish.get_by_role("heading", name="Rozmowy")).to_be_visible()
    expect(polish.get_by_role("link", name="Asystent AI")).to_be_visible()
    screenshot(polish, "conversations-pl")

    english = browsing.login(user, PASSWORD, viewport={"width": 390, "height": 844})  # a phone
    expect(english.get_by_role("heading", name="Conversations")).to_be_visible()
    english.get_by_role("button", name="Toggle navigation").click()
    english.get_by_label("Language").select_option("pl")
    english.get_by_role("button", name="Change").click()
    expect(english.get_by_role("heading", name="Rozmowy")).to_be_visible()
    english.reload()  # remembered
    expect(english.get_by_role("heading", name="Rozmowy")).to_be_visible()
    screenshot(english, "conversations-phone-pl")


def test_a_handoff_is_one_row_and_the_agents_answer_appears_without_a_reload(browsing, screenshot):
    # Issue 28.5: the list showed the AI thread twice during a handoff, and the agent's answer
    # appeared only after a reload.
    user = UserFactory(username="ada")
    page = browsing.login(user, PASSWORD)
    page.get_by_role("link", name="AI Assistant").click()
    page.get_by_role("button", name="Ask for a human").click()
    expect(page.locator("#mode-badge")).to_have_text("A human agent answers")
    composer = page.get_by_label("Message", exact=True)
    composer.fill("Is anyone there?")
    composer.press("Enter")
    expect(page.locator(".message-body", has_text="Is anyone there?")).to_be_visible()
    page.evaluate("window.__notReloaded = true")
    page.get_by_text("Edit or delete").click()  # opened while the thread is polled
    page.get_by_label("Edit message").fill("Is anyone there? Please")

    agent = browsing.page()
    agent.goto("/accounts/login/")
    agent.locator("#id_username").fill(UserFactory(username="agent", is_superuser=True).username)
    agent.locator("#id_password").fill(PASSWORD)
    agent.locator("form[action='/accounts/login/'] button[type=submit]").click()
    agent.wait_for_url(f"{browsing.base_url}/")  # staff land on their dashboard
    thread = Conversation.objects.get(key=f"conv_-1_{user.pk}")
    agent.goto(f"/staff/handoff/{thread.pk}/")
    agent.get_by_label("Answer").fill("Hello Ada, a person here.")
    agent.get_by_role("button", name="Send answer").click()
    expect(agent.get_by_text("Your answer was sent.")).to_be_visible()

    expect(page.locator(".message-body", has_text="Hello Ada, a person here.")).to_be_visible()
    assert page.evaluate("window.__notReloaded") is True
    expect(page.get_by_label("Edit message")).to_have_value("Is anyone there? Please")  # the polls kept it
    expect(page.locator("details[open]")).to_have_count(1)
    screenshot(page, "handoff-answer")

    page.get_by_role("link", name="All conversations").click()
    rows = page.locator(".conversation")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("AI Assistant")
    expect(rows).to_contain_text("Human agent")
    expect(rows.locator(".message-body")).to_have_text("Hello Ada, a person here.")
    expect(rows.locator("time")).to_be_visible()
    screenshot(page, "conversations-handoff")


CLEAR = {
    "en-US": (
        "AI Assistant",
        "Clear history",
        "Clear the assistant’s history? It will no longer remember this conversation.",
    ),
    "pl-PL": ("Asystent AI", "Wyczyść historię", "Wyczyścić historię asystenta? Nie będzie już pamiętał tej rozmowy."),
}


@pytest.mark.parametrize("locale", CLEAR)
def test_clearing_the_history_asks_first(browsing, locale):
    assistant, button, question = CLEAR[locale]
    user = UserFactory()
    page = browsing.login(user, PASSWORD, locale=locale)
    page.get_by_role("link", name=assistant).click()
    page.get_by_role("button", name=button).click()  # the recorder dismisses the dialog
    page.wait_for_timeout(300)
    assert browsing.dialogs == [question]
    assert not Conversation.objects.filter(key=f"conv_-1_{user.pk}", context_reset_at__isnull=False).exists()

    accepting = page.context.new_page()  # the same session, a page that says yes
    accepting.on("dialog", lambda dialog: dialog.accept())
    accepting.goto(page.url)
    accepting.get_by_role("button", name=button).click()
    expect(accepting.get_by_role("heading", name=assistant)).to_be_visible()
    deadline = time.monotonic() + 5
    while not Conversation.objects.filter(key=f"conv_-1_{user.pk}", context_reset_at__isnull=False).exists():
        assert time.monotonic() < deadline, "the confirmed clear did not reach the server"
        time.sleep(0.1)
