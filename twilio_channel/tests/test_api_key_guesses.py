"""Wrong `X-API-Key` guesses count against the client address's login ceiling (issue 22 point 5):
past it the address gets 429 with Retry-After, the right key included, and so do its logins."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

API_KEY = "staff-api-key-for-tests-0123456789"
THROTTLED = {"error": "Too many failed login attempts. Try again later."}


def key_call(key: str, ip: str):
    return Client(REMOTE_ADDR=ip).get("/api/messages", HTTP_X_API_KEY=key)


def test_fifty_wrong_keys_from_an_address_lock_it_out_the_right_key_and_logins_too(settings, user):
    settings.APP_API_KEY = API_KEY
    for i in range(50):
        assert key_call(f"guess-{i}", "10.0.5.1").status_code == 401
    refused = key_call(API_KEY, "10.0.5.1")
    assert (refused.status_code, refused.json()) == (429, THROTTLED)
    assert 1 <= int(refused["Retry-After"]) <= settings.LOGIN_FAILURE_WINDOW_S
    login = APIClient().post(
        "/auth/login", {"username": user.username, "password": "secret123"}, format="json", REMOTE_ADDR="10.0.5.1"
    )
    assert login.status_code == 429
    # Another address is not affected.
    assert key_call(API_KEY, "10.0.5.2").status_code == 200


def test_the_right_key_counts_nothing(settings):
    settings.APP_API_KEY = API_KEY
    for _ in range(60):
        assert key_call(API_KEY, "10.0.5.3").status_code == 200


def test_a_key_sent_where_none_is_configured_is_a_guess_too(settings):
    settings.APP_API_KEY = ""
    for _ in range(50):
        assert key_call("anything", "10.0.5.4").status_code == 401
    assert key_call("anything", "10.0.5.4").status_code == 429
