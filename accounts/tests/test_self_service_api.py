"""A4–A9, A17, A18: what a signed-in user does to their own account and sessions (CONTRACT §2.1, §9.2)."""

import pytest
from rest_framework.test import APIClient

from accounts.models import UserSession
from tests.helpers import client_for, login

pytestmark = pytest.mark.django_db

INVALID = {"detail": "Could not validate credentials"}


def refresh(token: str):
    return APIClient().post("/auth/refresh", {"refresh_token": token}, format="json")


def bearer(access_token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/auth/logout"),
        ("post", "/auth/logout-all"),
        ("put", "/auth/me"),
        ("put", "/auth/me/phone"),
        ("put", "/auth/me/password"),
        ("get", "/auth/sessions"),
        ("delete", "/auth/sessions/1"),
    ],
)
def test_self_service_endpoints_need_a_token(api_client, method, path):
    response = getattr(api_client, method)(path, {}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert response["WWW-Authenticate"] == "Bearer"


# --- A4 logout ------------------------------------------------------------------------------


def test_logout_without_body_ends_the_current_session(auth_client, user):
    response = auth_client.post("/auth/logout")
    assert response.status_code == 200
    assert response.json() == {"message": "Successfully logged out"}
    assert not UserSession.objects.get(user=user).is_active
    again = auth_client.get("/auth/me")
    assert again.status_code == 401
    assert again.json() == INVALID


def test_logout_with_empty_json_body(auth_client):
    assert auth_client.post("/auth/logout", {}, format="json").status_code == 200
    assert auth_client.get("/auth/me").status_code == 401


def test_logout_ends_only_the_current_session(user):
    first = client_for(user)
    second = client_for(user)
    assert first.post("/auth/logout").status_code == 200
    assert first.get("/auth/me").status_code == 401
    assert second.get("/auth/me").status_code == 200
    assert refresh(second.tokens["refresh_token"]).status_code == 200


def test_logout_with_refresh_token_blacklists_it(auth_client):
    token = auth_client.tokens["refresh_token"]
    response = auth_client.post("/auth/logout", {"refresh_token": token}, format="json")
    assert response.status_code == 200
    assert response.json() == {"message": "Successfully logged out"}
    failed = refresh(token)
    assert failed.status_code == 401
    assert failed.json() == {"detail": "Refresh token not found or already used"}
    assert auth_client.get("/auth/me").status_code == 401


def test_logout_with_the_refresh_token_of_another_own_session_ends_that_session(user):
    current = client_for(user)
    laptop = client_for(user)
    body = {"refresh_token": laptop.tokens["refresh_token"]}
    assert current.post("/auth/logout", body, format="json").status_code == 200
    assert laptop.get("/auth/me").json() == INVALID
    assert refresh(laptop.tokens["refresh_token"]).status_code == 401
    assert current.get("/auth/me").status_code == 200


def test_logout_with_another_users_refresh_token_leaves_it_alone(auth_client, other_client):
    foreign = other_client.tokens["refresh_token"]
    assert auth_client.post("/auth/logout", {"refresh_token": foreign}, format="json").status_code == 200
    assert refresh(foreign).status_code == 200
    assert other_client.get("/auth/me").status_code == 200


def test_logout_with_a_garbage_refresh_token_still_logs_out(auth_client):
    assert auth_client.post("/auth/logout", {"refresh_token": "garbage"}, format="json").status_code == 200
    assert auth_client.get("/auth/me").status_code == 401


# --- A5 logout-all --------------------------------------------------------------------------


def test_logout_all_ends_every_session_and_refresh_token(user, other_user):
    clients = [client_for(user) for _ in range(3)]
    bystander = client_for(other_user)
    response = clients[0].post("/auth/logout-all")
    assert response.status_code == 200
    assert response.json() == {"message": "Successfully logged out from all devices"}
    assert not UserSession.objects.filter(user=user, is_active=True).exists()
    for client in clients:
        assert client.get("/auth/me").json() == INVALID
        assert refresh(client.tokens["refresh_token"]).status_code == 401
    assert bystander.get("/auth/me").status_code == 200
    assert refresh(bystander.tokens["refresh_token"]).status_code == 200


# --- A7 PUT /auth/me ------------------------------------------------------------------------


def test_profile_update_changes_only_non_null_keys(auth_client, user):
    user.bio = "old bio"
    user.phone_number = "+48123456789"
    user.save()
    response = auth_client.put("/auth/me", {"full_name": "New Name", "bio": None}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["full_name"] == "New Name"
    assert body["bio"] == "old bio"
    assert body["phone_number"] == "+48123456789"
    user.refresh_from_db()
    assert (user.full_name, user.bio) == ("New Name", "old bio")


def test_profile_update_with_empty_body_changes_nothing(auth_client, user):
    before = auth_client.get("/auth/me").json()
    response = auth_client.put("/auth/me", {}, format="json")
    assert response.status_code == 200
    assert {k: v for k, v in response.json().items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }


def test_profile_update_cannot_smuggle_privileged_fields(auth_client, user):
    response = auth_client.put(
        "/auth/me",
        {"is_superuser": True, "is_active": False, "username": "root", "email": "x@example.com", "bio": "hi"},
        format="json",
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.is_superuser is False and user.is_staff is False
    assert user.is_active is True
    assert user.username != "root"
    assert user.email != "x@example.com"
    assert user.bio == "hi"


def test_register_cannot_smuggle_privileged_fields(api_client):
    body = {
        "username": "mallory",
        "email": "mallory@example.com",
        "password": "Str0ng-pass-123",
        "is_superuser": True,
        "is_staff": True,
        "is_active": False,
    }
    response = api_client.post("/auth/register", body, format="json")
    assert response.status_code == 201
    assert response.json()["is_superuser"] is False and response.json()["is_active"] is True


def test_profile_update_normalises_the_phone(auth_client):
    response = auth_client.put("/auth/me", {"phone_number": "+48 123-456-789"}, format="json")
    assert response.status_code == 200
    assert response.json()["phone_number"] == "+48123456789"


def test_profile_update_bad_phone_names_the_field(auth_client):
    response = auth_client.put("/auth/me", {"phone_number": "12345"}, format="json")
    assert response.status_code == 400
    assert "phone_number" in response.json()["detail"]


def test_profile_update_explicit_empty_phone_clears_it(auth_client, user):
    user.phone_number = "+48123456789"
    user.save()
    response = auth_client.put("/auth/me", {"phone_number": ""}, format="json")
    assert response.status_code == 200
    assert response.json()["phone_number"] is None
    user.refresh_from_db()
    assert user.phone_number is None


def test_two_users_can_both_clear_their_phone(auth_client, other_client, user, other_user):
    assert auth_client.put("/auth/me", {"phone_number": ""}, format="json").status_code == 200
    assert other_client.put("/auth/me", {"phone_number": ""}, format="json").status_code == 200


def test_profile_update_duplicate_phone(auth_client, other_user):
    other_user.phone_number = "+48123456789"
    other_user.save()
    response = auth_client.put("/auth/me", {"phone_number": "+48 123 456 789"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Phone number already registered"}


def test_profile_update_keeping_own_phone_is_fine(auth_client, user):
    user.phone_number = "+48123456789"
    user.save()
    assert auth_client.put("/auth/me", {"phone_number": "+48123456789"}, format="json").status_code == 200


# --- A8 PUT /auth/me/phone ------------------------------------------------------------------


def test_phone_set(auth_client, user):
    response = auth_client.put("/auth/me/phone", {"phone_number": "+1 (415) 555-0100"}, format="json")
    assert response.status_code == 200
    assert response.json()["phone_number"] == "+14155550100"
    user.refresh_from_db()
    assert user.phone_number == "+14155550100"


def test_phone_set_duplicate(auth_client, other_user):
    other_user.phone_number = "+14155550100"
    other_user.save()
    response = auth_client.put("/auth/me/phone", {"phone_number": "+14155550100"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Phone number already registered"}


@pytest.mark.parametrize("body", [{}, {"phone_number": ""}, {"phone_number": None}, {"phone_number": "abc"}])
def test_phone_set_validation_names_the_field(auth_client, body):
    response = auth_client.put("/auth/me/phone", body, format="json")
    assert response.status_code == 400
    assert "phone_number" in response.json()["detail"]


# --- A9 PUT /auth/me/password ---------------------------------------------------------------


def test_password_change_keeps_current_session_and_ends_the_others(user):
    current = client_for(user)
    others = [client_for(user) for _ in range(2)]
    response = current.put(
        "/auth/me/password", {"current_password": "secret123", "new_password": "newsecret456"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"message": "Password changed successfully"}
    assert current.get("/auth/me").status_code == 200
    assert refresh(current.tokens["refresh_token"]).status_code == 200
    for client in others:
        assert client.get("/auth/me").json() == INVALID
        assert refresh(client.tokens["refresh_token"]).status_code == 401
    assert UserSession.objects.filter(user=user, is_active=True).count() == 1
    login(APIClient(), user.username, "newsecret456")
    old = APIClient().post("/auth/login", {"username": user.username, "password": "secret123"}, format="json")
    assert old.status_code == 401


def test_password_change_wrong_current_password(auth_client, user):
    response = auth_client.put(
        "/auth/me/password", {"current_password": "wrong", "new_password": "newsecret456"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Current password is incorrect"}
    user.refresh_from_db()
    assert user.check_password("secret123")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"new_password": "newsecret456"}, "current_password"),
        ({"current_password": "secret123"}, "new_password"),
        ({"current_password": "secret123", "new_password": "12345"}, "new_password"),
    ],
)
def test_password_change_validation(auth_client, body, field):
    response = auth_client.put("/auth/me/password", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["detail"]


# --- A17 GET /auth/sessions -----------------------------------------------------------------


def test_sessions_lists_only_the_callers_active_sessions(user, other_user):
    client = client_for(user)
    ended = client_for(user)
    ended.post("/auth/logout")
    client_for(other_user)
    response = client.get("/auth/sessions")
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 1
    session = UserSession.objects.get(user=user, is_active=True)
    assert body[0] == {
        "id": session.pk,
        "user_id": user.pk,
        "device_info": session.device_info,
        "ip_address": "127.0.0.1",
        "created_at": body[0]["created_at"],
        "expires_at": body[0]["expires_at"],
        "is_active": True,
    }
    assert body[0]["expires_at"].endswith("Z")
    assert "session_token" not in body[0]


def test_sessions_hides_expired_sessions(user):
    from datetime import timedelta

    from django.utils import timezone

    live = client_for(user)
    stale = client_for(user)
    stale_id = UserSession.objects.filter(user=user).order_by("-id").first().pk
    UserSession.objects.filter(pk=stale_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert [s["id"] for s in live.get("/auth/sessions").json()] != [stale_id]
    assert len(live.get("/auth/sessions").json()) == 1
    assert stale.get("/auth/me").json() == INVALID


# --- A18 DELETE /auth/sessions/{id} ---------------------------------------------------------


def test_delete_session_ends_it_and_its_refresh_token(user):
    current = client_for(user)
    victim = client_for(user)
    victim_id = UserSession.objects.filter(user=user).order_by("-id").first().pk
    response = current.delete(f"/auth/sessions/{victim_id}")
    assert response.status_code == 200
    assert response.json() == {"message": "Session deleted successfully"}
    assert not UserSession.objects.filter(pk=victim_id).exists()
    assert victim.get("/auth/me").json() == INVALID
    assert refresh(victim.tokens["refresh_token"]).status_code == 401
    assert current.get("/auth/me").status_code == 200


def test_delete_own_current_session(auth_client, user):
    session_id = UserSession.objects.get(user=user).pk
    assert auth_client.delete(f"/auth/sessions/{session_id}").status_code == 200
    assert auth_client.get("/auth/me").status_code == 401


def test_delete_another_users_session_is_not_found(auth_client, other_client, other_user):
    foreign = UserSession.objects.get(user=other_user).pk
    response = auth_client.delete(f"/auth/sessions/{foreign}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Session not found"}
    assert other_client.get("/auth/me").status_code == 200


def test_delete_unknown_session(auth_client):
    response = auth_client.delete("/auth/sessions/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Session not found"}


def test_session_ids_are_integers_only(auth_client):
    assert auth_client.delete("/auth/sessions/abc").status_code == 404
