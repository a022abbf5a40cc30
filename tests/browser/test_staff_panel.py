"""The staff panel in a real browser (CONTRACT §5.1, §8.3–8.5): signed Twilio webhooks and the
loopback Twilio and LLM servers against the live server, a real Celery worker for the queued sends
and inbound handling. Each page's screenshot goes to var/screenshots/."""

import time
import urllib.parse
import urllib.request
import uuid

import pytest
from django.db import OperationalError
from playwright.sync_api import expect
from twilio.request_validator import RequestValidator

from accounts.tests.factories import PASSWORD, UserFactory
from inbox.models import AutoReplyConfig
from messaging.enums import ConversationKind, ConversationMode, ReplyState
from messaging.models import Conversation, Message
from messaging.selectors.keys import ai_conversation_key
from orchestrator.models import AIConfig
from tests.processes import in_process_worker
from twilio_channel.models import OutboundSend, SendState
from twilio_channel.panel_views import chat, messages_tab

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUR_NUMBER = "+15550001111"
XSS = "<img src=x onerror=alert(1)><script>alert(2)</script>"


@pytest.fixture(scope="module")
def celery_worker_app():
    """A real worker (a thread of this process) for inbound handling and the `sends` queue."""
    with in_process_worker(["default", "sends", "ai"]) as app:
        yield app


@pytest.fixture
def twilio_live(settings, fake_twilio, live_server, monkeypatch, celery_worker_app):
    """The live server talks to the loopback Twilio and checks webhook signatures against its own
    URL; the dashboard and the thread refresh every second instead of 15 and 12 (the same polling,
    so a test waits seconds, not minutes)."""
    settings.TWILIO_ACCOUNT_SID = fake_twilio.account_sid
    settings.TWILIO_AUTH_TOKEN = fake_twilio.auth_token
    settings.TWILIO_DEFAULT_FROM = OUR_NUMBER
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_API_BASE_URL = fake_twilio.url
    settings.TWILIO_HTTP_TIMEOUT_S = 2
    settings.TWILIO_VALIDATE_SIGNATURE = True
    settings.PUBLIC_BASE_URL = live_server.url
    settings.WHATSAPP_FALLBACK_CONTENT_SID = ""
    monkeypatch.setattr(messages_tab, "MESSAGES_REFRESH_S", 1)
    monkeypatch.setattr(chat, "THREAD_REFRESH_S", 1)
    return fake_twilio


def twilio_webhook(base_url: str, token: str, path: str, form: dict) -> int:
    """POST `form` to the live server as Twilio does, signed with the account's auth token."""
    url = base_url + path
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(form).encode(),
        headers={
            "X-Twilio-Signature": RequestValidator(token).compute_signature(url, form),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def inbound(live_server, fake, *, from_: str, body: str, to: str = OUR_NUMBER) -> None:
    form = {
        "From": from_,
        "To": ("whatsapp:" + to) if from_.startswith("whatsapp:") else to,
        "Body": body,
        "MessageSid": "SM" + uuid.uuid4().hex,
        "SmsStatus": "received",
        "NumMedia": "0",
    }
    assert twilio_webhook(live_server.url, fake.auth_token, "/twilio/inbound", form) == 200
    settle()


def settle(timeout: float = 20.0) -> None:
    """Wait until the worker has done what the webhook queued (the reply and its send). The test
    database is SQLite's shared in-memory one, whose table locks fail a concurrent writer at once
    instead of waiting: the test writes only once the worker is quiet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            busy = (
                Message.objects.filter(reply_state__in=[ReplyState.PENDING, ReplyState.PROCESSING]).exists()
                or OutboundSend.objects.filter(state__in=[SendState.PENDING, SendState.SENDING]).exists()
            )
        except OperationalError:  # the worker holds a table lock right now
            busy = True
        if not busy:
            return
        time.sleep(0.05)
    raise AssertionError("the worker did not finish the queued reply in time")


def staff_login(browsing):
    staff = UserFactory(is_superuser=True, username="operator")
    page = browsing.page()
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(staff.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(f"{browsing.base_url}/")  # staff land on the dashboard
    expect(page.get_by_role("heading", name="Twilio dashboard")).to_be_visible()
    return page


def nav_link(page, name: str):
    """A navbar entry; below 1400 px the staff navbar is collapsed behind its toggler (issue 28.5)."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    link = page.locator("#main-nav").get_by_role("link", name=name, exact=True)
    expect(link).to_be_visible()
    return link


def test_an_inbound_message_appears_and_a_manual_send_goes_out(browsing, screenshot, twilio_live, live_server):
    page = staff_login(browsing)
    expect(page.locator("#messages-empty")).to_be_visible()
    page.evaluate("window.__notReloaded = true")

    # Both reply modes are off: the chat engine echoes each inbound message (CONTRACT §4.7).
    inbound(live_server, twilio_live, from_="+48600700800", body="Hello from an SMS")
    table = page.locator("#messages-table")
    expect(table.locator(".message-inbound", has_text="Hello from an SMS")).to_be_visible()  # by the refresh
    expect(page.locator("#stat-inbound")).to_have_text("1")
    assert page.evaluate("window.__notReloaded") is True

    page.get_by_label("Recipient").fill("+48600700800")
    page.get_by_label("Message", exact=True).fill("Hi from the dashboard")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Sent. SID: SM")).to_be_visible()
    [sent] = twilio_live.created(body="Hi from the dashboard")
    assert sent["to"] == "+48600700800"
    row = table.locator(".message-row", has_text="Hi from the dashboard")
    expect(row).to_be_visible()
    screenshot(page, "staff-dashboard")

    # The filter stays through the refreshes, and so does the place the reader scrolled to.
    page.get_by_role("link", name="Inbound", exact=True).click()
    expect(table.locator(".message-row", has_text="Hi from the dashboard")).to_have_count(0)
    # Enough rows to scroll (written at once: SQLite's shared test database locks under a burst).
    Message.objects.bulk_create(
        Message(
            channel="sms",
            direction="inbound",
            from_number=f"+4860070{number:04d}",
            to_number=OUR_NUMBER,
            participant_number=f"+4860070{number:04d}",
            content=f"filler {number}",
            status="received",
        )
        for number in range(25)
    )
    expect(table.locator(".message-inbound", has_text="filler 24")).to_be_visible()
    panel = page.locator("#messages-panel")
    panel.evaluate("box => { box.scrollTop = 300; }")
    inbound(live_server, twilio_live, from_="+48600799999", body="after the scroll")
    expect(table.locator(".message-inbound", has_text="after the scroll")).to_be_visible()
    assert panel.evaluate("box => box.scrollTop") >= 250
    expect(table.locator(".message-row", has_text="Hi from the dashboard")).to_have_count(0)
    assert "direction=inbound" in page.url


def test_the_chat_view_shows_both_directions_and_replies_on_the_threads_channel(
    browsing, screenshot, twilio_live, live_server
):
    inbound(live_server, twilio_live, from_="+48600700801", body="Line one\nline two")
    page = staff_login(browsing)
    page.get_by_role("link", name="Open conversation with +48600700801").first.click()
    expect(page.get_by_role("heading", name="Conversation with +48600700801")).to_be_visible()
    expect(page.locator(".phone-inbound .message-body")).to_have_text("Line one\nline two")

    page.get_by_label("Reply").fill("We got your message.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Sent. SID: SM")).to_be_visible()
    expect(page.locator(".phone-outbound", has_text="We got your message.")).to_be_visible()
    assert [m["to"] for m in twilio_live.created(body="We got your message.")] == ["+48600700801"]
    screenshot(page, "staff-chat")

    inbound(live_server, twilio_live, from_="whatsapp:+48600700802", body="Hi on WhatsApp")
    page.goto("/chat/whatsapp:+48600700802")
    expect(page.locator("#window-badge")).to_contain_text("WhatsApp window open: closes in 23")
    page.get_by_label("Reply").fill("Answer over WhatsApp")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".phone-outbound", has_text="Answer over WhatsApp")).to_be_visible()
    assert [m["to"] for m in twilio_live.created(body="Answer over WhatsApp")] == ["whatsapp:+48600700802"]
    screenshot(page, "staff-chat-whatsapp")


def test_the_auto_reply_tab_saves_what_the_api_reads_back(browsing, screenshot, twilio_live):
    AIConfig.objects.create(pk=1, enabled=True, target_number="+48600700800", api_key="sk-on-before-0000")
    page = staff_login(browsing)
    page.get_by_role("link", name="Auto-reply").click()
    expect(page.locator("#auto-reply-state")).to_have_text("Off")
    page.get_by_label("Enable automatic replies to new messages").check()
    page.get_by_label("Reply text").fill("We are closed until Monday.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Auto-reply settings saved.")).to_be_visible()
    expect(page.get_by_text("AI auto-reply was turned off: only one of them can answer.")).to_be_visible()
    expect(page.locator("#auto-reply-state")).to_have_text("On")
    screenshot(page, "staff-auto-reply")
    body = page.request.get("/api/auto-reply/config").json()  # the page's own session
    assert (body["enabled"], body["message"]) == (True, "We are closed until Monday.")
    assert AIConfig.objects.get().enabled is False


def test_the_ai_tab_saves_and_tests_the_connection(browsing, screenshot, twilio_live, fake_llm):
    AutoReplyConfig.objects.create(pk=1, enabled=True, message="closed")
    fake_llm.reply("Yes, the connection works.")
    page = staff_login(browsing)
    page.get_by_role("link", name="AI", exact=True).click()
    page.get_by_label("AI auto-reply to SMS and WhatsApp from this number").check()
    page.get_by_label("Conversation partner's number").fill("+48600700800")
    page.get_by_label("System prompt").fill("Answer briefly.")
    page.get_by_label("Model").fill("gpt-4o-mini")
    page.get_by_label("Temperature").fill("0.4")
    page.get_by_label("API key", exact=True).fill("sk-browser-secret-4321")
    page.locator("#ai-form").get_by_role("button", name="Save").click()
    expect(page.get_by_text("AI settings saved.")).to_be_visible()
    expect(page.get_by_text("Automatic replies were turned off: only one of them can answer.")).to_be_visible()
    expect(page.get_by_label("API key", exact=True)).to_have_value("")  # never filled back
    expect(page.locator("#api-key-preview")).to_contain_text("4321")
    assert "sk-browser-secret-4321" not in page.content()
    config = AIConfig.objects.get()
    assert (config.enabled, config.api_key, config.temperature) == (True, "sk-browser-secret-4321", 0.4)

    page.get_by_label("Test message").fill("Are you there?")
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#ai-test-status")).to_have_text("Connection OK — based on the test text.")
    expect(page.locator("#ai-test-reply")).to_have_text("Yes, the connection works.")
    assert fake_llm.requests[-1]["messages"][-1] == {"role": "user", "content": "Are you there?"}
    screenshot(page, "staff-ai")


def test_the_ai_tab_tests_the_connection_without_a_number(browsing, screenshot, twilio_live, fake_llm, settings):
    # Issue 28.5: the test needed a partner number, and the page showed an example model name.
    settings.LITELLM_MODEL = "gpt-4o-mini-server"
    fake_llm.reply("Connected.")
    page = staff_login(browsing)
    page.get_by_role("link", name="AI", exact=True).click()
    expect(page.locator("#ai-switch-help")).to_contain_text("SMS and WhatsApp")
    expect(page.get_by_label("Model")).to_have_attribute("placeholder", "gpt-4o-mini-server")
    page.get_by_label("Test message").fill("Ping")
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#ai-test-status")).to_have_text("Connection OK — based on the test text.")
    expect(page.locator("#ai-test-reply")).to_have_text("Connected.")
    screenshot(page, "staff-ai-test-no-number")


def test_a_failed_message_is_retried_and_shows_its_real_status(browsing, screenshot, twilio_live, live_server):
    # A permanent refusal fails the row at once (a busy Twilio, 429/5xx, would queue it instead).
    twilio_live.fail(400, 21211, "Invalid 'To' Phone Number", operation="create")
    page = staff_login(browsing)
    page.get_by_label("Recipient").fill("+48600700803")
    page.get_by_label("Message", exact=True).fill("Please retry me")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#send-form").get_by_text("Twilio send failed")).to_be_visible()
    failed = Message.objects.get(content="Please retry me")
    assert failed.status == "failed"

    page.goto("/chat/+48600700803")
    page.get_by_role("button", name=f"Retry message #{failed.pk}").click()
    expect(page.get_by_text("Retried as message #")).to_be_visible()
    retry = Message.objects.get(retry_of=failed)
    bubble = page.locator(f"#phone-message-{retry.pk}")
    expect(bubble).to_contain_text(f"retry of #{failed.pk}")
    deadline = time.monotonic() + 15
    while not twilio_live.created(body="Please retry me") and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker sends it from the queue
    [sent] = twilio_live.created(body="Please retry me")
    expect(bubble).to_contain_text(sent["sid"])
    form = {"MessageSid": sent["sid"], "MessageStatus": "delivered"}
    assert twilio_webhook(live_server.url, twilio_live.auth_token, f"/twilio/status?mid={retry.pk}", form) == 200
    expect(bubble.locator(".status-badge")).to_have_text("delivered")  # Twilio's word, by the refresh
    expect(page.locator(f"#phone-message-{failed.pk} .status-badge")).to_have_text("failed")
    screenshot(page, "staff-retry")


def test_staff_take_over_answer_and_hand_back(browsing, screenshot, twilio_live, live_server):
    inbound(live_server, twilio_live, from_="+48600700804", body="I want a person")
    person = UserFactory(username="ada")
    web = Conversation.objects.create(
        key=ai_conversation_key(user_id=person.pk), kind=ConversationKind.AI, user=person, mode=ConversationMode.HUMAN
    )
    Message.objects.create(conversation=web, sender_id=person.pk, recipient_id=-1, content="Is anyone there?")

    page = staff_login(browsing)
    page.goto("/chat/+48600700804")
    expect(page.locator("#mode-badge")).to_have_text("AI mode")
    page.get_by_role("button", name="Take over").click()
    expect(page.locator("#mode-badge")).to_have_text("Human mode: the AI stays silent")

    nav_link(page, "Handoff inbox").click()
    rows = page.locator(".handoff-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="ada")).to_contain_text("waiting")
    screenshot(page, "staff-handoff")
    rows.filter(has_text="ada").get_by_role("link", name="Answer").click()
    expect(page.get_by_text("Is anyone there?")).to_be_visible()
    page.get_by_label("Answer").fill("Hello Ada, I am a person.")
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_text("Your answer was sent.")).to_be_visible()
    screenshot(page, "staff-handoff-conversation")

    user_page = browsing.login(person, PASSWORD)
    user_page.get_by_role("link", name="AI Assistant").click()
    expect(user_page.locator(".message-body", has_text="Hello Ada, I am a person.")).to_be_visible()

    page.get_by_role("button", name="Hand back to the AI").click()
    expect(page.locator("#mode-badge")).to_have_text("AI mode")
    page.goto("/chat/+48600700804")
    page.get_by_role("button", name="Hand back to the AI").click()
    expect(page.locator("#mode-badge")).to_have_text("AI mode")
    nav_link(page, "Handoff inbox").click()
    expect(page.locator("#handoff-empty")).to_be_visible()


def test_a_hostile_body_is_shown_as_text_in_the_table_and_the_thread(browsing, twilio_live, live_server):
    inbound(live_server, twilio_live, from_="+48600700805", body=XSS)
    page = staff_login(browsing)
    expect(page.locator("#messages-table .message-inbound .message-body", has_text=XSS)).to_be_visible()
    page.get_by_role("link", name="Open conversation with +48600700805").first.click()
    expect(page.locator(".phone-inbound .message-body")).to_have_text(XSS)
    time.sleep(1.5)  # an onerror handler, or a refresh that injected HTML, would have fired by now
    assert browsing.dialogs == []
    assert page.locator("#phone-thread img").count() == 0


@pytest.mark.parametrize("locale", ["en-US", "pl-PL"])
def test_the_staff_navbar_fits_at_1280_pixels(browsing, screenshot, twilio_live, locale):
    # Issue 28.5: a superuser's eight entries and the language form wrapped onto three rows.
    staff = UserFactory(is_superuser=True, username="operator")
    page = browsing.page(locale=locale, viewport={"width": 1280, "height": 800})
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(staff.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(f"{browsing.base_url}/")
    navbar = page.locator("header nav.navbar")
    box = navbar.bounding_box()
    assert box["height"] <= 64, f"the navbar wraps: {box['height']} px high"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # Every entry is one click away, each on one line.
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    entries = page.locator("#main-nav .nav-link")
    expect(entries).to_have_count(7)
    for entry in entries.all():
        expect(entry).to_be_visible()
        assert entry.bounding_box()["height"] < 48, entry.inner_text()
    options = page.locator("#language-select option")
    expect(options).to_have_text(["English", "Polski"])  # each in its own language, whole
    screenshot(page, f"staff-navbar-1280-{locale[:2]}")
