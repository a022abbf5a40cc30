"""Every list that takes seed 1's `skip`/`limit` rejects a window the database cannot take with a
400 naming the field (found by fuzzing: a skip past 64 bits was a database error, a 500)."""

import pytest

from core.lists import SKIP_MAX
from messaging.selectors.keys import ai_conversation_key

WINDOWED = [
    "/messages",
    "/messages/sent",
    "/messages/received",
    "/auth/conversations",
    "/auth/conversations/{ai}/messages",
    "/reports",
    "/reports/admin/all",
    "/auth/users",
    "/api/v1/messages",
    "/api/v1/auth/conversations",
]


@pytest.mark.parametrize("path", WINDOWED)
@pytest.mark.parametrize("skip", [SKIP_MAX + 1, 9223372036854775808, 10**35])
def test_a_skip_past_the_largest_offset_is_a_400_naming_it(admin_client_api, superuser, path, skip):
    url = path.format(ai=ai_conversation_key(user_id=superuser.pk))
    response = admin_client_api.get(f"{url}?skip={skip}")
    assert response.status_code == 400
    assert "skip" in response.json()["detail"]


@pytest.mark.parametrize("path", WINDOWED)
def test_the_largest_skip_is_an_empty_page(admin_client_api, superuser, path):
    url = path.format(ai=ai_conversation_key(user_id=superuser.pk))
    response = admin_client_api.get(f"{url}?skip={SKIP_MAX}&limit=500")
    assert response.status_code == 200
    assert response.json() == []
