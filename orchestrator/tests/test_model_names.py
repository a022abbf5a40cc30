"""A model setting is a name, never a place (issue 22 point 3): the one check, the LLM call that
refuses a name stored before the check existed, and the migration that clears such a name."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from orchestrator.llm import chat_completion
from orchestrator.llm_errors import LLMError
from orchestrator.model_names import (
    MODEL_NOT_A_NAME,
    MODEL_PROVIDER_NOT_ALLOWED,
    MODEL_TOO_LONG,
    model_name_problem,
    validate_model_name,
)
from orchestrator.models import AIConfig
from orchestrator.services.turns import FALLBACK_TEXT, ai_reply_process
from orchestrator.tests.helpers import send_to_bot

ATTACKER = "oobabooga/http://127.0.0.1:9/v1/completions"


@pytest.mark.parametrize(
    "name",
    [
        "",
        "gpt-4o",
        "gpt-3.5-turbo-1106",
        "openai/gpt-4o",
        "anthropic/claude-3-5-sonnet-latest",
        "azure/my-deployment",
        "groq/llama-3.1-70b-versatile",
        "mistral/mistral-large-latest",
        "gemini/gemini-1.5-pro",
        "openrouter/meta-llama/llama-3-70b-instruct",
        "bedrock/anthropic.claude-3-sonnet-20240229-v1:0",
        "hosted_vllm/qwen2.5:7b",
        "llama3.1:8b",
    ],
)
def test_model_names_are_accepted(name):
    assert model_name_problem(name) is None
    validate_model_name(name)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (ATTACKER, MODEL_NOT_A_NAME),
        ("http://attacker.example/v1", MODEL_NOT_A_NAME),
        ("openai/http://attacker.example", MODEL_NOT_A_NAME),
        ("openai//attacker.example", MODEL_NOT_A_NAME),
        ("user@attacker.example", MODEL_NOT_A_NAME),
        ("gpt 4o", MODEL_NOT_A_NAME),
        ("gpt-4o\n", MODEL_NOT_A_NAME),
        ("gpt-4o\x00", MODEL_NOT_A_NAME),
        ("azure/../../admin", MODEL_NOT_A_NAME),
        ("/gpt-4o", MODEL_NOT_A_NAME),
        ("gpt-4o/", MODEL_NOT_A_NAME),
        ("oobabooga/my-model", MODEL_PROVIDER_NOT_ALLOWED),
        ("ollama/llama3", MODEL_PROVIDER_NOT_ALLOWED),
        ("huggingface/bigcode/starcoder", MODEL_PROVIDER_NOT_ALLOWED),
        ("OpenAI/gpt-4o", MODEL_PROVIDER_NOT_ALLOWED),
        ("g" * 101, MODEL_TOO_LONG),
    ],
)
def test_anything_else_is_refused_with_its_reason(name, problem):
    assert model_name_problem(name) == problem
    with pytest.raises(ValidationError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        validate_model_name(name)


def test_the_allow_list_is_a_setting(settings):
    settings.AI_MODEL_PROVIDERS = ["ollama"]
    assert model_name_problem("ollama/llama3") is None
    assert model_name_problem("openai/gpt-4o") == MODEL_PROVIDER_NOT_ALLOWED
    assert model_name_problem("ollama/http://x") == MODEL_NOT_A_NAME  # never a URL, whatever the list


@pytest.mark.django_db
def test_the_row_refuses_a_url_for_a_model():
    config = AIConfig(model=ATTACKER)
    with pytest.raises(ValidationError) as refused:
        config.full_clean()
    assert refused.value.message_dict == {"model": [MODEL_NOT_A_NAME]}


@pytest.mark.django_db
def test_the_llm_call_refuses_a_stored_url_and_sends_nothing(fake_llm):
    AIConfig.objects.create(model=ATTACKER)  # as stored before the check existed (no full_clean)
    with pytest.raises(LLMError) as refused:
        chat_completion(messages=[{"role": "user", "content": "ping"}])
    assert (refused.value.kind, refused.value.transient) == ("model_refused", False)
    assert fake_llm.requests == []


@pytest.mark.django_db
def test_the_llm_call_refuses_an_unlisted_environment_model(fake_llm, settings):
    settings.LITELLM_MODEL = "ollama/llama3"
    with pytest.raises(LLMError, match="model_refused"):
        chat_completion(messages=[{"role": "user", "content": "ping"}])
    assert fake_llm.requests == []


@pytest.mark.django_db
def test_an_ai_turn_with_a_stored_url_answers_the_fallback_and_logs_why(user, fake_llm, orchestrator_log):
    AIConfig.objects.create(model=ATTACKER)
    fake_llm.reply("never sent")
    reply = ai_reply_process(message_id=send_to_bot(user, "my private text").pk)
    assert reply.content == FALLBACK_TEXT
    assert fake_llm.requests == []
    assert "model_refused" in orchestrator_log.text
    assert "127.0.0.1:9" not in orchestrator_log.text


# --- the data migration ----------------------------------------------------------------------

BEFORE = [("orchestrator", "0001_ai_config")]


def migrated_from_0001_with(model: str) -> AIConfig:
    """The row as 0001 stored it with `model`, then every migration up to the newest (so the tests
    that follow find the whole schema)."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("orchestrator", "AIConfig")
    old.objects.create(pk=1, model=model, system_prompt="Kept.")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    return AIConfig.objects.get(pk=1)


@pytest.mark.django_db(transaction=True)
def test_the_migration_clears_a_stored_model_that_is_no_allowed_name():
    config = migrated_from_0001_with(ATTACKER)
    assert (config.model, config.system_prompt) == ("", "Kept.")


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_an_allowed_model():
    assert migrated_from_0001_with("anthropic/claude-3-5-sonnet-latest").model == "anthropic/claude-3-5-sonnet-latest"


# --- the system check -------------------------------------------------------------------------


def test_a_refused_litellm_model_is_a_warning_of_the_system_checks(settings):
    from django.core.checks import run_checks

    settings.LITELLM_MODEL = ATTACKER
    warnings = [message for message in run_checks() if message.id == "orchestrator.W001"]
    assert [message.msg for message in warnings] == [f"LITELLM_MODEL (or OPENAI_MODEL) is refused: {MODEL_NOT_A_NAME}"]
    settings.LITELLM_MODEL = "gpt-4o-mini"
    assert not [message for message in run_checks() if message.id == "orchestrator.W001"]
