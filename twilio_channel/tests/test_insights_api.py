"""`GET /api/insights` against a fixture whose numbers were worked out by hand (issue 27): per day
and channel counts, the median and p90 time to the first reply, AI cost per conversation, the top
conversations by cost and today's budget use; the same on SQLite and PostgreSQL. Access and bad
parameters too."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from messaging.enums import ConversationKind
from messaging.models import Conversation, Message, ModeChange
from orchestrator.models import AISpend
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

D0, D1, D2, D3 = (datetime(2026, 3, day, tzinfo=UTC) for day in (1, 2, 3, 4))
BOT = -1


def at(day: datetime, clock: str) -> datetime:
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    return day + timedelta(hours=hours, minutes=minutes, seconds=seconds)


def phone(channel: str, number: str) -> Conversation:
    key = f"phone:{number}" if channel == "sms" else f"{channel}:{number}"
    return Conversation.objects.create(key=key, kind=ConversationKind.PHONE, participant_number=number)


def msg(conversation, channel, direction, when, **fields) -> Message:
    return Message.objects.create(
        conversation=conversation, channel=channel, direction=direction, created_at=when, **fields
    )


@pytest.fixture
def traffic():
    a, b, c = phone("sms", "+48111"), phone("sms", "+48222"), phone("sms", "+48333")
    # A: a burst of two, an AI reply 10 s after its first; then a failed send and a staff reply at 60 s.
    msg(a, "sms", "inbound", at(D1, "10:00:00"))
    msg(a, "sms", "inbound", at(D1, "10:00:01"))
    msg(a, "sms", "outbound", at(D1, "10:00:10"), model="m", ai_cost=Decimal("0.010"), status="delivered")
    msg(a, "sms", "inbound", at(D1, "11:00:00"))
    msg(a, "sms", "outbound", at(D1, "11:00:30"), status="failed")
    msg(a, "sms", "outbound", at(D1, "11:01:00"), status="sent")
    # B: two AI replies, 20 s and 120 s.
    msg(b, "sms", "inbound", at(D1, "12:00:00"))
    msg(b, "sms", "outbound", at(D1, "12:00:20"), model="m", ai_cost=Decimal("0.020"), status="sent")
    msg(b, "sms", "inbound", at(D1, "13:00:00"))
    msg(b, "sms", "outbound", at(D1, "13:02:00"), model="m", ai_cost=Decimal("0.030"), status="sent")
    # C: never answered: no wait counted.
    msg(c, "sms", "inbound", at(D1, "14:00:00"))
    # Before the range: counted nowhere.
    d = phone("sms", "+48444")
    msg(d, "sms", "inbound", at(D0, "23:59:00"))
    msg(d, "sms", "outbound", at(D0, "23:59:30"), model="m", ai_cost=Decimal("1.000"), status="sent")
    # The web: a user's AI thread, answered in 5 s.
    user = UserFactory()
    w = Conversation.objects.create(key=f"conv_-1_{user.pk}", kind=ConversationKind.AI, user=user)
    msg(w, "web", "internal", at(D1, "09:00:00"), sender_id=user.pk, recipient_id=BOT)
    msg(
        w,
        "web",
        "internal",
        at(D1, "09:00:05"),
        sender_id=BOT,
        recipient_id=user.pk,
        model="m",
        ai_cost=Decimal("0.005"),
    )
    # Telegram: asked just before midnight of D2, answered 30 s later on D3 (after the range).
    t = phone("telegram", "777")
    msg(t, "telegram", "inbound", at(D2, "23:59:50"))
    msg(t, "telegram", "outbound", at(D3, "00:00:20"), model="m", ai_cost=Decimal("0.002"), status="sent")
    # Handoffs: A asked for a person, B tripped the loop breaker and was handed back by staff (a
    # switch to "ai": no handoff), then taken over by staff; the web thread ran out of budget.
    ModeChange.objects.create(
        conversation=a, mode="human", reason="asked", channel="sms", created_at=at(D1, "10:05:00")
    )
    ModeChange.objects.create(conversation=b, mode="human", reason="loop", channel="sms", created_at=at(D1, "12:30:00"))
    ModeChange.objects.create(conversation=b, mode="ai", reason="staff", channel="sms", created_at=at(D1, "12:40:00"))
    ModeChange.objects.create(
        conversation=b, mode="human", reason="staff", channel="sms", created_at=at(D1, "12:50:00")
    )
    ModeChange.objects.create(
        conversation=w, mode="human", reason="budget", channel="web", created_at=at(D1, "09:10:00")
    )
    ModeChange.objects.create(conversation=d, mode="human", reason="loop", channel="sms", created_at=at(D0, "23:59:40"))
    return {"a": a, "b": b, "w": w}


@pytest.fixture
def staff_client(agent):
    return client_for(agent)


def get(client, **query):
    return client.get("/api/insights", query)


def rows_by(body) -> dict:
    return {(row["day"], row["channel"]): row for row in body["rows"]}


def test_the_numbers_of_a_known_fixture(staff_client, traffic):
    response = get(staff_client, **{"from": "2026-03-02", "to": "2026-03-03"})

    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"], body["channel"], body["currency"]) == ("2026-03-02", "2026-03-03", None, "USD")
    rows = rows_by(body)
    assert sorted(rows) == [("2026-03-02", "sms"), ("2026-03-02", "web"), ("2026-03-03", "telegram")]
    sms = rows[("2026-03-02", "sms")]
    assert {k: sms[k] for k in ("inbound", "outbound", "ai_replies", "failed_sends", "ai_conversations")} == {
        "inbound": 6,
        "outbound": 5,
        "ai_replies": 3,
        "failed_sends": 1,
        "ai_conversations": 2,
    }
    assert sms["handoffs"] == 3
    assert sms["handoff_reasons"] == {"asked": 1, "loop": 1, "budget": 0, "staff": 1}
    # Waits 10, 60, 20, 120 s: sorted 10 20 60 120; median at rank 1.5 -> 40; p90 at 2.7 -> 60 + 0.7 * 60.
    assert (sms["first_replies"], sms["median_s"], sms["p90_s"]) == (4, 40.0, 102.0)
    assert Decimal(sms["ai_cost"]) == Decimal("0.060")
    assert Decimal(sms["ai_cost_per_conversation"]) == Decimal("0.030")
    web = rows[("2026-03-02", "web")]
    assert (
        web["inbound"],
        web["outbound"],
        web["ai_replies"],
        web["first_replies"],
        web["median_s"],
        web["p90_s"],
    ) == (
        1,
        1,
        1,
        1,
        5.0,
        5.0,
    )
    assert Decimal(web["ai_cost_per_conversation"]) == Decimal("0.005")
    assert (web["handoffs"], web["handoff_reasons"]["budget"]) == (1, 1)
    telegram = rows[("2026-03-03", "telegram")]
    assert (telegram["inbound"], telegram["outbound"], telegram["median_s"], telegram["p90_s"]) == (1, 0, 30.0, 30.0)
    assert Decimal(telegram["ai_cost"]) == 0
    assert telegram["ai_cost_per_conversation"] is None
    assert telegram["handoffs"] == 0
    top = [(row["conversation_id"], Decimal(row["ai_cost"]), row["ai_replies"]) for row in body["top_conversations"]]
    assert top == [
        (traffic["b"].pk, Decimal("0.050"), 2),
        (traffic["a"].pk, Decimal("0.010"), 1),
        (traffic["w"].pk, Decimal("0.005"), 1),
    ]
    assert [row["channel"] for row in body["top_conversations"]] == ["sms", "sms", "web"]


def test_one_channel(staff_client, traffic):
    body = get(staff_client, **{"from": "2026-03-02", "to": "2026-03-03", "channel": "sms"}).json()

    assert sorted(rows_by(body)) == [("2026-03-02", "sms")]
    assert [row["conversation_id"] for row in body["top_conversations"]] == [traffic["b"].pk, traffic["a"].pk]


def test_a_wait_answered_after_the_range_counts_on_its_day_and_the_reply_does_not(staff_client, traffic):
    body = get(staff_client, **{"from": "2026-03-04", "to": "2026-03-04"}).json()

    telegram = rows_by(body)[("2026-03-04", "telegram")]
    assert (telegram["inbound"], telegram["outbound"], telegram["first_replies"]) == (0, 1, 0)
    assert Decimal(telegram["ai_cost"]) == Decimal("0.002")


def test_budget_use_today(staff_client, settings):
    settings.AI_DAILY_BUDGET = "1.00"
    settings.AI_CONTACT_DAILY_BUDGET = "0.10"
    today = timezone.now().astimezone(UTC).date()
    AISpend.objects.create(day=today, scope="global", spent_nano=250_000_000, reserved_nano=50_000_000)
    AISpend.objects.create(day=today, scope="contact:number:+48111", spent_nano=100_000_000)
    AISpend.objects.create(day=today, scope="contact:number:+48222", spent_nano=40_000_000)
    AISpend.objects.create(day=today - timedelta(days=1), scope="global", spent_nano=990_000_000)

    budget = get(staff_client).json()["budget_today"]

    assert budget["day"] == today.isoformat()
    glob = budget["global"]
    assert [Decimal(glob[k]) for k in ("spent", "reserved", "cap")] == [Decimal("0.25"), Decimal("0.05"), Decimal(1)]
    assert glob["used"] == pytest.approx(0.3)
    contacts = budget["contacts"]
    assert (contacts["count"], contacts["at_cap"]) == (2, 1)
    assert [Decimal(contacts[k]) for k in ("spent", "highest", "cap")] == [
        Decimal("0.14"),
        Decimal("0.10"),
        Decimal("0.10"),
    ]


def test_no_caps_no_spend(staff_client):
    budget = get(staff_client).json()["budget_today"]

    assert budget["global"]["cap"] is None and budget["global"]["used"] is None
    contacts = budget["contacts"]
    assert (contacts["count"], contacts["cap"], contacts["at_cap"]) == (0, None, 0)
    assert Decimal(contacts["spent"]) == Decimal(contacts["highest"]) == 0


def test_default_range_is_the_last_30_days(staff_client):
    body = get(staff_client).json()
    today = timezone.now().astimezone(UTC).date()

    assert body["to"] == today.isoformat()
    assert body["from"] == (today - timedelta(days=29)).isoformat()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-03-05", "to": "2026-03-04"}, "from"),
        ({"from": "2026-01-01", "to": "2026-06-01"}, "from"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(staff_client, query, field):
    response = get(staff_client, **query)

    assert response.status_code == 400
    assert f"Field '{field}'" in response.json()["error"]


def test_anonymous_gets_401(api_client):
    assert api_client.get("/api/insights").status_code == 401


def test_a_user_who_is_not_staff_gets_403(auth_client):
    assert auth_client.get("/api/insights").status_code == 403
