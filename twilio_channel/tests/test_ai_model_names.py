"""The AI model is a name, never a URL (issue 22 point 3), wherever it comes in: the staff API, the
panel, the admin, the environment's bootstrap; and `/api/ai/test` says so before any request, so a
refused model never reflects a remote answer."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from orchestrator.enums import AIEnabledSource
from orchestrator.model_names import MODEL_NOT_A_NAME, MODEL_PROVIDER_NOT_ALLOWED
from orchestrator.models import AIConfig
from tests.helpers import capturing
from twilio_channel.bootstrap import ai_config_bootstrap, ai_env_overrides

pytestmark = pytest.mark.django_db

ATTACKER = "oobabooga/http://127.0.0.1:9/v1/completions"
TARGET = "+48123456789"


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(UserFactory(is_superuser=True))
    return client


def post_json(client, path: str, body: dict):
    return client.post(path, json.dumps(body), content_type="application/json")


# --- POST /api/ai/config -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "error"),
    [
        (ATTACKER, MODEL_NOT_A_NAME),
        ("http://attacker.example/v1", MODEL_NOT_A_NAME),
        ("gpt-4o @attacker", MODEL_NOT_A_NAME),
        ("ollama/llama3", MODEL_PROVIDER_NOT_ALLOWED),
    ],
)
def test_the_api_refuses_a_model_that_is_no_allowed_name_and_changes_nothing(staff_client, model, error):
    AIConfig.objects.create(model="gpt-4o-mini", system_prompt="Before.")
    response = post_json(staff_client, "/api/ai/config", {"enabled": False, "model": model, "system_prompt": "After."})
    assert (response.status_code, response.json()) == (400, {"error": error})
    config = AIConfig.objects.get()
    assert (config.model, config.system_prompt) == ("gpt-4o-mini", "Before.")


def test_the_api_accepts_a_provider_on_the_list(staff_client):
    response = post_json(staff_client, "/api/ai/config", {"enabled": False, "model": "anthropic/claude-3-5-haiku"})
    assert response.status_code == 200, response.content
    assert AIConfig.objects.get().model == "anthropic/claude-3-5-haiku"


# --- POST /api/ai/test ---------------------------------------------------------------------------


def test_ai_test_with_a_stored_url_is_a_400_naming_the_model_and_sends_nothing(staff_client, fake_llm, fake_twilio):
    AIConfig.objects.create(model=ATTACKER, target_number=TARGET)  # stored before names were checked
    response = post_json(staff_client, "/api/ai/test", {"message": "Ping?"})
    assert (response.status_code, response.json()) == (400, {"error": MODEL_NOT_A_NAME})
    assert fake_llm.requests == []


# --- the panel -----------------------------------------------------------------------------------


def test_the_panel_shows_the_refusal_on_the_model_field(staff_client):
    form = {"temperature": "0.7", "model": ATTACKER}
    response = staff_client.post("/staff/ai/", form)
    assert response.status_code == 400
    assert "must be a model name" in response.content.decode()
    assert not AIConfig.objects.filter(model=ATTACKER).exists()
    polish = staff_client.post("/staff/ai/", form, HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Model musi być nazwą modelu" in polish


# --- the admin -----------------------------------------------------------------------------------


def test_the_admin_refuses_a_url_for_a_model(staff_client):
    form = {"target_number": "", "system_prompt": "", "model": ATTACKER, "temperature": "0.7", "api_key": ""}
    response = staff_client.post(reverse("admin:orchestrator_aiconfig_add"), form)
    assert response.status_code == 200  # the form again, with its errors
    assert response.context["adminform"].form.errors == {"model": [MODEL_NOT_A_NAME]}
    assert not AIConfig.objects.exists()


# --- the environment's bootstrap -----------------------------------------------------------------


@pytest.fixture
def no_ai_env(settings):
    for name in ("AI_ENABLED", "AI_TARGET_NUMBER", "AI_SYSTEM_PROMPT", "AI_ENV_MODEL", "AI_ENV_TEMPERATURE"):
        setattr(settings, name, None)
    return settings


def test_the_bootstrap_ignores_a_url_for_a_model_with_a_warning_and_keeps_the_stored_one(no_ai_env, caplog):
    AIConfig.objects.create(model="gpt-4o-mini", enabled_source=AIEnabledSource.DB)
    no_ai_env.AI_ENV_MODEL = ATTACKER
    no_ai_env.AI_SYSTEM_PROMPT = "From env."
    with capturing(caplog, "twilio_webhook") as log:
        assert ai_env_overrides() == {"system_prompt": "From env."}
        outcome = ai_config_bootstrap()
    assert outcome.status == "applied"
    config = AIConfig.objects.get()
    assert (config.model, config.system_prompt) == ("gpt-4o-mini", "From env.")
    assert f"Ignoring LITELLM_MODEL/OPENAI_MODEL from env: {MODEL_NOT_A_NAME}" in log.text
    assert "127.0.0.1:9" not in log.text
