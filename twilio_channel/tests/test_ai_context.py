"""Over SMS the model's context is only the conversation too (issue 28 point 6): the chat engine's
echo and a failed turn's apology reached the contact, but neither the AI's turn nor the staff's AI
helpers send them to the model."""

import pytest

from orchestrator.models import AIConfig
from orchestrator.services.turns import FALLBACK_TEXT
from tests.helpers import client_for
from twilio_channel.tests.test_inbound import STRANGER, deliver, replies_to  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def _turns(request: dict) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in request["messages"] if m["role"] != "system"]


def test_the_chat_engine_s_echo_is_no_context_once_the_ai_answers(deliver, fake_llm, settings):  # noqa: F811
    settings.CHAT_MODE = "echo"
    deliver("hello", from_=STRANGER, sid=1)
    assert replies_to(STRANGER) == ["Echo: hello"]

    AIConfig.objects.update_or_create(pk=1, defaults={"enabled": True})
    fake_llm.reply("Hi, how can I help?")
    deliver("is anyone there?", from_=STRANGER, sid=2)

    assert _turns(fake_llm.requests[-1]) == [("user", "hello"), ("user", "is anyone there?")]


def test_the_staff_ai_test_leaves_out_fallbacks_and_echoes(deliver, fake_llm, settings, superuser):  # noqa: F811
    settings.CHAT_MODE = "echo"
    deliver("hello", from_=STRANGER, sid=1)  # echoed
    AIConfig.objects.update_or_create(pk=1, defaults={"enabled": True, "target_number": STRANGER})
    fake_llm.error(400)
    deliver("anyone?", from_=STRANGER, sid=2)  # the turn fails: the contact gets the apology
    assert replies_to(STRANGER) == ["Echo: hello", FALLBACK_TEXT]
    fake_llm.reply("Pong.")

    response = client_for(superuser).post("/api/ai/test", {"message": "Ping?"}, format="json")

    assert response.status_code == 200, response.content
    assert _turns(fake_llm.requests[-1]) == [("user", "hello"), ("user", "anyone?"), ("user", "Ping?")]
