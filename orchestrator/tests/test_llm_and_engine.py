"""LLM settings resolution, the litellm call itself, and the no-LLM chat engine (§4.6.1, §9.4 point 1)."""

import logging
import os
import re
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings

from orchestrator.chat_engine import chat_engine_reply, not_configured_reply
from orchestrator.llm import PLACEHOLDER_API_KEY, chat_completion, llm_settings
from orchestrator.llm_errors import LLMError, LLMTimeout
from orchestrator.services.turns import ai_reply_process
from orchestrator.tests.helpers import send_to_bot

NOTE = "(AI is not configured on this server: set LITELLM_API_KEY or LITELLM_BASEURL.)"


def test_llm_is_not_configured_without_key_and_base_url(settings):
    settings.LITELLM_API_KEY = ""
    settings.LITELLM_BASEURL = ""
    assert llm_settings().configured is False


def test_a_base_url_alone_configures_an_openai_compatible_model(settings):
    settings.LITELLM_API_KEY = ""
    settings.LITELLM_BASEURL = "http://127.0.0.1:5678"
    settings.LITELLM_MODEL = "llama3"
    config = llm_settings()
    assert config.configured and config.litellm_model == "hosted_vllm/llama3"


def test_a_provider_prefix_and_a_key_without_base_url_are_kept(settings):
    settings.LITELLM_API_KEY = "sk-test"
    settings.LITELLM_BASEURL = ""
    settings.LITELLM_MODEL = "gpt-4o-mini"
    assert llm_settings().litellm_model == "gpt-4o-mini"
    settings.LITELLM_BASEURL = "http://127.0.0.1:5678"
    settings.LITELLM_MODEL = "anthropic/claude"
    assert llm_settings().litellm_model == "anthropic/claude"


@pytest.mark.parametrize("model", ["gpt-3.5-turbo-1106", "openai/gpt-3.5-turbo-1106"])
def test_chat_completion_over_http(fake_llm, settings, model):
    # both routes to an OpenAI-compatible server: litellm's own client (bare name) and the OpenAI SDK
    settings.LITELLM_MODEL = model
    fake_llm.reply("pong", prompt_tokens=3, completion_tokens=1)
    reply = chat_completion(messages=[{"role": "user", "content": "ping"}])
    assert (reply.text, reply.prompt_tokens, reply.completion_tokens) == ("pong", 3, 1)
    assert reply.tool_calls == []
    assert fake_llm.requests[-1]["temperature"] == 0.7
    assert fake_llm.requests[-1]["model"] == "gpt-3.5-turbo-1106"  # the server gets the bare name


def test_the_placeholder_key_is_sent_when_only_a_base_url_is_set(fake_llm, settings):
    settings.LITELLM_API_KEY = ""
    chat_completion(messages=[{"role": "user", "content": "ping"}])
    assert fake_llm.headers[-1]["authorization"] == f"Bearer {PLACEHOLDER_API_KEY}"


def test_tool_calls_are_parsed(fake_llm):
    fake_llm.tool_calls([("get_report", {"report_id": 3}), ("get_my_reports", {})])
    reply = chat_completion(messages=[{"role": "user", "content": "x"}], tools=[])
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [
        ("get_report", '{"report_id": 3}'),
        ("get_my_reports", "{}"),
    ]


def test_a_self_hosted_model_litellm_does_not_know_keeps_its_reply_usage_and_the_projects_prices(
    fake_llm, settings, caplog
):
    """litellm is told once of the name it is routed under (its own response cost, unread, then
    needs no search): the reply, its tool calls and usage come back as before, the project still
    prices the configured names by litellm's map (an unknown one stays unpriced), nothing is logged."""
    from orchestrator.pricing import call_cost

    mapped_before = call_cost(model="gpt-4o-mini", prompt_tokens=1000, completion_tokens=1000)
    settings.LITELLM_MODEL = "local-llama-unpriced"
    fake_llm.tool_calls([("get_report", {"report_id": 3})], content="Looking").reply(
        "Done", prompt_tokens=11, completion_tokens=4
    )
    with caplog.at_level(logging.WARNING, logger="LiteLLM"):
        first = chat_completion(messages=[{"role": "user", "content": "x"}], tools=[])
        second = chat_completion(messages=[{"role": "user", "content": "x"}])
    assert [(c.name, c.arguments) for c in first.tool_calls] == [("get_report", '{"report_id": 3}')]
    assert (second.text, second.prompt_tokens, second.completion_tokens) == ("Done", 11, 4)
    assert fake_llm.requests[-1]["model"] == "local-llama-unpriced"
    assert call_cost(model="local-llama-unpriced", prompt_tokens=11, completion_tokens=4) is None
    settings.LITELLM_MODEL = "gpt-4o-mini"  # a name litellm prices, served by the self-hosted server
    fake_llm.reply("Priced")
    assert chat_completion(messages=[{"role": "user", "content": "x"}]).text == "Priced"
    assert mapped_before is not None
    assert call_cost(model="gpt-4o-mini", prompt_tokens=1000, completion_tokens=1000) == mapped_before
    warnings = [r.getMessage() for r in caplog.records if r.name.startswith("LiteLLM") and r.levelno >= logging.WARNING]
    assert warnings == []


def test_a_client_error_is_not_retried(fake_llm):
    fake_llm.error(400).reply("never")
    with pytest.raises(LLMError) as caught:
        chat_completion(messages=[{"role": "user", "content": "x"}])
    assert caught.value.status_code == 400
    assert len(fake_llm.requests) == 1


def test_retries_are_bounded(fake_llm, settings):
    settings.AI_LLM_RETRIES = 2
    for _ in range(5):
        fake_llm.error(503)
    with pytest.raises(LLMError):
        chat_completion(messages=[{"role": "user", "content": "x"}])
    assert len(fake_llm.requests) == 3


def test_the_deadline_bounds_retries_and_each_call(fake_llm, settings):
    settings.AI_LLM_TIMEOUT_S = 60
    fake_llm.set_latency(0.3)
    for _ in range(5):
        fake_llm.error(500)
    started = time.monotonic()
    with pytest.raises(LLMError):
        chat_completion(messages=[{"role": "user", "content": "x"}], deadline=time.monotonic() + 0.5)
    assert time.monotonic() - started < 1.0
    assert len(fake_llm.requests) <= 2


def test_a_slow_call_times_out(fake_llm, settings):
    settings.AI_LLM_RETRIES = 0
    fake_llm.reply("late", delay=1.0)
    started = time.monotonic()
    with pytest.raises(LLMTimeout):
        chat_completion(messages=[{"role": "user", "content": "x"}], timeout=0.2)
    assert time.monotonic() - started < 0.8


def test_a_timeout_is_retried_within_the_deadline(fake_llm):
    fake_llm.reply("late", delay=1.0).reply("in time")
    reply = chat_completion(messages=[{"role": "user", "content": "x"}], timeout=0.2, deadline=time.monotonic() + 2)
    assert reply.text == "in time"


# --- chat engine ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "body", "expected"),
    [
        ("echo", "hello", "Echo: hello"),
        ("echo", "   ", "Received your message."),
        ("echo", "", "Received your message."),
        (
            "keywords",
            " HELP ",
            "Commands: HELP, START, STOP. Send STOP to stop getting our messages, START to get them again.",
        ),
        ("keywords", "start", "Welcome! You will get our messages. Send STOP at any time to stop them."),
        (
            "keywords",
            "Stop",
            "To stop getting our messages, send STOP by SMS or WhatsApp: you will get none after that.",
        ),
        ("keywords", "help me", "I don't understand this command yet. Type HELP to see the available options."),
        ("keywords", "", "I don't understand this command yet. Type HELP to see the available options."),
        ("off", "hello", None),
        ("unknown", "hello", "Echo: hello"),
    ],
)
def test_chat_engine(settings, mode, body, expected):
    settings.CHAT_MODE = mode
    assert chat_engine_reply(body) == expected


@pytest.mark.parametrize("name", ["LITELLM_API_KEY", "LITELLM_BASEURL"])
def test_the_note_names_the_settings_that_turn_the_ai_on(settings, name):
    settings.CHAT_MODE = "off"
    named = re.findall(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", not_configured_reply("hi"))
    assert named == ["LITELLM_API_KEY", "LITELLM_BASEURL"]
    settings.LITELLM_API_KEY = ""
    settings.LITELLM_BASEURL = ""
    assert not llm_settings().configured
    setattr(settings, name, "http://127.0.0.1:5678" if name == "LITELLM_BASEURL" else "sk-test")
    assert llm_settings().configured


def test_openai_model_is_an_alias_that_litellm_model_beats(tmp_path):
    script = "import django; django.setup(); from django.conf import settings as s; print(s.LITELLM_MODEL)"

    def model(**names: str) -> str:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "LITELLM_MODEL": "", "OPENAI_MODEL": ""}
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=django_settings.BASE_DIR, env={**env, **names},
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return result.stdout.strip().splitlines()[-1]

    # Blank values beat a developer's .env (it never overrides a variable that is set).
    assert model() == "gpt-3.5-turbo-1106"
    assert model(OPENAI_MODEL="gpt-4o-mini") == "gpt-4o-mini"
    assert model(LITELLM_MODEL="llama3", OPENAI_MODEL="gpt-4o-mini") == "llama3"


def test_not_configured_reply_appends_the_note(settings):
    settings.CHAT_MODE = "echo"
    assert not_configured_reply("hi") == f"Echo: hi\n{NOTE}"
    settings.CHAT_MODE = "off"
    assert not_configured_reply("hi") == NOTE


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("echo", f"Echo: zażółć 😀\n{NOTE}"),
        ("keywords", f"I don't understand this command yet. Type HELP to see the available options.\n{NOTE}"),
        ("off", NOTE),
    ],
)
def test_without_an_llm_the_assistant_answers_with_the_chat_engine(user, settings, fake_llm_server, mode, expected):
    settings.LITELLM_API_KEY = ""
    settings.LITELLM_BASEURL = ""
    settings.CHAT_MODE = mode
    fake_llm_server.reset()
    message = send_to_bot(user, "zażółć 😀")

    reply = ai_reply_process(message_id=message.pk)

    assert reply.content == expected
    assert (reply.agent, reply.model, reply.prompt_tokens) == ("chat_engine", "", None)
    message.refresh_from_db()
    assert message.reply_state == "done"
    assert fake_llm_server.requests == []


def test_the_cost_map_switch_is_set_at_import_before_litellm_loads():
    script = (
        "import os, sys; os.environ.pop('LITELLM_LOCAL_MODEL_COST_MAP', None); import orchestrator.llm; "
        "print(os.environ.get('LITELLM_LOCAL_MODEL_COST_MAP'), 'litellm' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=django_settings.BASE_DIR, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    assert result.stdout.split() == ["True", "False"]  # set, and litellm still loads lazily


def test_a_completion_writes_nothing_to_the_process_environment(fake_llm, monkeypatch):
    # The AI worker runs 32 turns in threads of one process: its environment is read-only to them.
    fake_llm.reply("warm-up")
    chat_completion(messages=[{"role": "user", "content": "hi"}])  # litellm's own import-time setup is done
    writes: list[str] = []
    setitem, setdefault = os._Environ.__setitem__, os._Environ.setdefault

    def record_setitem(environ, key, value):
        writes.append(key)
        setitem(environ, key, value)

    def record_setdefault(environ, key, value=None):
        writes.append(key)
        return setdefault(environ, key, value)

    monkeypatch.setattr(os._Environ, "__setitem__", record_setitem)
    monkeypatch.setattr(os._Environ, "setdefault", record_setdefault)
    fake_llm.reply("hello")
    assert chat_completion(messages=[{"role": "user", "content": "hi"}]).text == "hello"
    assert writes == []


def test_preload_loads_litellm_offline(fake_llm):
    """The AI worker's startup step: litellm and its lazily loaded parts, without any request."""
    import sys

    from orchestrator.llm import preload

    preload()

    assert "litellm" in sys.modules
    assert fake_llm.requests == []


@pytest.mark.django_db
def test_preload_enters_the_routed_model_before_the_workers_threads_call(fake_llm, settings):
    """litellm's model map is shared by the AI worker's threads: the configured self-hosted model is
    entered at startup, so no turn writes it while others read it."""
    import litellm

    from orchestrator.llm import preload

    settings.LITELLM_MODEL = "local-llama-preloaded"
    preload()
    assert "hosted_vllm/local-llama-preloaded" in litellm.model_cost
    assert fake_llm.requests == []
