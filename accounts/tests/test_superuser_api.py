"""A10–A16 and A19–A23: the superuser endpoints (CONTRACT §2.1)."""

import pytest

from accounts.models import Role, User, UserRole, UserSession
from accounts.tests.factories import RoleFactory, UserFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

SUPERUSER_ENDPOINTS = [
    ("get", "/auth/users"),
    ("post", "/auth/users"),
    ("get", "/auth/users/{id}"),
    ("delete", "/auth/users/{id}"),
    ("put", "/auth/users/{id}/disable"),
    ("put", "/auth/users/{id}/enable"),
    ("put", "/auth/users/{id}/superuser?is_superuser=true"),
    ("put", "/auth/users/{id}/agent?is_agent=true"),
    ("get", "/auth/roles"),
    ("post", "/auth/roles"),
    ("delete", "/auth/roles/{role}"),
    ("put", "/auth/users/{id}/roles"),
    ("get", "/auth/users/{id}/roles"),
]


@pytest.mark.parametrize(("method", "path"), SUPERUSER_ENDPOINTS)
def test_non_superuser_is_refused(auth_client, other_user, method, path):
    role = RoleFactory()
    body = {
        "username": "new",
        "email": "new@example.com",
        "password": "Str0ng-pass-123",
        "name": "r",
        "role_ids": [role.pk],
    }
    response = getattr(auth_client, method)(path.format(id=other_user.pk, role=role.pk), body, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Superuser access required"}
    # Nothing changed behind the refusal.
    other_user.refresh_from_db()
    assert other_user.is_active and not other_user.is_superuser and not other_user.is_staff
    assert Role.objects.filter(pk=role.pk).exists()
    assert not User.objects.filter(username="new").exists()
    assert not UserRole.objects.exists()


@pytest.mark.parametrize(("method", "path"), SUPERUSER_ENDPOINTS)
def test_an_agent_is_refused_too(agent, other_user, method, path):
    response = getattr(client_for(agent), method)(path.format(id=other_user.pk, role=1), {}, format="json")
    assert (response.status_code, response.json()) == (403, {"detail": "Superuser access required"})
    other_user.refresh_from_db()
    assert not other_user.is_staff and not other_user.is_superuser


@pytest.mark.parametrize(("method", "path"), SUPERUSER_ENDPOINTS)
def test_superuser_endpoints_need_a_token(api_client, method, path):
    response = getattr(api_client, method)(path.format(id=1, role=1), {}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


# --- A10 / A11 ------------------------------------------------------------------------------


def test_list_users_ordered_by_id(admin_client_api, superuser):
    users = UserFactory.create_batch(3)
    response = admin_client_api.get("/auth/users")
    assert response.status_code == 200
    body = response.json()
    assert [u["id"] for u in body] == sorted([superuser.pk, *(u.pk for u in users)])
    assert "password" not in body[0]


def test_list_users_skip_and_limit(admin_client_api, superuser):
    UserFactory.create_batch(4)
    ids = list(User.objects.order_by("id").values_list("id", flat=True))
    body = admin_client_api.get("/auth/users?skip=1&limit=2").json()
    assert [u["id"] for u in body] == ids[1:3]


def test_get_user(admin_client_api, user):
    response = admin_client_api.get(f"/auth/users/{user.pk}")
    assert response.status_code == 200
    assert response.json()["username"] == user.username


def test_get_unknown_user(admin_client_api):
    response = admin_client_api.get("/auth/users/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}


# --- A12 create -----------------------------------------------------------------------------


def test_create_user(admin_client_api):
    response = admin_client_api.post(
        "/auth/users",
        {
            "username": "carol",
            "email": "carol@example.com",
            "password": "Str0ng-pass-123",
            "full_name": "Carol",
            "phone_number": "+48 600 700 800",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "carol" and body["phone_number"] == "+48600700800"
    assert "access_token" not in body
    created = User.objects.get(username="carol")
    assert created.check_password("Str0ng-pass-123")
    assert not UserSession.objects.filter(user=created).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"username": "taken"}, "Username already registered"),
        ({"email": "TAKEN@example.com"}, "Email already registered"),
        ({"phone_number": "+48600700800"}, "Phone number already registered"),
    ],
)
def test_create_user_duplicates(admin_client_api, overrides, message):
    UserFactory(username="taken", email="taken@example.com", phone_number="+48600700800")
    body = {"username": "dave", "email": "dave@example.com", "password": "Str0ng-pass-123"} | overrides
    response = admin_client_api.post("/auth/users", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": message}


def test_create_users_with_blank_phones(admin_client_api):
    # The Vue dialog sends "" for no number; two of them must not collide (§7 B22).
    for name in ("e1", "e2"):
        body = {"username": name, "email": f"{name}@example.com", "password": "Str0ng-pass-123", "phone_number": ""}
        response = admin_client_api.post("/auth/users", body, format="json")
        assert response.status_code == 201
        assert response.json()["phone_number"] is None


def test_create_user_validation(admin_client_api):
    response = admin_client_api.post("/auth/users", {"username": "x"}, format="json")
    assert response.status_code == 400
    assert {"email", "password"} <= response.json()["detail"].keys()


# --- A13 delete -----------------------------------------------------------------------------


def test_delete_user_cascades(admin_client_api, user):
    victim = client_for(user)
    UserRole.objects.create(user=user, role=RoleFactory())
    response = admin_client_api.delete(f"/auth/users/{user.pk}")
    assert response.status_code == 200
    assert response.json() == {"message": "User deleted successfully"}
    assert not User.objects.filter(pk=user.pk).exists()
    assert not UserSession.objects.filter(user_id=user.pk).exists()
    assert not UserRole.objects.exists()
    assert victim.get("/auth/me").status_code == 401


def test_delete_self_refused(admin_client_api, superuser):
    response = admin_client_api.delete(f"/auth/users/{superuser.pk}")
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot delete your own account"}
    assert User.objects.filter(pk=superuser.pk).exists()


def test_delete_unknown_user(admin_client_api):
    response = admin_client_api.delete("/auth/users/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}


# --- A14 / A15 disable, enable --------------------------------------------------------------


def test_disable_and_enable(admin_client_api, user):
    victim = client_for(user)
    response = admin_client_api.put(f"/auth/users/{user.pk}/disable")
    assert response.status_code == 200
    assert response.json() == {"message": "User disabled successfully"}
    user.refresh_from_db()
    assert not user.is_active
    assert victim.get("/auth/me").json() == {"detail": "User is disabled"}

    response = admin_client_api.put(f"/auth/users/{user.pk}/enable")
    assert response.status_code == 200
    assert response.json() == {"message": "User enabled successfully"}
    user.refresh_from_db()
    assert user.is_active
    assert victim.get("/auth/me").status_code == 200


def test_disable_self_refused(admin_client_api, superuser):
    response = admin_client_api.put(f"/auth/users/{superuser.pk}/disable")
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot disable your own account"}
    superuser.refresh_from_db()
    assert superuser.is_active


@pytest.mark.parametrize("action", ["disable", "enable"])
def test_disable_enable_unknown_user(admin_client_api, action):
    response = admin_client_api.put(f"/auth/users/999999/{action}")
    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}


# --- A16 superuser flag ---------------------------------------------------------------------


def test_superuser_flag_from_query(admin_client_api, user):
    response = admin_client_api.put(f"/auth/users/{user.pk}/superuser?is_superuser=true")
    assert response.status_code == 200
    assert response.json() == {"message": "User superuser status set to True"}
    user.refresh_from_db()
    assert user.is_superuser and user.is_staff

    response = admin_client_api.put(f"/auth/users/{user.pk}/superuser?is_superuser=false")
    assert response.json() == {"message": "User superuser status set to False"}
    user.refresh_from_db()
    assert not user.is_superuser and not user.is_staff


def test_agent_flag_from_query_or_body(admin_client_api, user):
    response = admin_client_api.put(f"/auth/users/{user.pk}/agent?is_agent=true")
    assert (response.status_code, response.json()) == (200, {"message": "User agent status set to True"})
    user.refresh_from_db()
    assert user.is_staff and not user.is_superuser
    detail = admin_client_api.get(f"/auth/users/{user.pk}").json()
    assert (detail["is_staff"], detail["is_superuser"]) == (True, False)
    response = admin_client_api.put(f"/auth/users/{user.pk}/agent", {"is_agent": False}, format="json")
    assert response.json() == {"message": "User agent status set to False"}
    user.refresh_from_db()
    assert not user.is_staff


def test_agent_flag_refuses_a_superuser_a_bad_value_and_yourself(admin_client_api, superuser, user):
    other = UserFactory(is_superuser=True)
    response = admin_client_api.put(f"/auth/users/{other.pk}/agent?is_agent=false")
    assert response.status_code == 400
    assert "always staff" in response.json()["detail"]
    response = admin_client_api.put(f"/auth/users/{user.pk}/agent", {"is_agent": "maybe"}, format="json")
    assert response.status_code == 400 and "is_agent" in response.json()["detail"]
    assert admin_client_api.put(f"/auth/users/{superuser.pk}/agent?is_agent=true").status_code == 400
    user.refresh_from_db()
    other.refresh_from_db()
    assert not user.is_staff and other.is_staff


def test_superuser_flag_from_json_body(admin_client_api, user):
    response = admin_client_api.put(f"/auth/users/{user.pk}/superuser", {"is_superuser": True}, format="json")
    assert response.status_code == 200
    assert response.json() == {"message": "User superuser status set to True"}
    user.refresh_from_db()
    assert user.is_superuser


def test_superuser_flag_query_wins_over_body(admin_client_api, user):
    response = admin_client_api.put(
        f"/auth/users/{user.pk}/superuser?is_superuser=false", {"is_superuser": True}, format="json"
    )
    assert response.json() == {"message": "User superuser status set to False"}
    user.refresh_from_db()
    assert not user.is_superuser


def test_promoted_user_can_use_superuser_endpoints(admin_client_api, user, auth_client):
    assert auth_client.get("/auth/users").status_code == 403
    admin_client_api.put(f"/auth/users/{user.pk}/superuser?is_superuser=true")
    assert auth_client.get("/auth/users").status_code == 200


@pytest.mark.parametrize("query", ["", "?is_superuser=maybe"])
def test_superuser_flag_missing_or_invalid(admin_client_api, user, query):
    response = admin_client_api.put(f"/auth/users/{user.pk}/superuser{query}")
    assert response.status_code == 400
    assert "is_superuser" in response.json()["detail"]
    user.refresh_from_db()
    assert not user.is_superuser


def test_superuser_flag_on_self_refused(admin_client_api, superuser):
    response = admin_client_api.put(f"/auth/users/{superuser.pk}/superuser?is_superuser=false")
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot change your own superuser status"}
    superuser.refresh_from_db()
    assert superuser.is_superuser


def test_superuser_flag_unknown_user(admin_client_api):
    response = admin_client_api.put("/auth/users/999999/superuser?is_superuser=true")
    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}


# --- A19–A21 roles --------------------------------------------------------------------------


def test_roles_list(admin_client_api):
    roles = RoleFactory.create_batch(2)
    response = admin_client_api.get("/auth/roles")
    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body] == [r.pk for r in roles]
    assert set(body[0]) == {"id", "name", "description", "created_at", "updated_at"}


def test_role_create(admin_client_api):
    response = admin_client_api.post("/auth/roles", {"name": "support", "description": "Helps"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "support" and body["description"] == "Helps"
    assert Role.objects.filter(name="support").exists()


def test_role_create_without_description(admin_client_api):
    response = admin_client_api.post("/auth/roles", {"name": "support"}, format="json")
    assert response.status_code == 201
    assert response.json()["description"] is None


def test_role_create_duplicate(admin_client_api):
    RoleFactory(name="support")
    response = admin_client_api.post("/auth/roles", {"name": "support"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Role already exists"}


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 101}, {"name": "ok", "description": "d" * 256}])
def test_role_create_validation(admin_client_api, body):
    response = admin_client_api.post("/auth/roles", body, format="json")
    assert response.status_code == 400
    assert isinstance(response.json()["detail"], dict)


def test_role_delete(admin_client_api, user):
    role = RoleFactory()
    UserRole.objects.create(user=user, role=role)
    response = admin_client_api.delete(f"/auth/roles/{role.pk}")
    assert response.status_code == 200
    assert response.json() == {"message": "Role deleted successfully"}
    assert not Role.objects.filter(pk=role.pk).exists()
    assert not UserRole.objects.exists()


def test_role_delete_unknown(admin_client_api):
    response = admin_client_api.delete("/auth/roles/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Role not found"}


# --- A22 / A23 user roles -------------------------------------------------------------------


def test_user_roles_replace_and_list(admin_client_api, user):
    keep, drop, add = RoleFactory.create_batch(3)
    UserRole.objects.create(user=user, role=keep)
    UserRole.objects.create(user=user, role=drop)
    response = admin_client_api.put(
        f"/auth/users/{user.pk}/roles", {"role_ids": [keep.pk, add.pk, add.pk, 999999]}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"message": "Roles assigned successfully"}
    assert set(UserRole.objects.filter(user=user).values_list("role_id", flat=True)) == {keep.pk, add.pk}

    listed = admin_client_api.get(f"/auth/users/{user.pk}/roles")
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()] == sorted([keep.pk, add.pk])


def test_user_roles_replace_with_empty_list_clears(admin_client_api, user):
    UserRole.objects.create(user=user, role=RoleFactory())
    assert admin_client_api.put(f"/auth/users/{user.pk}/roles", {"role_ids": []}, format="json").status_code == 200
    assert admin_client_api.get(f"/auth/users/{user.pk}/roles").json() == []


def test_user_roles_only_unknown_ids(admin_client_api, user):
    response = admin_client_api.put(f"/auth/users/{user.pk}/roles", {"role_ids": [999999]}, format="json")
    assert response.status_code == 200
    assert not UserRole.objects.exists()


def test_user_roles_validation(admin_client_api, user):
    response = admin_client_api.put(f"/auth/users/{user.pk}/roles", {"role_ids": ["x"]}, format="json")
    assert response.status_code == 400
    assert "role_ids" in response.json()["detail"]
    response = admin_client_api.put(f"/auth/users/{user.pk}/roles", {}, format="json")
    assert response.status_code == 400
    assert "role_ids" in response.json()["detail"]


@pytest.mark.parametrize("role_id", [2**63, -(2**63) - 1, 10**30])
def test_user_roles_an_id_no_database_holds_is_a_400(admin_client_api, user, role_id):
    """Found by fuzzing: past 64 bits the lookup was a database error (a 500 on SQLite)."""
    response = admin_client_api.put(f"/auth/users/{user.pk}/roles", {"role_ids": [1, role_id]}, format="json")
    assert response.status_code == 400
    assert "role_ids" in response.json()["detail"]
    assert not UserRole.objects.exists()


@pytest.mark.parametrize("method", ["get", "put"])
def test_user_roles_unknown_user(admin_client_api, method):
    response = getattr(admin_client_api, method)("/auth/users/999999/roles", {"role_ids": []}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}
