"""With the database unreachable an API client gets a JSON 503 with Retry-After in its path's
dialect, and any unexpected error a JSON 500: never Django's HTML error page. Which database errors
say that the connection died (and a second try on a new one may work)."""

import sqlite3

import psycopg
import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.urls import path
from psycopg_pool import PoolTimeout
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from core.db import connection_lost
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise OperationalError("connection refused")

    def go_down() -> None:
        monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)

    return go_down


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/messages", {"detail": "Service temporarily unavailable. Try again later."}),
        ("/api/v1/reports", {"detail": "Service temporarily unavailable. Try again later."}),
    ],
)
def test_an_api_call_with_the_database_down_is_a_json_503(database_down, path, body):
    client = client_for(UserFactory())
    database_down()

    response = client.get(path)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == body
    assert response["Retry-After"] == "5"


def test_login_with_the_database_down_is_a_json_503(database_down):
    database_down()
    response = APIClient().post("/auth/login", {"username": "ann", "password": "whatever-1"}, format="json")
    assert response.status_code == 503
    assert response.json() == {"detail": "Service temporarily unavailable. Try again later."}


def crash(request):
    raise RuntimeError("a bug")


urlpatterns = [path("messages/crash", crash), path("api/crash", crash), path("page/crash", crash)]
handler500 = "core.views.server_error"


def test_the_project_answers_errors_with_the_same_handler():
    from config import urls

    assert urls.handler500 == handler500


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("path", "accept", "body"),
    [
        ("/messages/crash", "*/*", {"detail": "Internal Server Error"}),
        ("/api/crash", "*/*", {"error": "Internal Server Error"}),
        ("/page/crash", "application/json", {"detail": "Internal Server Error"}),
    ],
)
def test_an_unexpected_error_is_a_json_500_for_api_clients(client, path, accept, body):
    client.raise_request_exception = False
    response = client.get(path, HTTP_ACCEPT=accept)
    assert response.status_code == 500
    assert response.json() == body


@pytest.mark.urls(__name__)
def test_a_browser_still_gets_the_html_error_page(client):
    client.raise_request_exception = False
    response = client.get("/page/crash", HTTP_ACCEPT="text/html")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def _django_error(cause: BaseException) -> OperationalError:
    error = OperationalError(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("cause", "lost"),
    [
        (psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly"), True),
        (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), True),
        (psycopg.errors.ConnectionFailure("connection failure"), True),
        (psycopg.errors.DeadlockDetected("deadlock detected"), False),
        (psycopg.errors.SerializationFailure("could not serialize access"), False),
        (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), False),
        (PoolTimeout("couldn't get a connection after 30.00 sec"), False),
        (sqlite3.OperationalError("database is locked"), False),
    ],
)
def test_only_a_dead_connection_counts_as_lost(cause, lost):
    assert connection_lost(_django_error(cause)) is lost
