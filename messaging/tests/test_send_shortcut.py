"""The send shortcut against the path it shortcuts: every kind of `POST /messages` runs twice on the
same data, once as served and once with the shortcut switched off (the general path alone, the
reference), and both runs must leave the same rows, answer the same bodies, queue the same AI
turns, log the same lines, and run the same statements but for the shortcut's own. On PostgreSQL
the shortcut takes a message in an existing direct thread, or to the bot in the sender's existing
AI thread, as one statement (WITH) where the general path takes an UPDATE and an INSERT; on any
other database it never runs."""

import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.test import TestCase
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from accounts.tests.factories import UserFactory
from messaging.bot import bot_responder
from messaging.enums import ConversationKind, ConversationMode
from messaging.models import CONTENT_MAX_LENGTH, Conversation, Message
from messaging.selectors.keys import pair_key
from messaging.services import messages
from messaging.services.conversations import ai_conversation_mode_set
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


class Turns:
    """The AI turn task, recording what is queued (the message id, and the burst window's countdown
    when there is one) instead of running it."""

    def __init__(self) -> None:
        self.queued: list[tuple] = []

    def delay(self, *args) -> None:
        self.queued.append((args, {}))

    def apply_async(self, args, **options) -> None:
        self.queued.append((tuple(args), options))


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class World:
    """Users and their logged-in clients, made before either run, so both runs see the same ids."""

    def __init__(self) -> None:
        self.user, self.other, gone = UserFactory(), UserFactory(), UserFactory()
        self.gone_id = gone.pk
        self.client = client_for(self.user)
        self.other_client = client_for(self.other)
        self.answers: list[tuple] = []
        self.seen: list[tuple] = []  # what a post_save receiver was given
        self.turns = Turns()
        self.lines = Lines()
        self.clock = Clock()

    def send(self, client, headers: dict | None = None, path: str = "/messages", **body) -> None:
        self.clock.tick()
        # The turns queued on commit run (are recorded) when the request is done: each run is one
        # transaction, rolled back after it, so the commit itself never comes.
        log = logging.getLogger("messages")
        log.addHandler(self.lines)  # the request's lines only, not a kind's own setup's
        try:
            with (
                TestCase.captureOnCommitCallbacks(execute=True),
                CaptureQueriesContext(connection) as context,
            ):
                response = client.post(path, {"content": "hi", **body}, format="json", headers=headers)
        finally:
            log.removeHandler(self.lines)
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


def the_bot_with_its_key_supplied(w: World) -> None:
    w.send(w.client, recipient_id=BOT, conversation_id=pair_key(w.user.pk, BOT))
    w.send(w.client, recipient_id=BOT, conversation_id=pair_key(w.user.pk, BOT), content="again")


def the_bot_within_a_burst_window(w: World) -> None:
    with override_settings(AI_BURST_WINDOW_WEB_S=2.5):
        w.send(w.client, recipient_id=BOT)
        w.send(w.client, recipient_id=BOT, content="again", headers={"X-Client-Channel": "api"})


def the_bot_in_a_thread_handed_to_a_human(w: World) -> None:
    ai_conversation_mode_set(user=w.user, mode=ConversationMode.HUMAN)  # the thread, made from the panel
    w.send(w.client, recipient_id=BOT)


def the_bot_where_it_is_not_allowed(w: World) -> None:
    w.send(w.client, recipient_id=BOT)
    key = pair_key(w.user.pk, BOT)
    w.send(w.client, path=f"/auth/conversations/{key}/messages", recipient_id=BOT)


def the_bot_with_a_custom_key(w: World) -> None:
    w.send(w.client, recipient_id=BOT, conversation_id="bot-room")
    w.send(w.client, recipient_id=BOT, conversation_id="bot-room", content="again")


def another_users_ai_key_supplied(w: World) -> None:
    w.send(w.other_client, recipient_id=BOT)
    w.send(w.client, recipient_id=BOT, conversation_id=pair_key(w.other.pk, BOT))


def an_ai_thread_not_the_senders(w: World) -> None:
    # Under the sender's AI key, another user's AI thread (data from before the owner was recorded
    # as now): the general path decides, with the derived key and with it supplied.
    Conversation.objects.create(key=pair_key(w.user.pk, BOT), kind=ConversationKind.AI, user=w.other)
    w.send(w.client, recipient_id=BOT)
    w.send(w.client, recipient_id=BOT, conversation_id=pair_key(w.user.pk, BOT))


def a_custom_thread_under_the_bots_key(w: World) -> None:
    Conversation.objects.create(key=pair_key(w.user.pk, BOT), kind=ConversationKind.CUSTOM, user_a=w.user)
    w.send(w.client, recipient_id=BOT)


def the_bot_with_content_too_long(w: World) -> None:
    w.send(w.client, recipient_id=BOT)
    w.send(w.client, recipient_id=BOT, content="x" * (CONTENT_MAX_LENGTH + 1))


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
        w.send(w.client, recipient_id=BOT)
        w.send(w.client, recipient_id=BOT, content="again")
    finally:
        post_save.disconnect(receiver, sender=Message)


KINDS: list[tuple[Callable[[World], None], list[str]]] = [
    (new_thread, ["tries"]),
    (existing_thread, ["tries", "takes"]),
    (note_to_oneself, ["tries", "takes"]),
    (the_bot, ["tries", "takes"]),
    (the_bot_with_its_key_supplied, ["tries", "takes"]),
    (the_bot_within_a_burst_window, ["tries", "takes"]),
    (the_bot_in_a_thread_handed_to_a_human, ["takes"]),
    (the_bot_where_it_is_not_allowed, ["tries", "aside"]),
    (the_bot_with_a_custom_key, ["aside", "aside"]),
    (another_users_ai_key_supplied, ["tries", "aside"]),
    (an_ai_thread_not_the_senders, ["tries", "tries"]),
    (a_custom_thread_under_the_bots_key, ["tries"]),
    (the_bot_with_content_too_long, ["tries", "aside"]),
    (the_pair_key_supplied, ["tries", "takes"]),
    (a_custom_key_supplied, ["aside", "aside"]),
    (another_pairs_key_supplied, ["tries", "aside"]),
    (a_deleted_user, ["tries", "tries"]),
    (an_unknown_user, ["tries"]),
    (an_id_past_the_databases_integers, ["aside"]),
    (content_too_long, ["tries", "aside"]),
    (save_signals, ["aside", "aside", "aside", "aside"]),
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
    # The keys a log line names, by its place in the line's arguments.
    logged_keys = {"Message %s sent by user %s to %s in conversation %s (%s)": {0: message_ids, 3: conversation_ids}}

    def row(values: dict, keys: dict) -> dict:
        return {name: plain(value, keys.get(name)) for name, value in values.items()}

    def answer(body: dict) -> dict:
        return {name: plain(value, message_ids if name == "id" else None) for name, value in body.items()}

    return {
        "messages": [row(columns(m), message_keys) for m in Message.objects.order_by("pk")],
        "conversations": [row(columns(c), {"id": conversation_ids}) for c in Conversation.objects.order_by("pk")],
        "answers": [(status, answer(body), kinds) for status, body, kinds in w.answers],
        "seen": [(created, has_pk, row(values, message_keys), key) for created, has_pk, values, key in w.seen],
        "queued": [(tuple(message_ids[pk] for pk in args), options) for args, options in w.turns.queued],
        "logged": [
            (
                line.name,
                line.levelname,
                line.msg,
                tuple(plain(a, logged_keys.get(line.msg, {}).get(n)) for n, a in enumerate(line.args or ())),
            )
            for line in w.lines.records
        ],
    }


def run(kind: Callable[[World], None], w: World, monkeypatch, *, shortcut: bool) -> dict:
    w.answers, w.seen, w.turns, w.lines, w.clock = [], [], Turns(), Lines(), Clock()
    log = logging.getLogger("messages")
    level = log.level
    log.setLevel(logging.INFO)
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", w.clock.now)
        patch.setattr(bot_responder(), "turn_task", w.turns)
        if not shortcut:
            patch.setattr(messages, "_direct_thread_send", lambda **kwargs: None)
        try:
            with transaction.atomic():  # undone after the run: the other one starts from the same data
                kind(w)
                raise Rollback(outcome(w))
        except Rollback as done:
            return done.outcome
        finally:
            log.setLevel(level)
    raise AssertionError("unreachable")


@pytest.mark.parametrize(("kind", "shortcut_does"), KINDS, ids=[kind.__name__ for kind, _ in KINDS])
def test_the_shortcut_stores_and_answers_what_the_general_path_does(kind, shortcut_does, monkeypatch, ai_task_calls):
    w = World()
    plain = run(kind, w, monkeypatch, shortcut=False)
    served = run(kind, w, monkeypatch, shortcut=True)

    assert served["messages"] == plain["messages"]
    assert served["conversations"] == plain["conversations"]
    assert served["seen"] == plain["seen"]
    assert served["queued"] == plain["queued"]
    assert served["logged"] == plain["logged"]
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


def test_every_kind_of_input_is_answered_as_the_contract_says(monkeypatch):
    """The runs above compare two paths; this pins what they agree on, so both cannot be wrong alike:
    the statuses, and the AI turns queued (the message, by its order among the run's messages, and
    the burst window's countdown)."""
    w = World()
    statuses, queued = {}, {}
    for kind, _ in KINDS:
        served = run(kind, w, monkeypatch, shortcut=True)
        statuses[kind.__name__] = [status for status, _, _ in served["answers"]]
        if served["queued"]:
            queued[kind.__name__] = served["queued"]
    assert statuses == {
        "new_thread": [201],
        "existing_thread": [201, 201],
        "note_to_oneself": [201, 201],
        "the_bot": [201, 201],
        "the_bot_with_its_key_supplied": [201, 201],
        "the_bot_within_a_burst_window": [201, 201],
        "the_bot_in_a_thread_handed_to_a_human": [201],
        "the_bot_where_it_is_not_allowed": [201, 404],
        "the_bot_with_a_custom_key": [201, 201],
        "another_users_ai_key_supplied": [201, 403],
        "an_ai_thread_not_the_senders": [201, 400],
        "a_custom_thread_under_the_bots_key": [201],
        "the_bot_with_content_too_long": [201, 400],
        "the_pair_key_supplied": [201, 201],
        "a_custom_key_supplied": [201, 201],
        "another_pairs_key_supplied": [201, 403],
        "a_deleted_user": [201, 404],
        "an_unknown_user": [404],
        "an_id_past_the_databases_integers": [404],
        "content_too_long": [201, 400],
        "save_signals": [201, 201, 201, 201],
    }
    assert queued == {
        "the_bot": [((0,), {}), ((1,), {})],
        "the_bot_with_its_key_supplied": [((0,), {}), ((1,), {})],
        "the_bot_within_a_burst_window": [((0,), {"countdown": 2.5}), ((1,), {"countdown": 2.5})],
        "the_bot_in_a_thread_handed_to_a_human": [((0,), {})],
        "the_bot_where_it_is_not_allowed": [((0,), {})],
        "the_bot_with_a_custom_key": [((0,), {}), ((1,), {})],
        "another_users_ai_key_supplied": [((0,), {})],
        "an_ai_thread_not_the_senders": [((0,), {})],
        "a_custom_thread_under_the_bots_key": [((0,), {})],
        "the_bot_with_content_too_long": [((0,), {})],
        "save_signals": [((2,), {}), ((3,), {})],
    }


class Durable:
    """The AI turn task, recording for each queued message whether another connection already
    sees it: the turn runs on another connection (a worker), and must find the row."""

    def __init__(self) -> None:
        self.queued: list[tuple[int, bool]] = []

    def delay(self, message_id: int) -> None:
        seen: list[bool] = []

        def look() -> None:
            try:
                seen.append(Message.objects.filter(pk=message_id).exists())
            finally:
                connection.close()  # this thread's own

        reader = threading.Thread(target=look)
        reader.start()
        reader.join()
        self.queued.append((message_id, seen == [True]))


@pytest.mark.django_db(transaction=True)
def test_the_ai_turn_is_queued_once_the_message_is_committed(monkeypatch):
    """Outside a transaction (as a request runs) at once, and the row is there for the worker: on
    PostgreSQL the second message is the shortcut's one statement, which committed as it ran."""
    turns = Durable()
    monkeypatch.setattr(bot_responder(), "turn_task", turns)
    client = client_for(UserFactory())
    first = client.post("/messages", {"recipient_id": BOT, "content": "hi"}, format="json")
    with CaptureQueriesContext(connection) as context:
        second = client.post("/messages", {"recipient_id": BOT, "content": "again"}, format="json")
    assert (first.status_code, second.status_code) == (201, 201)
    assert turns.queued == [(first.json()["id"], True), (second.json()["id"], True)]
    if connection.vendor == "postgresql":  # the session, then the shortcut's statement: no transaction
        assert [q["sql"].split()[0].upper() for q in context.captured_queries] == ["SELECT", "WITH"]


@pytest.mark.django_db(transaction=True)
def test_in_a_callers_transaction_the_ai_turn_waits_for_its_commit(monkeypatch):
    turns = Durable()
    monkeypatch.setattr(bot_responder(), "turn_task", turns)
    user = UserFactory()
    messages.message_send(sender=user, recipient_id=BOT, content="the thread")
    turns.queued.clear()

    with transaction.atomic():
        message = messages.message_send(sender=user, recipient_id=BOT, content="hi")
        assert turns.queued == []
    assert turns.queued == [(message.pk, True)]

    with pytest.raises(Rollback), transaction.atomic():
        messages.message_send(sender=user, recipient_id=BOT, content="undone")
        raise Rollback({})
    assert turns.queued == [(message.pk, True)]
    assert not Message.objects.filter(content="undone").exists()
