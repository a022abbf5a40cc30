"""Bearer authentication: one query per request, and a session ended anywhere (another process, a
bulk UPDATE that sends no signal) stops its tokens on the very next request."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts import authentication
from accounts.models import UserSession
from accounts.tests.factories import UserFactory
from tests.helpers import login

ROOT = Path(__file__).resolve().parents[2]
ME = "/auth/me"
REFUSED = {"detail": "Could not validate credentials"}


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.django_db
def test_one_query_authenticates_each_request(auth_client, django_assert_num_queries):
    # /auth/me reads nothing beyond the authenticated user: the whole request is the session read.
    auth_client.get(ME)
    for _ in range(2):
        with django_assert_num_queries(1):
            response = auth_client.get(ME)
        assert response.status_code == 200


@pytest.mark.django_db
def test_a_session_ended_by_a_bulk_update_is_refused_at_once(auth_client, user):
    assert auth_client.get(ME).status_code == 200
    UserSession.objects.filter(user=user).update(is_active=False)  # no signal, no cache to clear
    response = auth_client.get(ME)
    assert (response.status_code, response.json()) == (401, REFUSED)


@pytest.mark.django_db
def test_a_user_disabled_after_a_request_is_refused_at_once(auth_client, user):
    assert auth_client.get(ME).status_code == 200
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    response = auth_client.get(ME)
    assert (response.status_code, response.json()) == (403, {"detail": "User is disabled"})


@pytest.mark.django_db
def test_a_token_decoded_before_is_refused_once_it_expires(auth_client, monkeypatch):
    assert auth_client.get(ME).status_code == 200  # decoded once: kept by this process
    later = authentication.aware_utcnow() + timedelta(days=1)
    monkeypatch.setattr(authentication, "aware_utcnow", lambda: later)
    response = auth_client.get(ME)
    assert (response.status_code, response.json()) == (401, REFUSED)


@pytest.mark.django_db
def test_a_session_of_another_user_is_refused(auth_client, other_client):
    token = AccessToken(auth_client.tokens["access_token"])
    token["sid"] = AccessToken(other_client.tokens["access_token"])["sid"]
    response = bearer(str(token)).get(ME)
    assert (response.status_code, response.json()) == (401, REFUSED)


@pytest.mark.django_db
@pytest.mark.parametrize("claim", ["sid", "sub"])
def test_an_id_past_the_database_integers_is_refused_not_an_error(auth_client, claim):
    token = AccessToken(auth_client.tokens["access_token"])
    token[claim] = 2**70 if claim == "sid" else str(2**70)
    response = bearer(str(token)).get(ME)
    assert (response.status_code, response.json()) == (401, REFUSED)


@pytest.mark.django_db
def test_the_session_and_user_read_as_the_orm_reads_them(auth_client, user):
    session = UserSession.objects.select_related("user").get(user=user)
    read = authentication.session_with_user(session_id=session.pk, user_id=user.pk)
    assert read is not None
    fields = [f.attname for f in UserSession._meta.concrete_fields]
    assert [getattr(read, name) for name in fields] == [getattr(session, name) for name in fields]
    user_fields = [f.attname for f in type(user)._meta.concrete_fields]
    assert [getattr(read.user, name) for name in user_fields] == [getattr(session.user, name) for name in user_fields]
    assert not read._state.adding and read.user._state.db == connection.alias


REVOKE_ELSEWHERE = """
import django, sys
django.setup()
from accounts.models import UserSession
from accounts.services.sessions import sessions_end
sessions_end(sessions=UserSession.objects.filter(pk=int(sys.argv[1])))
"""


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_session_revoked_by_another_process_is_refused_at_once():
    user = UserFactory()
    me = bearer(login(APIClient(), user.username)["access_token"])
    assert me.get(ME).status_code == 200  # token decoded and session read in this process
    session = UserSession.objects.get(user=user)
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    subprocess.run([sys.executable, "-c", REVOKE_ELSEWHERE, str(session.pk)], cwd=ROOT, env=env, check=True)
    assert UserSession.objects.get(pk=session.pk).is_active is False
    response = me.get(ME)
    assert (response.status_code, response.json()) == (401, REFUSED)
