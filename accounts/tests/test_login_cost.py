"""What a login costs is the password hash (PBKDF2, Django's iterations): exactly one per password
checked, never a second (a rehash, or a hash in both the service and an authentication backend)."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import override_settings

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "Str0ng-pass-123"


class CountingHasher(MD5PasswordHasher):
    """The test settings' hasher, counting the hashes it computes (verify() hashes through encode())."""

    algorithm = "counting_md5"
    hashes = 0

    def encode(self, password, salt):
        CountingHasher.hashes += 1
        return super().encode(password, salt)


@pytest.fixture
def counted():
    with override_settings(PASSWORD_HASHERS=[f"{__name__}.CountingHasher"]):
        User.objects.create_user("hasher", "hasher@example.com", PASSWORD)
        CountingHasher.hashes = 0
        yield CountingHasher


@pytest.mark.parametrize(("password", "status"), [(PASSWORD, 200), ("wrong-password-1", 401)])
def test_a_login_hashes_the_password_once(api_client, counted, password, status):
    response = api_client.post("/auth/login", {"username": "hasher", "password": password}, format="json")

    assert response.status_code == status
    assert counted.hashes == 1


def test_logins_in_a_row_hash_once_each(api_client, counted):
    for _ in range(3):
        response = api_client.post("/auth/login", {"username": "hasher", "password": PASSWORD}, format="json")
        assert response.status_code == 200

    assert counted.hashes == 3


def test_an_unknown_username_costs_one_hash_too(api_client, counted):
    # Otherwise the time of a 401 tells which usernames exist (a wrong password costs a hash,
    # an unknown name nothing): the same hash for both closes that timing difference.
    response = api_client.post("/auth/login", {"username": "nobody-here", "password": PASSWORD}, format="json")

    assert response.status_code == 401
    assert counted.hashes == 1
