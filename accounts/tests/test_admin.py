"""The Django admin as the superuser console: users, roles, sessions (CONTRACT §0, STYLE §2.1)."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role, User, UserRole, UserSession
from accounts.tests.factories import RoleFactory, UserFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_user_changelist")


@pytest.fixture
def console(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def act(console, action: str, users, url: str = CHANGELIST):
    return console.post(url, {"action": action, "_selected_action": [u.pk for u in users]}, follow=True)


def test_non_staff_cannot_open_the_console(user):
    client = Client()
    client.force_login(user)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "path", ["/admin/", CHANGELIST, "/admin/messaging/message/", "/admin/messaging/message/token-usage/"]
)
def test_an_agent_cannot_open_the_console(agent, path):
    # Agents work in the staff panel; the admin is the superuser console.
    client = Client()
    client.force_login(agent)
    response = client.get(path)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_an_agent_cannot_sign_in_to_the_console(agent):
    from accounts.tests.factories import PASSWORD

    client = Client()
    form = {"username": agent.username, "password": PASSWORD}
    response = client.post("/admin/login/?next=/admin/", form, follow=True)
    assert response.request["PATH_INFO"] == "/admin/login/"
    assert client.get(CHANGELIST).status_code == 302


def test_make_and_unmake_agent_actions(console, user, superuser):
    response = act(console, "make_agents", [user])
    user.refresh_from_db()
    assert user.is_staff and not user.is_superuser
    assert any("1 user(s) made agent" in m for m in messages_of(response))
    response = act(console, "unmake_agents", [user, superuser])
    user.refresh_from_db()
    superuser.refresh_from_db()
    assert not user.is_staff
    assert superuser.is_staff and superuser.is_superuser
    assert any("Cannot change your own agent status" in m for m in messages_of(response))


def test_an_agent_is_created_in_the_console(console):
    response = add_user(console, username="helper", email="helper@example.com", phone_number="", is_staff="on")
    assert response.status_code == 302, response.content.decode()[-2000:]
    created = User.objects.get(username="helper")
    assert created.is_staff and not created.is_superuser


def test_changelist_shows_the_columns(console, superuser):
    UserFactory(username="alice", email="alice@example.com", full_name="Alice A", phone_number="+48123456789")
    response = console.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("alice", "alice@example.com", "Alice A", "+48123456789"):
        assert text in html
    for column in ("column-username", "column-email", "column-full_name", "column-phone_number"):
        assert column in html
    for column in ("column-is_active", "column-is_superuser", "column-created_at"):
        assert column in html


@pytest.mark.parametrize("query", ["alice", "alice@example", "Wonder", "+48123456789", "+48 123 456 789"])
def test_changelist_search(console, query):
    UserFactory(username="alice", email="alice@example.com", full_name="Alice Wonder", phone_number="+48123456789")
    UserFactory(username="bob", email="bob@example.com", full_name="Bob Builder")
    response = console.get(CHANGELIST, {"q": query})
    assert response.status_code == 200
    result = list(response.context["cl"].result_list)
    assert [u.username for u in result] == ["alice"]


def test_changelist_filters(console, superuser):
    UserFactory(username="off", is_active=False)
    response = console.get(CHANGELIST, {"is_active__exact": "0"})
    assert [u.username for u in response.context["cl"].result_list] == ["off"]
    response = console.get(CHANGELIST, {"is_superuser__exact": "1"})
    assert [u.pk for u in response.context["cl"].result_list] == [superuser.pk]


def test_changelist_filter_by_role(console):
    role, other_role = RoleFactory.create_batch(2)
    member, outsider = UserFactory.create_batch(2)
    UserRole.objects.create(user=member, role=role)
    UserRole.objects.create(user=outsider, role=other_role)
    response = console.get(CHANGELIST, {"user_roles__role__id__exact": role.pk})
    assert response.status_code == 200
    assert [u.pk for u in response.context["cl"].result_list] == [member.pk]


# --- actions --------------------------------------------------------------------------------


def test_disable_and_enable_actions(console, user, other_user):
    api = client_for(user)
    response = act(console, "disable_users", [user, other_user])
    assert response.status_code == 200
    assert not User.objects.filter(pk__in=[user.pk, other_user.pk], is_active=True).exists()
    assert any("2 user(s) disabled" in m for m in messages_of(response))
    assert api.get("/auth/me").json() == {"detail": "User is disabled"}

    response = act(console, "enable_users", [user, other_user])
    assert User.objects.filter(pk__in=[user.pk, other_user.pk], is_active=True).count() == 2
    assert any("2 user(s) enabled" in m for m in messages_of(response))


def test_disable_action_refuses_yourself(console, superuser, user):
    response = act(console, "disable_users", [superuser, user])
    superuser.refresh_from_db()
    user.refresh_from_db()
    assert superuser.is_active
    assert not user.is_active
    assert any("Cannot disable your own account" in m for m in messages_of(response))


def test_make_and_unmake_superuser_actions(console, user):
    response = act(console, "make_superusers", [user])
    user.refresh_from_db()
    assert user.is_superuser and user.is_staff
    assert any("1 user(s) made superuser" in m for m in messages_of(response))

    act(console, "unmake_superusers", [user])
    user.refresh_from_db()
    assert not user.is_superuser and not user.is_staff


def test_unmake_superuser_action_refuses_yourself(console, superuser):
    response = act(console, "unmake_superusers", [superuser])
    superuser.refresh_from_db()
    assert superuser.is_superuser
    assert any("Cannot change your own superuser status" in m for m in messages_of(response))


def test_delete_action_goes_through_the_service_and_spares_yourself(console, superuser, user):
    api = client_for(user)
    confirm = console.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [superuser.pk, user.pk]})
    assert confirm.status_code == 200
    assert any("Cannot delete your own account" in m for m in messages_of(confirm))
    assert list(confirm.context["queryset"]) == [user]
    response = console.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [superuser.pk, user.pk], "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert User.objects.filter(pk=superuser.pk).exists()
    assert not User.objects.filter(pk=user.pk).exists()
    assert any("Cannot delete your own account" in m for m in messages_of(response))
    assert any("Successfully deleted 1 user" in m for m in messages_of(response))
    assert api.get("/auth/me").status_code == 401


def test_delete_view_for_yourself_is_refused(console, superuser):
    response = console.post(reverse("admin:accounts_user_delete", args=[superuser.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=superuser.pk).exists()


def test_delete_view_for_another_user(console, user):
    response = console.post(reverse("admin:accounts_user_delete", args=[user.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()


# --- add / change forms ---------------------------------------------------------------------


def add_user(console, **overrides):
    data = {
        "username": "newbie",
        "email": "newbie@example.com",
        "full_name": "New Bie",
        "phone_number": "+48 600-700-800",
        "usable_password": "true",
        "password1": "Str0ng-pass-123",
        "password2": "Str0ng-pass-123",
    } | overrides
    return console.post(reverse("admin:accounts_user_add"), data)


def test_add_user_form_renders(console):
    response = console.get(reverse("admin:accounts_user_add"))
    assert response.status_code == 200
    for field in ("username", "email", "phone_number", "password1", "password2"):
        assert f'name="{field}"' in response.content.decode()


def test_add_user(console):
    response = add_user(console)
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = User.objects.get(username="newbie")
    assert created.check_password("Str0ng-pass-123")
    assert created.phone_number == "+48600700800"
    assert created.is_active and not created.is_superuser and not created.is_staff
    # The new account works through the API right away.
    tokens = APIClient().post("/auth/login", {"username": "newbie", "password": "Str0ng-pass-123"}, format="json")
    assert tokens.status_code == 200


def test_add_user_without_phone_stores_null(console):
    assert add_user(console, phone_number="").status_code == 302
    assert add_user(console, username="second", email="second@example.com", phone_number="").status_code == 302
    assert User.objects.filter(phone_number__isnull=True, username__in=["newbie", "second"]).count() == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone_number": "12345"}, "phone_number"),
        ({"phone_number": "+48600700801"}, "phone_number"),
        ({"email": "TAKEN@example.com"}, "email"),
        ({"username": "taken"}, "username"),
        ({"password2": "different-123"}, "password2"),
        ({"email": ""}, "email"),
    ],
)
def test_add_user_validation(console, overrides, field):
    UserFactory(username="taken", email="taken@example.com", phone_number="+48600700801")
    response = add_user(console, **overrides)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not User.objects.filter(username="newbie").exists()


def change_data(user, **overrides) -> dict:
    data = {
        "username": user.username,
        "email": user.email,
        "full_name": user.full_name or "",
        "bio": user.bio or "",
        "phone_number": user.phone_number or "",
        "user_roles-TOTAL_FORMS": "0",
        "user_roles-INITIAL_FORMS": "0",
        "user_roles-MIN_NUM_FORMS": "0",
        "user_roles-MAX_NUM_FORMS": "1000",
        "sessions-TOTAL_FORMS": "0",
        "sessions-INITIAL_FORMS": "0",
        "sessions-MIN_NUM_FORMS": "0",
        "sessions-MAX_NUM_FORMS": "0",
    }
    return data | overrides


def test_change_form_renders_with_inlines(console, user):
    client_for(user)
    UserRole.objects.create(user=user, role=RoleFactory(name="support"))
    response = console.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "support" in html
    assert "127.0.0.1" in html  # the session inline
    assert UserSession.objects.get(user=user).session_token not in html
    assert "../password/" in html


def test_change_form_normalises_phone_and_leaves_flags_alone(console, user):
    url = reverse("admin:accounts_user_change", args=[user.pk])
    response = console.post(url, change_data(user, phone_number="+1 415 555 0100", is_superuser="on"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.phone_number == "+14155550100"
    assert not user.is_superuser  # flags change only through the actions (services)


def test_change_form_rejects_a_duplicate_email(console, user, other_user):
    url = reverse("admin:accounts_user_change", args=[user.pk])
    response = console.post(url, change_data(user, email=other_user.email.upper()))
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors


def test_change_form_assigns_roles(console, user):
    role = RoleFactory()
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = change_data(user, **{"user_roles-TOTAL_FORMS": "1", "user_roles-0-role": str(role.pk)})
    response = console.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(UserRole.objects.filter(user=user).values_list("role_id", flat=True)) == [role.pk]


def test_admin_password_change_sets_the_password_and_ends_api_sessions(console, user):
    api = client_for(user)
    url = reverse("admin:auth_user_password_change", args=[user.pk])  # the name UserAdmin gives it
    response = console.post(
        url, {"password1": "An0ther-pass-456", "password2": "An0ther-pass-456", "usable_password": "true"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("An0ther-pass-456")
    assert api.get("/auth/me").status_code == 401
    refreshed = APIClient().post("/auth/refresh", {"refresh_token": api.tokens["refresh_token"]}, format="json")
    assert refreshed.status_code == 401


# --- sessions and roles ---------------------------------------------------------------------


def test_session_changelist_and_end_session_action(console, user):
    first = client_for(user)
    second = client_for(user)
    target = UserSession.objects.filter(user=user).order_by("id").first()
    url = reverse("admin:accounts_usersession_changelist")
    response = console.get(url)
    assert response.status_code == 200
    assert target.session_token not in response.content.decode()

    response = console.post(url, {"action": "end_sessions", "_selected_action": [target.pk]}, follow=True)
    assert response.status_code == 200
    assert any("1 session(s) ended" in m for m in messages_of(response))
    target.refresh_from_db()
    assert not target.is_active
    assert first.get("/auth/me").status_code == 401
    refreshed = APIClient().post("/auth/refresh", {"refresh_token": first.tokens["refresh_token"]}, format="json")
    assert refreshed.status_code == 401
    assert second.get("/auth/me").status_code == 200


def test_session_admin_cannot_add_or_edit(console, user):
    client_for(user)
    session = UserSession.objects.get(user=user)
    assert console.get(reverse("admin:accounts_usersession_add")).status_code == 403
    change_url = reverse("admin:accounts_usersession_change", args=[session.pk])
    assert console.get(change_url).status_code == 200
    console.post(change_url, {"device_info": "tampered", "is_active": ""})
    session.refresh_from_db()
    assert session.device_info != "tampered" and session.is_active


def test_session_delete_blacklists_the_refresh_token(console, user):
    api = client_for(user)
    session = UserSession.objects.get(user=user)
    response = console.post(reverse("admin:accounts_usersession_delete", args=[session.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not UserSession.objects.filter(pk=session.pk).exists()
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    assert BlacklistedToken.objects.filter(token__jti=session.refresh_jti).exists()
    assert api.get("/auth/me").status_code == 401


def test_role_admin(console):
    RoleFactory(name="support", description="Helps people")
    url = reverse("admin:accounts_role_changelist")
    response = console.get(url, {"q": "supp"})
    assert response.status_code == 200
    assert [r.name for r in response.context["cl"].result_list] == ["support"]
    response = console.post(reverse("admin:accounts_role_add"), {"name": "ops", "description": ""})
    assert response.status_code == 302
    assert Role.objects.filter(name="ops").exists()


# --- phone verification (issue 22) ------------------------------------------------------------


def test_changelist_shows_whether_a_phone_is_verified_and_filters_on_it(console):
    UserFactory(username="alice", phone_number="+48111111111", phone_verified=True)
    UserFactory(username="bob", phone_number="+48222222222")
    response = console.get(CHANGELIST)
    assert "column-phone_verified" in response.content.decode()
    verified = console.get(CHANGELIST, {"phone_verified_at__isempty": "0"})
    assert [u.username for u in verified.context["cl"].result_list] == ["alice"]


def test_the_mark_phones_verified_action(console):
    alice = UserFactory(username="alice", phone_number="+48111111111")
    nobody = UserFactory(username="bob", phone_number=None)
    response = act(console, "mark_phones_verified", [alice, nobody])
    assert "1 phone number(s) marked verified." in messages_of(response)
    alice.refresh_from_db()
    assert alice.phone_verified


def test_a_superuser_vouches_for_a_number_on_the_change_form(console, user):
    user.phone_number = "+48111111111"
    user.save()
    url = reverse("admin:accounts_user_change", args=[user.pk])
    assert "Phone number verified" in console.get(url).content.decode()
    response = console.post(url, change_data(user, phone_verified="on"))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.phone_verified


def test_changing_the_number_on_the_change_form_unverifies_it(console, user):
    user.phone_number, user.phone_verified_at = "+48111111111", timezone.now()
    user.save()
    url = reverse("admin:accounts_user_change", args=[user.pk])
    # The box stays ticked as rendered: it vouched for the old number, not the new one.
    response = console.post(url, change_data(user, phone_number="+48 222 222 222", phone_verified="on"))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.phone_number == "+48222222222" and not user.phone_verified
