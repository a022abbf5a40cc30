"""The `auth` log never carries a password or a full phone number (CONTRACT §8.7, §9.1 point 8)."""

import logging

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

PASSWORD = "Sup3r-secret-pw"
PHONE = "+48123456789"
OTHER_PHONE = "+14155550100"
SECRETS = (PASSWORD, PHONE, OTHER_PHONE, "123456789", "4155550100")


@pytest.fixture
def auth_log(caplog):
    """Every record of the `auth` logger, which does not propagate to the root caplog listens on."""
    logger = logging.getLogger("auth")
    old_level = logger.level
    logger.addHandler(caplog.handler)
    logger.setLevel(logging.DEBUG)
    caplog.handler.setLevel(logging.DEBUG)
    yield caplog
    logger.removeHandler(caplog.handler)
    logger.setLevel(old_level)


def logged_text(caplog) -> str:
    # The formatted message and the raw args: a formatter elsewhere could print either.
    return "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)


def test_register_login_and_phone_updates_keep_secrets_out_of_the_log(auth_log):
    client = APIClient()
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD, "phone_number": PHONE}
    assert client.post("/auth/register", body, format="json").status_code == 201
    login = client.post("/auth/login", {"username": "alice", "password": PASSWORD}, format="json")
    assert login.status_code == 200
    wrong = client.post("/auth/login", {"username": "alice", "password": PASSWORD + "x"}, format="json")
    assert wrong.status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access_token']}")
    assert client.put("/auth/me/phone", {"phone_number": OTHER_PHONE}, format="json").status_code == 200
    assert client.put("/auth/me", {"phone_number": PHONE}, format="json").status_code == 200
    new_password = {"current_password": PASSWORD, "new_password": PASSWORD + "2"}
    assert client.put("/auth/me/password", new_password, format="json").status_code == 200

    assert auth_log.records, "the auth logger recorded nothing: the test would prove nothing"
    text = logged_text(auth_log)
    for secret in SECRETS:
        assert secret not in text
    assert "+48*****789" in text  # the masked form is what operators get


def test_admin_created_user_and_throttle_keep_secrets_out_of_the_log(auth_log):
    admin = client_for(UserFactory(is_superuser=True))
    body = {"username": "bob", "email": "bob@example.com", "password": PASSWORD, "phone_number": PHONE}
    assert admin.post("/auth/users", body, format="json").status_code == 201
    for _ in range(6):
        APIClient().post("/auth/login", {"username": "bob", "password": PASSWORD + "x"}, format="json")
    text = logged_text(auth_log)
    for secret in SECRETS:
        assert secret not in text
