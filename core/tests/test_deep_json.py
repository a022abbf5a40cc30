"""A JSON body nested deeper than the parser can follow (issue 22 point 6) is a 400 that says so on
every endpoint that reads JSON, never a 500 from the parser's RecursionError."""

import json

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from core.json_input import TOO_DEEP, json_loads

pytestmark = pytest.mark.django_db

DEPTH = 10_000
DEEP_LIST = "[" * DEPTH + "]" * DEPTH
DEEP_OBJECT = '{"a":' * DEPTH + "1" + "}" * DEPTH


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(UserFactory(is_superuser=True))
    return client


@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT], ids=["list", "object"])
@pytest.mark.parametrize("path", ["/auth/login", "/api/v1/auth/login", "/auth/register"])
def test_an_anonymous_public_api_endpoint_answers_400_to_deep_json(client, path, body):
    response = client.post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": f"JSON parse error - {TOO_DEEP}"}


def test_an_authenticated_public_api_endpoint_answers_400_to_deep_json(auth_client):
    response = auth_client.post("/messages", DEEP_LIST, content_type="application/json")
    assert response.status_code == 400
    assert TOO_DEEP in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/ai/config", "/api/auto-reply/config", "/api/send-message", "/api/ai/test"])
def test_a_staff_api_endpoint_answers_400_to_deep_json(staff_client, path):
    response = staff_client.post(path, DEEP_OBJECT, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"error": TOO_DEEP}


def test_deep_json_changes_nothing_on_the_ai_config(staff_client):
    from orchestrator.models import AIConfig

    staff_client.post("/api/ai/config", DEEP_OBJECT, content_type="application/json")
    assert not AIConfig.objects.exists()


def test_json_loads_reads_what_json_reads_and_names_a_too_deep_body():
    assert json_loads('{"a": [1, 2]}') == json.loads('{"a": [1, 2]}')
    with pytest.raises(ValueError, match=TOO_DEEP):
        json_loads(DEEP_LIST)


def test_the_unsigned_json_webhook_answers_400_to_deep_json(client, settings):
    settings.TWILIO_VALIDATE_SIGNATURE = False  # only then does /twilio_webhook read JSON
    response = client.post("/twilio_webhook", DEEP_OBJECT, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "From, To and MessageSid are required"}


def test_deep_tool_arguments_from_the_model_are_an_error_text_for_the_model():
    from orchestrator.tools.base import parse_arguments

    with pytest.raises(ValueError, match=TOO_DEEP):
        parse_arguments(DEEP_OBJECT)


def test_the_panels_template_variables_field_refuses_deep_json(staff_client):
    form = {"body": "", "content_sid": "HX" + "0" * 32, "content_variables": "[" * DEPTH}
    response = staff_client.post("/chat/+48123456789/reply", form)
    assert response.status_code == 400  # the form's error, as for any text that is no JSON object
