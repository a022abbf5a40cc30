import pytest


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
    assert response.json() == {"message": "Hello World", "docs": "/docs"}


def test_root_sends_browsers_to_the_console(client):
    response = client.get("/", HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert response.status_code == 302
