"""The panel's account pages: registration, the profile with its phone rules, the password change
and the signed-in devices."""

import pytest
from django.test import Client

from accounts.models import User, UserSession
from accounts.tests.factories import PASSWORD
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_register_signs_the_new_user_in():
    client = Client()
    response = client.post(
        "/accounts/register/",
        {"username": "newbie", "email": "n@example.com", "password": "s3cret-pass", "password_confirm": "s3cret-pass"},
    )
    assert (response.status_code, response["Location"]) == (302, "/")
    assert client.get("/", HTTP_ACCEPT="text/html")["Location"] == "/app/"
    assert User.objects.filter(username="newbie").exists()


def test_register_explains_what_is_wrong(user):
    response = Client().post(
        "/accounts/register/",
        {"username": user.username, "email": "x@example.com", "password": "123", "password_confirm": "456"},
    )
    text = response.content.decode()
    assert "The two passwords do not match." in text
    taken = Client().post(
        "/accounts/register/",
        {
            "username": user.username,
            "email": "x@example.com",
            "password": "s3cret-pass",
            "password_confirm": "s3cret-pass",
        },
    )
    assert "Username already registered" in taken.content.decode()


def test_profile_saves_name_bio_and_a_normalised_phone(user):
    client = browser(user)
    response = client.post("/app/profile/", {"full_name": "Ada L", "bio": "Hi", "phone_number": "+48 123 456 789"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.full_name, user.bio, user.phone_number) == ("Ada L", "Hi", "+48123456789")


def test_profile_phone_validation_messages(user, other_user):
    client = browser(user)
    bad = client.post("/app/profile/", {"full_name": "", "bio": "", "phone_number": "12345"})
    assert bad.status_code == 400
    assert "E.164" in bad.content.decode() and 'aria-invalid="true"' in bad.content.decode()
    other_user.phone_number = "+48123456789"
    other_user.save()
    taken = client.post("/app/profile/", {"full_name": "", "bio": "", "phone_number": "+48123456789"})
    assert "Phone number already registered" in taken.content.decode()
    polish = client.post("/app/profile/", {"phone_number": "12345"}, HTTP_ACCEPT_LANGUAGE="pl")
    assert "Numer telefonu musi być w formacie E.164" in polish.content.decode()


def test_password_change_keeps_this_browser_and_ends_other_sessions(user):
    api = client_for(user)
    elsewhere = browser(user)
    client = browser(user)
    response = client.post("/app/profile/password/", {"current_password": PASSWORD, "new_password": "n3w-passw0rd"})
    assert response.status_code == 302
    assert client.get("/app/profile/").status_code == 200
    assert elsewhere.get("/app/profile/").status_code == 302  # signed out
    assert api.get("/auth/me").status_code == 401
    wrong = client.post("/app/profile/password/", {"current_password": "nope", "new_password": "an0ther-pass"})
    assert "Current password is incorrect" in wrong.content.decode()


def test_sessions_are_listed_and_revoked(user, other_user):
    client_for(user)
    session = UserSession.objects.get(user=user)
    client = browser(user)
    assert f"/app/profile/sessions/{session.pk}/revoke/" in client.get("/app/profile/").content.decode()
    client_for(other_user)
    foreign = UserSession.objects.get(user=other_user)
    client.post(f"/app/profile/sessions/{foreign.pk}/revoke/")
    assert UserSession.objects.filter(pk=foreign.pk).exists()
    client.post(f"/app/profile/sessions/{session.pk}/revoke/")
    assert not UserSession.objects.filter(pk=session.pk).exists()


def test_login_lands_on_the_panel(user):
    response = Client().post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response["Location"] == "/"


def test_the_login_page_speaks_polish():
    # Issue 28.5: the username's label came from the model field and stayed English.
    from django.test import Client

    polish = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Nazwa użytkownika" in polish and "Username" not in polish
    assert "Hasło" in polish
