import pytest
from django.test import Client


@pytest.mark.django_db
def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy"}


@pytest.mark.django_db
def test_db_test_runs_a_query(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/db-test")
    assert response.status_code == 200
    assert response.json() == {"status": "database connection working"}


def test_db_test_reports_a_database_error(client, monkeypatch):
    from django.db import DatabaseError, connection

    def broken_cursor(*args, **kwargs):
        raise DatabaseError("down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/db-test")
    assert response.status_code == 503
    assert response.json() == {"status": "database error"}


def test_root_is_json_for_api_clients(client):
    response = client.get("/", HTTP_ACCEPT="application/json")
    assert response.json() == {"message": "AI Messaging", "docs": "/docs"}


def test_root_sends_browsers_to_the_console(client):
    response = client.get("/", HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert response.status_code == 302


@pytest.mark.django_db
def test_without_a_staff_panel_superusers_land_in_the_admin_and_agents_in_their_panel(settings, superuser, agent):
    settings.STAFF_HOME_VIEW = ""
    for user, landing in ((superuser, "/admin/"), (agent, "/app/")):
        client = Client()
        client.force_login(user)
        assert client.get("/", HTTP_ACCEPT="text/html")["Location"] == landing


@pytest.mark.parametrize(
    "path",
    ["/reports/abc", "/auth/users/abc", "/auth/nope", "/api/v1/reports/abc", "/api/v1/auth/nope"],
)
def test_unrouted_public_api_path_is_a_json_404_in_the_detail_dialect(client, path):
    # FastAPI answers an unknown route with {"detail": "Not Found"}; API clients never get HTML (§0.3.1).
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not Found"}


def test_unrouted_staff_api_path_is_a_json_404_in_the_error_dialect(client):
    response = client.get("/api/no-such-endpoint")
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found"}


def test_unrouted_page_outside_the_api_stays_html(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_favicon_is_a_static_icon(client):
    # Issue 28.5: every browser tab asked for /favicon.ico and got a 404.
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/panel/favicon.ico"
    with open(finders.find("panel/favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an ICO file's header
