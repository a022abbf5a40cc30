"""The phone simulator (issue 28 point 2): a superuser types as any number; the message goes through
the webhook's own pipeline (contact, dedup, modes, AI, outbound rows) and the page shows the thread
as the contact sees it. Replies go to the Twilio stand-in; with a real Twilio only when confirmed."""

import re

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from inbox.models import Contact
from messaging.enums import Direction
from messaging.models import Message
from reports.models import Report
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

STRANGER = "+48600700800"
OUR_NUMBER = "+15550001111"
HTML = {"HTTP_ACCEPT": "text/html"}


@pytest.fixture
def superuser_client(db):
    client = Client()
    client.force_login(UserFactory(is_superuser=True, username="operator"))
    return client


@pytest.fixture
def send(superuser_client, django_capture_on_commit_callbacks):
    """Submit the simulator's form; the queued reply work runs as the workers would."""

    def post(body: str, *, number: str = STRANGER, channel: str = "sms", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            form = {"number": number, "channel": channel, "body": body, **extra}
            return superuser_client.post("/staff/simulator/", form)

    return post


def test_a_stranger_gets_the_chat_engines_reply_captured_by_the_stand_in(send, superuser_client, fake_twilio, settings):
    settings.CHAT_MODE = "echo"
    response = send("Hello there")

    assert response.status_code == 302
    assert response["Location"] == "/?tab=simulator&number=%2B48600700800&channel=sms"
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert (inbound.from_number, inbound.to_number, inbound.content) == (STRANGER, OUR_NUMBER, "Hello there")
    assert inbound.twilio_sid.startswith("SM") and len(inbound.twilio_sid) == 34
    assert Contact.objects.filter(address=STRANGER, channel="sms").exists()
    [sent] = fake_twilio.created(to=STRANGER)  # through the real SDK to the stand-in, not a phone
    assert (sent["body"], sent["from"]) == ("Echo: Hello there", OUR_NUMBER)

    page = superuser_client.get(response["Location"], **HTML)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="simulator-captured"' in html and 'id="simulator-live"' not in html
    assert html.index("Hello there") < html.index("Echo: Hello there")
    assert f'id="simulator-message-{inbound.pk}"' in html and "simulator-sent" in html and "simulator-received" in html
    fragment = superuser_client.get("/staff/simulator/thread/", {"number": STRANGER, "channel": "sms"})
    assert fragment.status_code == 200 and "Echo: Hello there" in fragment.content.decode()


def test_a_verified_users_phone_gets_the_ai_with_their_tools(send, fake_twilio, fake_llm):
    ann = UserFactory(username="ann", phone_number=STRANGER, phone_verified=True)
    fake_llm.tool_call("create_report", {"title": "Broken router", "content": "Room 5"})
    fake_llm.reply("Filed: Broken router.")

    assert send("report: my router is broken").status_code == 302

    assert Report.objects.get(reporter=ann).title == "Broken router"
    [sent] = fake_twilio.created(to=STRANGER)
    assert sent["body"] == "Filed: Broken router."


def test_whatsapp_keeps_its_prefix(send, fake_twilio, settings):
    settings.CHAT_MODE = "echo"
    assert send("Hi", channel="whatsapp").status_code == 302
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert (inbound.channel, inbound.from_number, inbound.to_number) == (
        "whatsapp",
        f"whatsapp:{STRANGER}",
        f"whatsapp:{OUR_NUMBER}",
    )
    [sent] = fake_twilio.created(to=f"whatsapp:{STRANGER}")
    assert sent["body"] == "Echo: Hi"


def test_with_a_real_twilio_the_replies_are_sent_only_when_confirmed(send, twilio_settings, settings, superuser_client):
    settings.TWILIO_API_BASE_URL = ""  # the real Twilio
    settings.AUTO_REPLY_LIMIT_PER_CONTACT = 0  # nothing is answered: this test sends nothing anywhere

    refused = send("Hello")
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Twilio is live: the replies really go to this number" in html
    assert 'id="simulator-live"' in html and 'name="send_for_real"' in html
    assert not Message.objects.exists()

    assert superuser_client.get("/?tab=simulator", **HTML).status_code == 200
    assert send("Hello", send_for_real="on").status_code == 302
    assert Message.objects.filter(direction=Direction.INBOUND, from_number=STRANGER).count() == 1
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


@pytest.mark.parametrize(
    ("fields", "field", "error"),
    [
        ({"number": "12345"}, "number", "E.164"),
        ({"number": ""}, "number", "Enter the number to write from."),
        ({"channel": "fax"}, "channel", "Select a valid choice"),
        ({"body": ""}, "body", "Type a message first."),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(send, fake_twilio, fields, field, error):
    response = send(**{"body": "hi", **fields})
    assert response.status_code == 400
    html = response.content.decode()
    assert error in html
    assert f'id="id_{field}"' in html
    assert not Message.objects.exists() and not Contact.objects.exists()


def test_without_our_number_the_simulator_says_so(send, fake_twilio, settings):
    settings.TWILIO_DEFAULT_FROM = ""
    response = send("hi")
    assert response.status_code == 400
    assert "The simulator writes to TWILIO_DEFAULT_FROM" in response.content.decode()
    assert not Message.objects.exists()


def test_agents_and_users_may_not_use_it(db):
    agent = Client()
    agent.force_login(UserFactory(is_staff=True, username="agent"))
    for client in (agent,):
        assert client.get("/?tab=simulator", **HTML).status_code == 403
        assert client.post("/staff/simulator/", {"number": STRANGER, "channel": "sms", "body": "x"}).status_code == 403
        assert client.get("/staff/simulator/thread/", {"number": STRANGER}).status_code == 403
    user = Client()
    user.force_login(UserFactory(username="plain"))
    assert user.post("/staff/simulator/", {"number": STRANGER, "channel": "sms", "body": "x"}).status_code == 403
    assert "Phone simulator" not in agent.get("/", **HTML).content.decode()
    assert not Message.objects.exists()


def test_a_json_body_is_refused(superuser_client):
    response = superuser_client.post(
        "/staff/simulator/", {"number": STRANGER, "body": "x"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert not Message.objects.exists()


def test_the_page_speaks_polish(superuser_client, fake_twilio, settings):
    settings.CHAT_MODE = "echo"
    page = superuser_client.get("/?tab=simulator", HTTP_ACCEPT="text/html", HTTP_ACCEPT_LANGUAGE="pl")
    html = page.content.decode()
    assert "Symulator telefonu" in html and "Wyślij jako ten kontakt" in html
    assert "Twilio jest lokalnym zastępnikiem" in html
    refused = superuser_client.post(
        "/staff/simulator/", {"number": "123", "channel": "sms", "body": "x"}, HTTP_ACCEPT_LANGUAGE="pl"
    )
    assert refused.status_code == 400


def test_with_the_stand_in_the_phone_shows_what_twilio_got_so_a_demo_user_can_verify(
    superuser_client, fake_twilio, settings
):
    """The stored row keeps a verification code masked; the simulated phone, like a real one, shows
    the text Twilio got, so in demo mode a user can verify a number by reading the code here."""
    ann = UserFactory(username="ann", phone_number=STRANGER)
    client = client_for(ann)
    assert client.post("/auth/me/phone/verify", {}, format="json").status_code == 202
    stored = Message.objects.get(direction=Direction.OUTBOUND, to_number=STRANGER)
    assert re.search(r"\d{6}", stored.content) is None  # masked in the database

    html = superuser_client.get("/staff/simulator/thread/", {"number": STRANGER, "channel": "sms"}).content.decode()
    code = re.search(r"\b(\d{6})\b", html).group(1)
    assert client.post("/auth/me/phone/verify/confirm", {"code": code}, format="json").status_code == 200
    ann.refresh_from_db()
    assert ann.phone_verified_at is not None

    settings.TWILIO_API_BASE_URL = ""  # a real Twilio: the real phone has the code, the page shows the stored row
    html = superuser_client.get("/staff/simulator/thread/", {"number": STRANGER, "channel": "sms"}).content.decode()
    assert code not in html
