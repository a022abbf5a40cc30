"""List endpoints: constant query counts and the skip/limit window (CONTRACT §2.0, §7 B35)."""

import pytest
from django.test.utils import CaptureQueriesContext

from accounts.models import UserSession
from accounts.tests.factories import RoleFactory, UserFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

LIST_PATHS = ["/auth/users", "/auth/sessions", "/auth/roles"]


def _make_rows(path: str, superuser, count: int) -> None:
    """Bring the list behind `path` to `count` rows for the superuser."""
    if path == "/auth/users":
        UserFactory.create_batch(count - 1)  # the superuser is a row too
    elif path == "/auth/sessions":
        session = UserSession.objects.get(user=superuser)
        UserSession.objects.bulk_create(
            [
                UserSession(
                    user=superuser,
                    session_token=f"t{i}",
                    expires_at=session.expires_at,
                    device_info="bulk",
                )
                for i in range(count - 1)
            ]
        )
    else:
        RoleFactory.create_batch(count)


def _queries(client, path: str) -> tuple[int, int]:
    from django.db import connection

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.json())


@pytest.mark.parametrize("path", LIST_PATHS)
def test_list_query_count_does_not_grow_with_rows(superuser, path, django_assert_max_num_queries):
    client = client_for(superuser)
    _make_rows(path, superuser, 1)
    one_queries, rows = _queries(client, path)
    assert rows == 1
    _make_rows(path, superuser, 50)
    with django_assert_max_num_queries(one_queries):
        response = client.get(path)
    assert len(response.json()) >= 50


@pytest.mark.parametrize("path", LIST_PATHS)
def test_limit_is_clamped(superuser, path):
    client = client_for(superuser)
    _make_rows(path, superuser, 3)
    assert len(client.get(f"{path}?limit=0").json()) == 1
    assert len(client.get(f"{path}?limit=-5").json()) == 1
    assert len(client.get(f"{path}?limit=2").json()) == 2


@pytest.mark.parametrize("path", LIST_PATHS)
def test_limit_above_max_returns_at_most_500(superuser, path):
    client = client_for(superuser)
    _make_rows(path, superuser, 505)
    body = client.get(f"{path}?limit=100000").json()
    assert len(body) == 500


@pytest.mark.parametrize("path", LIST_PATHS)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=abc", "limit"),
        ("skip=abc", "skip"),
        ("skip=-1", "skip"),
        ("skip=9223372036854775808", "skip"),  # past a 64-bit OFFSET: was a database error (500)
        ("skip=46706709923165082198713264955719680", "skip"),
    ],
)
def test_bad_window_params_name_the_field(admin_client_api, path, query, field):
    response = admin_client_api.get(f"{path}?{query}")
    assert response.status_code == 400
    assert field in response.json()["detail"]


def test_skip_past_the_end_is_empty(admin_client_api):
    assert admin_client_api.get("/auth/users?skip=1000").json() == []
    assert admin_client_api.get(f"/auth/users?skip={2**62}&limit=500").json() == []


def test_users_default_limit_is_100(superuser):
    client = client_for(superuser)
    _make_rows("/auth/users", superuser, 150)
    assert len(client.get("/auth/users").json()) == 100


@pytest.mark.parametrize("path", ["/auth/sessions", "/auth/roles"])
def test_lists_without_pages_default_to_the_maximum(superuser, path):
    # Seed 1 returns these in full; the default window is the cap, so clients see every row.
    client = client_for(superuser)
    _make_rows(path, superuser, 150)
    assert len(client.get(path).json()) == 150
