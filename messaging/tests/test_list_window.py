"""GET /messages reads only what its window can hold: the newest `skip + limit` sent and received,
never the user's whole history, and answers exactly what "sent or received, newest first" means."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from messaging.models import Message

pytestmark = pytest.mark.django_db

BOT = -1


def _history(user, other, third, count: int) -> None:
    """Sent, received, notes to oneself, the bot's replies and an SMS without a sender, interleaved;
    some share a timestamp, so the id decides their order."""
    start = timezone.now() - timedelta(days=1)
    pairs = [(user.pk, other.pk), (other.pk, user.pk), (user.pk, user.pk), (BOT, user.pk), (None, user.pk),
             (user.pk, third.pk), (other.pk, third.pk), (user.pk, BOT)]  # fmt: skip
    rows = [
        Message(sender_id=sender, recipient_id=recipient, content=f"m{index}",
                created_at=start + timedelta(seconds=index // 3))
        for index, (sender, recipient) in enumerate(pairs[index % len(pairs)] for index in range(count))
    ]  # fmt: skip
    Message.objects.bulk_create(rows)


def _expected_ids(user, skip: int, limit: int) -> list[int]:
    newest = (
        Message.objects.filter(Q(sender_id=user.pk) | Q(recipient_id=user.pk))
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)[skip : skip + limit]
    )
    return list(reversed(list(newest)))


@pytest.mark.parametrize(("skip", "limit"), [(0, 50), (0, 1), (3, 7), (40, 50), (0, 500), (230, 50), (400, 10)])
def test_the_window_is_the_users_newest_messages_oldest_first(auth_client, user, skip, limit):
    other, third = UserFactory(), UserFactory()
    _history(user, other, third, 300)
    response = auth_client.get(f"/messages?skip={skip}&limit={limit}")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == _expected_ids(user, skip, limit)


def test_a_note_to_oneself_is_listed_once(auth_client, user):
    note = Message.objects.create(sender_id=user.pk, recipient_id=user.pk, content="remember")
    assert [row["id"] for row in auth_client.get("/messages").json()] == [note.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan; SQLite reads one condition")
def test_a_long_history_is_not_read_for_one_page(auth_client, user):
    other, third = UserFactory(), UserFactory()
    _history(user, other, third, 6000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE messaging_message")
    with CaptureQueriesContext(connection) as context:
        response = auth_client.get("/messages?skip=10&limit=20")
    assert [row["id"] for row in response.json()] == _expected_ids(user, 10, 20)
    (listing,) = [q["sql"] for q in context.captured_queries if "messaging_message" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + listing)
        (plan,) = cursor.fetchone()[0]

    def nodes(node):
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    def rows_read(node) -> int:
        return sum(
            n["Actual Rows"] * n["Actual Loops"] for n in nodes(node) if n.get("Relation Name") == "messaging_message"
        )

    # Finding the window reads the newest 30 sent and the newest 30 received (the user has ~5,000
    # messages); fetching those rows by id is the planner's choice for the table's size.
    (union,) = [node for node in nodes(plan["Plan"]) if node["Node Type"] == "Append"]
    assert rows_read(union) <= 2 * 30, json.dumps(plan["Plan"])[:2000]
