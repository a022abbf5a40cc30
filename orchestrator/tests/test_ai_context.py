"""The model's context is only the conversation (issue 28 point 6): what the server answered in place
of the model (the "AI is not configured" reply, the chat engine's echo, a failed turn's apology) is
shown and sent, but never sent back to the model as history once the AI answers."""

import pytest

from orchestrator.chat_engine import NOT_CONFIGURED_NOTE
from orchestrator.services.turns import FALLBACK_TEXT, SYNC_FALLBACK_TEXT

pytestmark = pytest.mark.django_db


def _turns(request: dict) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in request["messages"] if m["role"] != "system"]


def test_the_not_configured_reply_is_no_context_once_the_ai_is_configured(auth_client, fake_llm, settings):
    settings.LITELLM_BASEURL, settings.LITELLM_API_KEY = "", ""
    unconfigured = auth_client.post("/messages/ai", {"content": "hello"}, format="json")
    assert NOT_CONFIGURED_NOTE in unconfigured.json()["content"]

    settings.LITELLM_BASEURL, settings.LITELLM_API_KEY = fake_llm.url, "sk-fake-llm-placeholder"
    fake_llm.reply("Hi, I am the assistant.")
    auth_client.post("/messages/ai", {"content": "are you there?"}, format="json")
    fake_llm.reply("Yes.")
    auth_client.post("/messages/ai", {"content": "still there?"}, format="json")

    assert _turns(fake_llm.requests[-1]) == [
        ("user", "hello"),
        ("user", "are you there?"),
        ("assistant", "Hi, I am the assistant."),
        ("user", "still there?"),
    ]


def test_a_failed_turn_s_fallback_is_no_context(auth_client, fake_llm):
    fake_llm.error(400)
    assert auth_client.post("/messages/ai", {"content": "hello"}, format="json").json()["content"] == (
        SYNC_FALLBACK_TEXT
    )
    fake_llm.reply("Here now.")
    auth_client.post("/messages/ai", {"content": "hello?"}, format="json")

    assert _turns(fake_llm.requests[-1]) == [("user", "hello"), ("user", "hello?")]
    assert FALLBACK_TEXT not in str(fake_llm.requests[-1])


def test_a_refused_model_s_fallback_is_no_context(auth_client, fake_llm):
    from orchestrator.models import AIConfig

    # A row saved before model names were checked: the turn sends nothing and answers the fallback.
    AIConfig.objects.update_or_create(pk=1, defaults={"model": "http://attacker.example/v1"})
    assert auth_client.post("/messages/ai", {"content": "hello"}, format="json").json()["content"] == (
        SYNC_FALLBACK_TEXT
    )
    assert fake_llm.requests == []

    AIConfig.objects.filter(pk=1).update(model="")
    fake_llm.reply("Here now.")
    auth_client.post("/messages/ai", {"content": "hello?"}, format="json")

    assert _turns(fake_llm.requests[-1]) == [("user", "hello"), ("user", "hello?")]
