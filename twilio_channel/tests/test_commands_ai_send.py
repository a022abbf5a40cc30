"""`python manage.py ai-send` (CONTRACT §6.1): the T18 service from the command line, with the
loopback LLM and Twilio servers; every refusal is a CommandError (a non-zero exit)."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError

from inbox.services.contacts import contact_for, contact_opt_out
from messaging.enums import Channel, Direction
from messaging.models import Message
from orchestrator.models import AIConfig
from twilio_channel.tests.test_ai_helpers import OURS, PROMPT, TARGET, TARGET_AS_ENTERED, sent_messages, thread_message

pytestmark = pytest.mark.django_db

SERVICE = "MG" + "1" * 32


@pytest.fixture
def ai(fake_llm, fake_twilio, settings):
    settings.LITELLM_API_KEY = ""
    AIConfig.objects.update_or_create(pk=1, defaults={"target_number": TARGET_AS_ENTERED, "system_prompt": PROMPT})
    return fake_llm


def ai_send(*args: str) -> str:
    out = StringIO()
    call_command("ai-send", *args, stdout=out)
    return out.getvalue()


def test_ai_send_that_twilio_is_too_busy_for_is_queued_and_says_so(ai, fake_twilio):
    ai.reply("Tomorrow before noon.")
    fake_twilio.fail(429, operation="create")
    output = ai_send("--to", TARGET, "--latest", "When will it arrive?")
    assert output.strip() == f"Twilio is busy: the AI message to {TARGET} is queued and will be sent shortly."
    assert Message.objects.get(direction=Direction.OUTBOUND).status == "queued"


def test_ai_send_to_a_number_with_the_latest_message(ai, fake_twilio):
    thread_message(Direction.OUTBOUND, "Your parcel has shipped.")
    thread_message(Direction.INBOUND, "When will it arrive?")
    ai.reply("Tomorrow before noon.")

    output = ai_send("--to", TARGET, "--latest", "When will it arrive?")

    [sent] = fake_twilio.created(to=TARGET)
    assert output.strip() == f"AI message sent to {TARGET}. SID={sent['sid']}"
    assert (sent["from"], sent["body"]) == (OURS, "Tomorrow before noon.")
    assert sent_messages(ai.requests[0]) == [
        ("system", PROMPT),
        ("assistant", "Your parcel has shipped."),
        ("user", "When will it arrive?"),
    ]
    row = Message.objects.get(external_id=sent["sid"])
    assert (row.direction, row.content, row.from_number, row.status) == (
        "outbound",
        "Tomorrow before noon.",
        OURS,
        sent["status"],
    )
    assert (row.sender_id, row.agent) == (None, "ai_helper")


def test_ai_send_defaults_to_the_configured_target(ai, fake_twilio):
    output = ai_send("--latest", "hi")

    [sent] = fake_twilio.created()
    assert sent["to"] == TARGET
    assert output.strip() == f"AI message sent to {TARGET_AS_ENTERED}. SID={sent['sid']}"


@pytest.mark.parametrize(("flag", "turns"), [([], 3), (["--history-limit", "2"], 2), (["--history-limit", "0"], 1)])
def test_ai_send_history_limit(ai, flag, turns):
    for n in range(3):
        thread_message(Direction.INBOUND if n % 2 == 0 else Direction.OUTBOUND, f"turn {n}")

    ai_send("--latest", "now", *flag)

    history = sent_messages(ai.requests[0])[1:-1]  # between the system prompt and the latest message
    assert history == [(role, f"turn {n}") for n, role in enumerate(["user", "assistant", "user"])][-turns:]


def test_ai_send_through_the_messaging_service(ai, fake_twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = SERVICE

    ai_send("--latest", "hi", "--use-messaging-service")
    ai_send("--latest", "hi")  # without the flag: the default From, as in seed 2

    with_flag, without = fake_twilio.created()
    assert fake_twilio.create_params(with_flag["sid"])["MessagingServiceSid"] == [SERVICE]
    assert "From" not in fake_twilio.create_params(with_flag["sid"])
    assert fake_twilio.create_params(without["sid"])["From"] == [OURS]
    assert "MessagingServiceSid" not in fake_twilio.create_params(without["sid"])


def test_ai_send_messaging_service_flag_without_a_service(ai, fake_twilio):
    with pytest.raises(CommandError, match=r"^No TWILIO_MESSAGING_SERVICE_SID is configured\.$"):
        ai_send("--latest", "hi", "--use-messaging-service")
    assert fake_twilio.created() == []


def test_ai_send_without_a_key(ai, settings):
    settings.LITELLM_BASEURL = ""

    with pytest.raises(CommandError, match=r"^No saved OpenAI key\. Set OPENAI_API_KEY or save it in the panel\.$"):
        ai_send("--latest", "hi")
    assert ai.requests == []


@pytest.mark.parametrize("to", [[], ["--to", "not-a-number"]])
def test_ai_send_without_a_recipient(ai, to):
    AIConfig.objects.filter(pk=1).update(target_number="", target_number_normalized="")

    with pytest.raises(CommandError, match=r"^Provide a recipient number \(--to\) or configure the AI target"):
        ai_send("--latest", "hi", *to)
    assert ai.requests == []


@pytest.mark.parametrize("content", ["", "  ", None])
def test_ai_send_when_the_ai_returns_nothing(ai, fake_twilio, content):
    ai.reply(content)

    with pytest.raises(CommandError, match=r"^AI returned no message content\.$"):
        ai_send("--latest", "hi")
    assert fake_twilio.created() == []


def test_ai_send_when_the_llm_fails(ai):
    ai.error(401)

    with pytest.raises(CommandError, match=r"^OpenAI request failed: auth_error \(HTTP 401\)$"):
        ai_send("--latest", "hi")


def test_ai_send_refusals_use_the_api_texts(ai, fake_twilio, settings):
    contact_opt_out(contact=contact_for(number=TARGET, channel=Channel.SMS), source="keyword")
    with pytest.raises(CommandError, match=r"^Recipient has opted out\.$"):
        ai_send("--latest", "hi")
    with pytest.raises(CommandError, match=r"^WhatsApp 24-hour window closed; provide content_sid\.$"):
        ai_send("--to", f"whatsapp:{TARGET}", "--latest", "hi")
    settings.TWILIO_AUTH_TOKEN = ""
    with pytest.raises(CommandError, match=r"^Twilio is not configured\.$"):
        ai_send("--latest", "hi")
    assert fake_twilio.created() == []


def test_ai_send_when_twilio_fails_keeps_the_generated_text(ai, fake_twilio):
    ai.reply("Generated words.")
    fake_twilio.fail(400, 21211, operation="create")

    with pytest.raises(CommandError, match=r"^Twilio send failed$"):
        ai_send("--latest", "hi")
    [row] = Message.objects.filter(direction=Direction.OUTBOUND)
    assert (row.status, row.content) == ("failed", "Generated words.")


def test_ai_send_rejects_a_history_limit_that_is_no_number(ai):
    with pytest.raises(CommandError, match="history-limit"):
        ai_send("--history-limit", "many")
    assert ai.requests == []


def test_the_hyphenated_command_runs_and_exits_non_zero_on_a_refusal(tmp_path):
    # A process of its own on an empty database: no key anywhere, so it stops before any query.
    blank = {name: "" for name in ("LITELLM_API_KEY", "OPENAI_API_KEY", "LITELLM_BASEURL")}
    env = {
        **os.environ,
        **blank,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "ai-send", "--to", TARGET, "--latest", "hi"],
        cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert result.returncode == 1, result.stderr
    assert "No saved OpenAI key. Set OPENAI_API_KEY or save it in the panel." in result.stderr
    assert result.stdout == ""
