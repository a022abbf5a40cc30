"""The password rules (settings.AUTH_PASSWORD_VALIDATORS) on every way of setting a password:
register, a superuser's create, the own password change, the admin console, the services."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User, UserSession
from accounts.passwords import password_min_length
from accounts.services import users
from accounts.tests.factories import PASSWORD, UserFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

GOOD = "Str0ng-pass-123"
TOO_COMMON = "This password is too common."
NUMERIC = "This password is entirely numeric."
TOO_SHORT = "This password is too short. It must contain at least 6 characters."

REFUSED = [
    ("123456", [TOO_COMMON, NUMERIC]),
    ("password123", [TOO_COMMON]),
    ("12345", [TOO_SHORT, TOO_COMMON, NUMERIC]),
    ("abc12", [TOO_SHORT]),
]


def register(password: str):
    body = {"username": "alice", "email": "alice@example.com", "password": password}
    return APIClient().post("/auth/register", body, format="json")


@pytest.mark.parametrize(("password", "messages"), REFUSED)
def test_register_refuses_a_weak_password_naming_the_field(password, messages):
    response = register(password)
    assert response.status_code == 400
    assert response.json() == {"detail": {"password": messages}}
    assert not User.objects.filter(username="alice").exists()


def test_register_accepts_a_good_password():
    response = register(GOOD)
    assert response.status_code == 201
    assert User.objects.get(username="alice").check_password(GOOD)


def test_a_weak_password_is_reported_with_the_other_field_errors():
    body = {"username": "alice", "email": "not-an-email", "password": "123456"}
    response = APIClient().post("/auth/register", body, format="json")
    assert response.status_code == 400
    assert response.json()["detail"].keys() == {"email", "password"}


@pytest.mark.parametrize(("password", "messages"), REFUSED[:2])
def test_superuser_create_refuses_a_weak_password(admin_client_api, password, messages):
    body = {"username": "carol", "email": "carol@example.com", "password": password}
    response = admin_client_api.post("/auth/users", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": {"password": messages}}
    assert not User.objects.filter(username="carol").exists()


def test_superuser_create_accepts_a_good_password(admin_client_api):
    body = {"username": "carol", "email": "carol@example.com", "password": GOOD}
    assert admin_client_api.post("/auth/users", body, format="json").status_code == 201


@pytest.mark.parametrize(("password", "messages"), REFUSED[:2])
def test_password_change_refuses_a_weak_password(user, password, messages):
    client, other = client_for(user), client_for(user)
    body = {"current_password": PASSWORD, "new_password": password}
    response = client.put("/auth/me/password", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": {"new_password": messages}}
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert other.get("/auth/me").status_code == 200  # nothing ended either
    assert UserSession.objects.filter(user=user, is_active=True).count() == 2


def test_password_change_accepts_a_good_password(auth_client, user):
    body = {"current_password": PASSWORD, "new_password": GOOD}
    assert auth_client.put("/auth/me/password", body, format="json").status_code == 200
    user.refresh_from_db()
    assert user.check_password(GOOD)


# --- services: callers other than the API get the same rules ---------------------------------


def test_user_create_service_refuses_a_weak_password():
    with pytest.raises(ValidationError) as exc_info:
        users.user_create(username="alice", email="alice@example.com", password="123456")
    assert exc_info.value.message_dict == {"password": [TOO_COMMON, NUMERIC]}
    assert not User.objects.filter(username="alice").exists()


def test_password_change_service_refuses_a_weak_password():
    user = UserFactory()
    with pytest.raises(ValidationError) as exc_info:
        users.user_password_change(
            user=user, current_session=None, current_password=PASSWORD, new_password="password123"
        )
    assert exc_info.value.message_dict == {"new_password": [TOO_COMMON]}
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_minimum_length_has_one_definition(settings):
    assert password_min_length() == 6
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    ]
    assert password_min_length() == 10
    with pytest.raises(ValidationError) as exc_info:
        users.user_create(username="alice", email="alice@example.com", password="Str0ng-9")
    assert exc_info.value.message_dict["password"] == [
        "This password is too short. It must contain at least 10 characters."
    ]


def test_the_schema_shows_the_minimum_length(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    assert components["UserCreateRequest"]["properties"]["password"]["minLength"] == 6
    assert components["PasswordChangeRequest"]["properties"]["new_password"]["minLength"] == 6


# --- the admin console (Django's own forms run the same validators) ------------------------


@pytest.fixture
def console(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def test_admin_add_user_refuses_a_weak_password(console):
    data = {
        "username": "newbie",
        "email": "newbie@example.com",
        "usable_password": "true",
        "password1": "123456",
        "password2": "123456",
    }
    response = console.post(reverse("admin:accounts_user_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["password2"] == [TOO_COMMON, NUMERIC]
    assert not User.objects.filter(username="newbie").exists()


def test_admin_password_change_refuses_a_weak_password(console, user):
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    response = console.post(url, {"password1": "password123", "password2": "password123", "usable_password": "true"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
