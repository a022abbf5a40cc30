"""A request Django refuses before any view (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many
form fields) is a 400 that API clients get as JSON in their path's dialect, as every other error."""

import json

import pytest

from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def test_the_project_answers_bad_requests_with_the_json_handler():
    from config import urls

    assert urls.handler400 == "core.views.bad_request"


def test_a_body_over_the_limit_is_a_json_400_and_stores_nothing(user, settings):
    from messaging.models import Message

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = client_for(user)
    client.raise_request_exception = False
    body = json.dumps({"recipient_id": -1, "content": "x" * 20_000})
    response = client.post("/messages", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is too large."}
    assert not Message.objects.exists()


def test_too_many_form_fields_are_a_json_400_in_each_dialect(client, settings, superuser):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    fields = "&".join(f"field{n}=1" for n in range(50))
    client.raise_request_exception = False
    response = client.post("/auth/login", data=fields, content_type="application/x-www-form-urlencoded")
    assert (response.status_code, response.json()) == (400, {"detail": "Too many fields in the request."})
    staff = client_for(superuser)
    staff.raise_request_exception = False
    response = staff.post("/api/send-message", data=fields, content_type="application/x-www-form-urlencoded")
    assert (response.status_code, response.json()) == (400, {"error": "Too many fields in the request."})


def test_a_page_keeps_the_html_400(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    fields = "&".join(f"field{n}=1" for n in range(50))
    client.raise_request_exception = False
    response = client.post("/accounts/login/", data=fields, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
