"""Sign-ups per client address (issue 22 point 5): `POST /auth/register` and the panel's page share
one counter; past REGISTRATIONS_PER_IP in REGISTRATION_WINDOW_S the address gets 429 with
Retry-After and nothing is created."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User

pytestmark = pytest.mark.django_db

THROTTLED = "Too many sign-ups from this address. Try again later."


def api_sign_up(name: str, ip: str = "10.0.7.1", **headers):
    body = {"username": name, "email": f"{name}@example.com", "password": "s3cret-pass"}
    return APIClient().post("/auth/register", body, format="json", REMOTE_ADDR=ip, **headers)


def panel_sign_up(name: str, ip: str = "10.0.7.1", **headers):
    form = {
        "username": name,
        "email": f"{name}@example.com",
        "password": "s3cret-pass",
        "password_confirm": "s3cret-pass",
    }
    return Client(REMOTE_ADDR=ip).post("/accounts/register/", form, **headers)


def test_the_api_allows_ten_sign_ups_per_address_then_429(settings):
    assert (settings.REGISTRATIONS_PER_IP, settings.REGISTRATION_WINDOW_S) == (10, 3600)
    for i in range(10):
        assert api_sign_up(f"user{i}").status_code == 201
    refused = api_sign_up("one-too-many")
    assert (refused.status_code, refused.json()) == (429, {"detail": THROTTLED})
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert not User.objects.filter(username="one-too-many").exists()
    assert api_sign_up("elsewhere", ip="10.0.7.2").status_code == 201


def test_refused_sign_ups_count_too(settings, user):
    settings.REGISTRATIONS_PER_IP = 3
    for _ in range(3):
        assert api_sign_up(user.username).status_code == 400  # taken: it tells that the name exists
    assert api_sign_up("fresh").status_code == 429


def test_the_panel_and_the_api_share_the_counter(settings):
    settings.REGISTRATIONS_PER_IP = 3
    assert api_sign_up("api1").status_code == 201
    assert panel_sign_up("panel1").status_code == 302
    assert api_sign_up("api2").status_code == 201
    refused = panel_sign_up("panel2")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert THROTTLED in refused.content.decode()
    assert not User.objects.filter(username="panel2").exists()
    assert api_sign_up("api3").status_code == 429
    polish = panel_sign_up("panel3", HTTP_ACCEPT_LANGUAGE="pl")
    assert "Zbyt wiele rejestracji z tego adresu." in polish.content.decode()


def test_a_forged_x_forwarded_for_does_not_reset_the_count_without_trusted_proxies(settings):
    settings.REGISTRATIONS_PER_IP, settings.TRUSTED_PROXY_COUNT = 2, 0
    for i in range(2):
        assert api_sign_up(f"forged{i}", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}").status_code == 201
    assert api_sign_up("forged9", HTTP_X_FORWARDED_FOR="192.0.2.9").status_code == 429


def test_behind_a_trusted_proxy_each_client_address_counts_apart(settings):
    settings.REGISTRATIONS_PER_IP, settings.TRUSTED_PROXY_COUNT = 1, 1
    assert api_sign_up("first", HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 201
    assert api_sign_up("second", HTTP_X_FORWARDED_FOR="192.0.2.2").status_code == 201
    assert api_sign_up("third", HTTP_X_FORWARDED_FOR="192.0.2.2").status_code == 429
