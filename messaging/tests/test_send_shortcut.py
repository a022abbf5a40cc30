"""The send shortcut against the path it shortcuts: every kind of `POST /messages` runs twice on the
same data, once as served and once with the shortcut switched off (the general path alone, the
reference), and both runs must leave the same rows, answer the same bodies, and run the same
statements but for the shortcut's own. On PostgreSQL the shortcut takes a message in an existing
direct thread as one statement (WITH) where the general path takes an UPDATE and an INSERT; on
any other database it never runs."""

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from accounts.tests.factories import UserFactory
from messaging.models import CONTENT_MAX_LENGTH, Conversation, Message
from messaging.selectors.keys import pair_key
from messaging.services import messages
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

BOT = -1


class Clock:
    """`timezone.now` for both runs: every call within one request answers the same time, and each
    request one second later, so both runs stamp the same times whatever path they take."""

    def __init__(self) -> None:
        self.start = datetime.now(UTC).replace(microsecond=0)
        self.ticks = [self.start]

    def now(self) -> datetime:
        return self.ticks[-1]

    def tick(self) -> None:
        self.ticks.append(self.ticks[-1] + timedelta(seconds=1))


class Rollback(Exception):  # not an error: carries a run's outcome out of its savepoint
    def __init__(self, outcome: dict) -> None:
        self.outcome = outcome


class World:
    """Users and their logged-in clients, made before either run, so both runs see the same ids."""

    def __init__(self) -> None:
        self.user, self.other, gone = UserFactory(), UserFactory(), UserFactory()
        self.gone_id = gone.pk
        self.client = client_for(self.user)
        self.other_client = client_for(self.other)
        self.answers: list[tuple] = []
        self.seen: list[tuple] = []  # what a post_save receiver was given
        self.clock = Clock()

    def send(self, client, headers: dict | None = None, **body) -> None:
        self.clock.tick()
        with CaptureQueriesContext(connection) as context:
            response = client.post("/messages", {"content": "hi", **body}, format="json", headers=headers)
        kinds = Counter(q["sql"].split()[0].upper() for q in context.captured_queries)
        for control in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"):
            kinds.pop(control, None)
        self.answers.append((response.status_code, response.json(), kinds))


# Each kind of input: what it sends, and whether the shortcut (on PostgreSQL) stores its last send
# ("takes"), runs its statement and steps aside because no thread matched ("tries"), or steps aside
# before any statement ("aside").


def new_thread(w: World) -> None:
    w.send(w.client, recipient_id=w.other.pk)


def existing_thread(w: World) -> None:
    w.send(w.client, recipient_id=w.other.pk)
    w.send(w.other_client, recipient_id=w.user.pk, content="back", headers={"X-Client-Channel": "api"})


def note_to_oneself(w: World) -> None:
    w.send(w.client, recipient_id=w.user.pk)
    w.send(w.client, recipient_id=w.user.pk, content="again")


def the_bot(w: World) -> None:
    w.send(w.client, recipient_id=BOT)
    w.send(w.client, recipient_id=BOT, content="again")


def the_pair_key_supplied(w: World) -> None:
    w.send(w.client, recipient_id=w.other.pk)
    w.send(w.client, recipient_id=w.other.pk, conversation_id=pair_key(w.user.pk, w.other.pk))


def a_custom_key_supplied(w: World) -> None:
    w.send(w.client, recipient_id=w.other.pk, conversation_id="team-room")
    w.send(w.client, recipient_id=w.other.pk, conversation_id="team-room", content="again")


def another_pairs_key_supplied(w: World) -> None:
    w.send(w.other_client, recipient_id=w.gone_id)
    w.send(w.client, recipient_id=w.other.pk, conversation_id=pair_key(w.other.pk, w.gone_id))


def a_deleted_user(w: World) -> None:
    w.send(w.client, recipient_id=w.gone_id)
    User.objects.filter(pk=w.gone_id).delete()  # the thread stays, its user column nulled
    w.send(w.client, recipient_id=w.gone_id)


def an_unknown_user(w: World) -> None:
    w.send(w.client, recipient_id=10**9)


def an_id_past_the_databases_integers(w: World) -> None:
    w.send(w.client, recipient_id=2**63)


def content_too_long(w: World) -> None:
    w.send(w.client, recipient_id=w.other.pk)
    w.send(w.client, recipient_id=w.other.pk, content="x" * (CONTENT_MAX_LENGTH + 1))


def save_signals(w: World) -> None:
    def receiver(sender, instance, created, **kwargs):
        w.seen.append((created, instance.pk is not None, columns(instance), instance.conversation.key))

    post_save.connect(receiver, sender=Message)
    try:
        w.send(w.client, recipient_id=w.other.pk)
        w.send(w.client, recipient_id=w.other.pk, content="again")
    finally:
        post_save.disconnect(receiver, sender=Message)


KINDS: list[tuple[Callable[[World], None], list[str]]] = [
    (new_thread, ["tries"]),
    (existing_thread, ["tries", "takes"]),
    (note_to_oneself, ["tries", "takes"]),
    (the_bot, ["aside", "aside"]),
    (the_pair_key_supplied, ["tries", "takes"]),
    (a_custom_key_supplied, ["aside", "aside"]),
    (another_pairs_key_supplied, ["tries", "aside"]),
    (a_deleted_user, ["tries", "tries"]),
    (an_unknown_user, ["tries"]),
    (an_id_past_the_databases_integers, ["aside"]),
    (content_too_long, ["tries", "aside"]),
    (save_signals, ["aside", "aside"]),
]


def columns(instance) -> dict:
    """Every column of a row, as the instance holds it."""
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def outcome(w: World) -> dict:
    """The run's rows, answers and statements, with its keys replaced by their order (a sequence
    is not rolled back with the run) and its times by the clock's tick."""
    message_ids = {pk: n for n, pk in enumerate(Message.objects.order_by("pk").values_list("pk", flat=True))}
    conversation_ids = {pk: n for n, pk in enumerate(Conversation.objects.order_by("pk").values_list("pk", flat=True))}

    def plain(value, ids=None):
        if isinstance(value, str) and (at := parse_datetime(value)) is not None:
            value = at
        if isinstance(value, datetime):
            return ("tick", w.clock.ticks.index(value)) if value in w.clock.ticks else "not the clock's"
        if ids is not None and value is not None:
            return ids[value]
        return value

    message_keys = {"id": message_ids, "conversation_id": conversation_ids, "in_reply_to_id": message_ids}

    def row(values: dict, keys: dict) -> dict:
        return {name: plain(value, keys.get(name)) for name, value in values.items()}

    def answer(body: dict) -> dict:
        return {name: plain(value, message_ids if name == "id" else None) for name, value in body.items()}

    return {
        "messages": [row(columns(m), message_keys) for m in Message.objects.order_by("pk")],
        "conversations": [row(columns(c), {"id": conversation_ids}) for c in Conversation.objects.order_by("pk")],
        "answers": [(status, answer(body), kinds) for status, body, kinds in w.answers],
        "seen": [(created, has_pk, row(values, message_keys), key) for created, has_pk, values, key in w.seen],
    }


def run(kind: Callable[[World], None], w: World, monkeypatch, *, shortcut: bool) -> dict:
    w.answers, w.seen, w.clock = [], [], Clock()
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", w.clock.now)
        if not shortcut:
            patch.setattr(messages, "_direct_thread_send", lambda **kwargs: None)
        try:
            with transaction.atomic():  # undone after the run: the other one starts from the same data
                kind(w)
                raise Rollback(outcome(w))
        except Rollback as done:
            return done.outcome
    raise AssertionError("unreachable")


@pytest.mark.parametrize(("kind", "shortcut_does"), KINDS, ids=[kind.__name__ for kind, _ in KINDS])
def test_the_shortcut_stores_and_answers_what_the_general_path_does(kind, shortcut_does, monkeypatch, ai_task_calls):
    w = World()
    plain = run(kind, w, monkeypatch, shortcut=False)
    served = run(kind, w, monkeypatch, shortcut=True)

    assert served["messages"] == plain["messages"]
    assert served["conversations"] == plain["conversations"]
    assert served["seen"] == plain["seen"]
    assert [a[:2] for a in served["answers"]] == [a[:2] for a in plain["answers"]]
    # The statements: the same, but for the shortcut's own on PostgreSQL.
    assert len(served["answers"]) == len(plain["answers"]) == len(shortcut_does)
    for (_, _, served_kinds), (_, _, plain_kinds), does in zip(
        served["answers"], plain["answers"], shortcut_does, strict=True
    ):
        if connection.vendor != "postgresql" or does == "aside":
            assert served_kinds == plain_kinds
        elif does == "tries":  # one statement that matched nothing, then the general path
            assert served_kinds == plain_kinds + Counter({"WITH": 1})
        else:  # the session, then one statement where the general path took an UPDATE and an INSERT
            assert plain_kinds == Counter({"SELECT": 1, "UPDATE": 1, "INSERT": 1})
            assert served_kinds == Counter({"SELECT": 1, "WITH": 1})
    assert all(status in (201, 400, 403, 404) for status, _, _ in served["answers"])


def test_every_kind_of_input_is_answered_as_the_contract_says(monkeypatch, ai_task_calls):
    """The runs above compare two paths; this pins what they agree on, so both cannot be wrong alike."""
    w = World()
    statuses = {}
    for kind, _ in KINDS:
        statuses[kind.__name__] = [status for status, _, _ in run(kind, w, monkeypatch, shortcut=True)["answers"]]
    assert statuses == {
        "new_thread": [201],
        "existing_thread": [201, 201],
        "note_to_oneself": [201, 201],
        "the_bot": [201, 201],
        "the_pair_key_supplied": [201, 201],
        "a_custom_key_supplied": [201, 201],
        "another_pairs_key_supplied": [201, 403],
        "a_deleted_user": [201, 404],
        "an_unknown_user": [404],
        "an_id_past_the_databases_integers": [404],
        "content_too_long": [201, 400],
        "save_signals": [201, 201],
    }
