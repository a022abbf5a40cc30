import jwt
import pytest
from django.conf import settings

from accounts.models import UserSession
from tests.helpers import client_for, login

pytestmark = pytest.mark.django_db

USER_KEYS = {
    "id",
    "username",
    "email",
    "full_name",
    "bio",
    "phone_number",
    "is_active",
    "is_superuser",
    "created_at",
    "updated_at",
}


def register(client, **overrides):
    body = {"username": "alice", "email": "alice@example.com", "password": "Str0ng-pass-123"} | overrides
    return client.post("/auth/register", body, format="json")


def test_register_returns_user_and_tokens_and_opens_a_session(api_client):
    response = register(api_client, full_name="Alice", phone_number="+48 123 456 789", HTTP_USER_AGENT="pytest")
    assert response.status_code == 201
    body = response.json()
    assert body.keys() >= USER_KEYS
    assert body["phone_number"] == "+48123456789"
    assert body["token_type"] == "bearer"
    assert body["user"]["username"] == "alice"
    assert body["created_at"].endswith("Z")
    assert UserSession.objects.filter(user_id=body["id"], is_active=True).count() == 1
    me = api_client.get("/auth/me", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert me.status_code == 200 and me.json()["username"] == "alice"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"username": "bob"}, "Email already registered"),
        ({"email": "other@example.com"}, "Username already registered"),
        ({"username": "bob", "email": "ALICE@example.com"}, "Email already registered"),
    ],
)
def test_register_duplicates(api_client, overrides, message):
    assert register(api_client).status_code == 201
    response = register(api_client, **overrides)
    assert response.status_code == 400
    assert response.json() == {"detail": message}


def test_register_duplicate_phone(api_client):
    assert register(api_client, phone_number="+48123456789").status_code == 201
    response = register(api_client, username="bob", email="bob@example.com", phone_number="+48 123-456-789")
    assert response.status_code == 400
    assert response.json() == {"detail": "Phone number already registered"}


@pytest.mark.parametrize("path", ["/auth/register", "/auth/users"])
def test_register_race_lost_to_a_concurrent_insert(api_client, admin_client_api, monkeypatch, path):
    # The pre-checks pass, then the insert hits the unique index because another request committed
    # the same username in between: seed 1's integrity message, and nothing half-saved.
    from accounts.models import User
    from accounts.services import users as user_services

    assert register(api_client).status_code == 201
    users, sessions = User.objects.count(), UserSession.objects.count()
    monkeypatch.setattr(user_services, "_check_unique", lambda **kwargs: None)
    client = api_client if path == "/auth/register" else admin_client_api
    body = {"username": "alice", "email": "alice2@example.com", "password": "Str0ng-pass-123"}
    response = client.post(path, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Username or email already exists"}
    assert (User.objects.count(), UserSession.objects.count()) == (users, sessions)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"password": "12345"}, "password"),
        ({"username": ""}, "username"),
        ({"username": "x" * 101}, "username"),
        ({"phone_number": "12345"}, "phone_number"),
    ],
)
def test_register_validation_names_the_field(api_client, overrides, field):
    response = register(api_client, **overrides)
    assert response.status_code == 400
    assert field in response.json()["detail"]


def test_register_missing_body_fields(api_client):
    response = api_client.post("/auth/register", {}, format="json")
    assert response.status_code == 400
    assert {"username", "email", "password"} <= response.json()["detail"].keys()


def test_login_returns_auth_out_and_records_the_session(api_client, user):
    response = api_client.post(
        "/auth/login",
        {"username": user.username, "password": "secret123"},
        format="json",
        HTTP_USER_AGENT="Mozilla/5.0 test",
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "user"}
    session = UserSession.objects.get(user=user)
    assert session.device_info == "Mozilla/5.0 test"
    assert session.ip_address == "10.1.2.3"
    claims = jwt.decode(body["access_token"], settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    assert claims["sub"] == str(user.pk)
    assert claims["username"] == user.username
    assert claims["type"] == "access"
    assert claims["sid"] == session.pk
    assert isinstance(claims["exp"], int)
    refresh = jwt.decode(body["refresh_token"], settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    assert refresh["type"] == "refresh" and refresh["exp"] > claims["exp"]


def test_login_wrong_password(api_client, user):
    response = api_client.post("/auth/login", {"username": user.username, "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect username or password"}
    assert response["WWW-Authenticate"] == "Bearer"


def test_login_unknown_user(api_client):
    response = api_client.post("/auth/login", {"username": "ghost", "password": "secret123"}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect username or password"}


def test_login_disabled_user_checked_after_password(api_client, user):
    user.is_active = False
    user.save()
    wrong = api_client.post("/auth/login", {"username": user.username, "password": "nope"}, format="json")
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "Incorrect username or password"}  # nothing hints at the disable
    assert wrong["WWW-Authenticate"] == "Bearer"
    right = api_client.post("/auth/login", {"username": user.username, "password": "secret123"}, format="json")
    assert right.status_code == 403
    assert right.json() == {"detail": "User is disabled"}


def test_login_validation(api_client):
    response = api_client.post("/auth/login", {"username": "x"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["detail"]


def test_refresh_rotates_and_old_token_is_refused(api_client, user):
    tokens = login(api_client, user.username)
    response = api_client.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert response.status_code == 200
    new = response.json()
    assert set(new) == {"access_token", "refresh_token", "token_type"}
    assert new["refresh_token"] != tokens["refresh_token"]
    again = api_client.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert again.status_code == 401
    assert again.json() == {"detail": "Refresh token not found or already used"}
    newer = api_client.post("/auth/refresh", {"refresh_token": new["refresh_token"]}, format="json")
    assert newer.status_code == 200


def test_refresh_invalid_token(api_client, user):
    response = api_client.post("/auth/refresh", {"refresh_token": "garbage"}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid refresh token"}


def test_refresh_with_an_access_token_is_invalid(api_client, user):
    tokens = login(api_client, user.username)
    response = api_client.post("/auth/refresh", {"refresh_token": tokens["access_token"]}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid refresh token"}


@pytest.mark.parametrize("claim", ["sub", "jti", "sid"])
def test_refresh_token_missing_a_claim_is_invalid(api_client, user, claim):
    from rest_framework_simplejwt.settings import api_settings

    tokens = login(api_client, user.username)
    claims = jwt.decode(tokens["refresh_token"], settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    del claims[claim]
    forged = jwt.encode(claims, api_settings.SIGNING_KEY, algorithm="HS256")
    response = api_client.post("/auth/refresh", {"refresh_token": forged}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid refresh token"}


def test_refresh_expired(api_client, user, settings):
    from datetime import timedelta

    from rest_framework_simplejwt.settings import api_settings

    tokens = login(api_client, user.username)
    claims = jwt.decode(tokens["refresh_token"], settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    claims["exp"] = claims["iat"] - int(timedelta(minutes=1).total_seconds())
    expired = jwt.encode(claims, api_settings.SIGNING_KEY, algorithm="HS256")
    response = api_client.post("/auth/refresh", {"refresh_token": expired}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Refresh token expired"}


def test_refresh_for_disabled_user_is_refused(api_client, user):
    tokens = login(api_client, user.username)
    user.is_active = False
    user.save()
    response = api_client.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "User is disabled"}
    assert response["WWW-Authenticate"] == "Bearer"


def test_me_requires_a_token(api_client):
    response = api_client.get("/auth/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer", "Bearer a b"])
def test_me_with_a_bad_token(api_client, header):
    response = api_client.get("/auth/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials"}


def test_refresh_token_is_not_an_access_token(api_client, user):
    tokens = login(api_client, user.username)
    response = api_client.get("/auth/me", HTTP_AUTHORIZATION=f"Bearer {tokens['refresh_token']}")
    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials"}


def test_disabled_user_with_valid_token_gets_403(user):
    client = client_for(user)
    user.is_active = False
    user.save()
    response = client.get("/auth/me")
    assert response.status_code == 403
    assert response.json() == {"detail": "User is disabled"}


def test_deleted_user_token_is_refused(user):
    client = client_for(user)
    user.delete()
    response = client.get("/auth/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials"}


@pytest.mark.parametrize("path", ["/auth/me", "/auth/me/", "/api/v1/auth/me", "/api/v1/auth/me/"])
def test_routes_with_and_without_slash_and_under_v1(auth_client, user, path):
    canonical = auth_client.get("/auth/me")
    assert canonical.status_code == 200 and canonical.json()["username"] == user.username
    # Each variant answers itself (no redirect, no other view): the canonical route's very body.
    response = auth_client.get(path)
    assert response.status_code == 200
    assert response.json() == canonical.json()
