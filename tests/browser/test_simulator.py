"""The staff panel's phone simulator in a real browser (issue 28 point 2): a superuser writes as a
number, the message goes through the inbound pipeline (a real Celery worker), the reply goes to the
demo mode's Twilio stand-in, whose signed status callback marks it delivered on the simulated phone."""

import pytest
from playwright.sync_api import expect

from demo.twilio_standin import DemoTwilioServer
from messaging.enums import Direction
from messaging.models import Message
from tests.browser.test_staff_panel import celery_worker_app, staff_login  # noqa: F401 - a fixture and a helper
from twilio_channel.panel_views import simulator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUR_NUMBER = "+15550001111"
CONTACT = "+48600700900"


@pytest.fixture(scope="module")
def stand_in():
    server = DemoTwilioServer(callback_delay=0.05).start()
    yield server
    server.stop()


@pytest.fixture
def demo_twilio(settings, stand_in, live_server, monkeypatch, celery_worker_app):  # noqa: F811
    stand_in.reset()
    settings.TWILIO_ACCOUNT_SID = stand_in.account_sid
    settings.TWILIO_AUTH_TOKEN = stand_in.auth_token
    settings.TWILIO_DEFAULT_FROM = OUR_NUMBER
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_API_BASE_URL = stand_in.url
    settings.TWILIO_HTTP_TIMEOUT_S = 2
    settings.TWILIO_VALIDATE_SIGNATURE = True
    settings.PUBLIC_BASE_URL = live_server.url  # the stand-in's status callbacks come here
    settings.CHAT_MODE = "echo"
    monkeypatch.setattr(simulator, "SIMULATOR_REFRESH_S", 1)
    return stand_in


def test_a_message_typed_as_a_contact_is_answered_and_delivered(browsing, screenshot, demo_twilio):
    page = staff_login(browsing)
    page.get_by_role("link", name="Phone simulator").click()
    expect(page.locator("#simulator-captured")).to_be_visible()
    expect(page.locator("#simulator-empty")).to_be_visible()

    page.get_by_label("Write as").fill(CONTACT)
    page.get_by_label("Message", exact=True).fill("Hello from the simulator")
    page.get_by_role("button", name="Send as this contact").click()

    expect(page.locator(".simulator-sent .message-body")).to_have_text("Hello from the simulator")
    reply = page.locator(".simulator-received", has_text="Echo: Hello from the simulator")
    expect(reply).to_be_visible(timeout=15000)  # the worker's reply, by the phone's refresh
    expect(reply.locator(".status-badge")).to_have_text("delivered", timeout=15000)  # the stand-in's callback
    [sent] = demo_twilio.created(to=CONTACT)
    assert sent["body"] == "Echo: Hello from the simulator"
    assert Message.objects.filter(direction=Direction.INBOUND, from_number=CONTACT).count() == 1
    screenshot(page, "staff-simulator")

    # A bad number is refused on its field, in words; nothing is stored.
    page.get_by_label("Write as").fill("12345")
    page.get_by_label("Message", exact=True).fill("again")
    page.get_by_role("button", name="Send as this contact").click()
    expect(page.get_by_text("E.164").first).to_be_visible()
    assert Message.objects.filter(content="again").count() == 0
