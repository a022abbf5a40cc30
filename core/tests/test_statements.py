"""core.statements.Compiled: the ORM's own statement, compiled once, bound to each call's values."""

from datetime import timedelta

import pytest
from django.db import DEFAULT_DB_ALIAS
from django.db.models.functions import Left
from django.utils import timezone

from core.db import later_of, row_returned, update_returning_sql
from core.statements import Compiled
from messaging.enums import ConversationKind
from messaging.models import Conversation, Message
from messaging.selectors import history, messages
from messaging.services import ai_replies
from orchestrator.services import claims

pytestmark = pytest.mark.django_db

FIELDS = {name: Conversation._meta.get_field(name) for name in ("key", "kind", "user_id")}


def touch_sql(using, shape, *, key, at, **owned_by):
    rows = Conversation.objects.using(using).filter(key=key, **owned_by)
    return update_returning_sql(rows, last_message_at=later_of("last_message_at", at))


def newest_sql(using, limit, *, number, since):
    rows = (
        Message.objects.filter(participant_number=number, created_at__gt=since)
        .order_by("-created_at")
        .values_list(Left("content", 20), flat=True)[:limit]
    )
    return rows.query.get_compiler(using).as_sql()


def test_the_statement_and_its_parameters_are_the_orms_for_every_call(user):
    touch = Compiled(touch_sql, **FIELDS, at=Conversation._meta.get_field("last_message_at"))
    now = timezone.now()
    for key, at, owner in [
        ("k1", now, {"kind": ConversationKind.AI, "user_id": user.pk}),
        ("another key", now + timedelta(days=3), {"kind": ConversationKind.PHONE, "user_id": 7}),
        ("k1", now - timedelta(seconds=1), {}),  # another shape: compiled on its own
    ]:
        compiled = touch.sql(using=DEFAULT_DB_ALIAS, key=key, at=at, **owner)
        sql, params = touch_sql(DEFAULT_DB_ALIAS, None, key=key, at=at, **owner)
        assert compiled == (sql, list(params))

    newest = Compiled(
        newest_sql,
        number=Message._meta.get_field("participant_number"),
        since=Message._meta.get_field("created_at"),
    )
    for limit in (3, 5, 3):  # the LIMIT is in the SQL: the shape
        compiled = newest.sql(using=DEFAULT_DB_ALIAS, shape=limit, number="+48500100200", since=now)
        sql, params = newest_sql(DEFAULT_DB_ALIAS, limit, number="+48500100200", since=now)
        assert compiled == (sql, list(params))
        assert f"LIMIT {limit}" in compiled[0]


def test_a_compiled_statement_reads_and_writes_as_the_orm_does(user):
    conversation = Conversation.objects.create(key="k2", kind=ConversationKind.AI, user=user)
    touch = Compiled(touch_sql, **FIELDS, at=Conversation._meta.get_field("last_message_at"))
    at = timezone.now() + timedelta(minutes=1)
    sql, params = touch.sql(using=DEFAULT_DB_ALIAS, key="k2", at=at, kind=ConversationKind.AI, user_id=user.pk)
    stored = row_returned(Conversation, sql, params, using=DEFAULT_DB_ALIAS)
    assert stored is not None and stored.pk == conversation.pk and stored.last_message_at == at
    assert Conversation.objects.get(pk=conversation.pk).last_message_at == at
    sql, params = touch.sql(using=DEFAULT_DB_ALIAS, key="k2", at=at, kind=ConversationKind.DIRECT, user_id=user.pk)
    assert row_returned(Conversation, sql, params, using=DEFAULT_DB_ALIAS) is None  # not that kind


def test_none_is_refused_it_would_change_the_sql():
    touch = Compiled(touch_sql, **FIELDS, at=Conversation._meta.get_field("last_message_at"))
    with pytest.raises(ValueError, match="None"):
        touch.sql(using=DEFAULT_DB_ALIAS, key="k3", at=timezone.now(), user_id=None)


def test_a_value_the_query_prepares_its_own_way_is_refused():
    """`contains` wraps the value in wildcards: the stand-in is not a parameter of its own, so
    binding it would be wrong; Compiled says so instead of running it."""

    def search(using, shape, *, key):
        return Conversation.objects.filter(key__contains=key).query.get_compiler(using).as_sql()

    with pytest.raises(TypeError, match="no parameter holds key"):
        Compiled(search, key=FIELDS["key"]).sql(using=DEFAULT_DB_ALIAS, key="abc")


def _orms(build, shape, **values):
    sql, params = build(DEFAULT_DB_ALIAS, shape, **values)
    return sql, list(params)


def test_the_ai_turns_statements_are_the_orms_for_every_call(user):
    """The AI turn's compiled statements (orchestrator, messaging.selectors.history): for values
    and shapes other than the first call's, the SQL and parameters are what the ORM writes."""
    now = timezone.now()
    for burst, message_id, bot in [(False, 11, -1), (True, 12, 5), (False, 13, 7)]:
        values = {"message_id": message_id, "at": now + timedelta(seconds=message_id), "bot": bot, "since": now}
        assert claims._CLAIM_IN_ORDER.sql(using=DEFAULT_DB_ALIAS, shape=burst, **values) == _orms(
            claims._claim_in_order_sql, burst, **values
        )
    for conversation_id, token in [(3, "a" * 32), (4, "b" * 32)]:
        values = {"conversation_id": conversation_id, "now": now, "until": now + timedelta(seconds=20), "token": token}
        assert claims._LEASE.sql(using=DEFAULT_DB_ALIAS, **values) == _orms(claims._lease_sql, None, **values)
    for pk, related in [(5, messages.WITH_OWNER), (6, ("conversation",)), (7, messages.WITH_OWNER)]:
        assert messages._MESSAGE.sql(using=DEFAULT_DB_ALIAS, shape=related, pk=pk) == _orms(
            messages._message_sql, related, pk=pk
        )
    for message_id, source, target in [(8, "pending", "processing"), (9, "processing", "done")]:
        values = {"message_id": message_id, "source": source, "target": target, "at": now}
        assert ai_replies._STATE_MOVE.sql(using=DEFAULT_DB_ALIAS, **values) == _orms(
            ai_replies._state_move_sql, None, **values
        )
    for values in [
        {"conversation_id": 3, "at": now, "agent": "general", "lease_token": "c" * 32},
        {"conversation_id": 4, "at": now + timedelta(seconds=1), "agent": "billing", "lease_token": "d" * 32},
        {"conversation_id": 4, "at": now, "lease_token": "d" * 32},  # not sticky
        {"conversation_id": 5, "at": now, "agent": ""},  # no lease
        {"conversation_id": 5, "at": now},
    ]:
        assert ai_replies._REPLY_TOUCH.sql(using=DEFAULT_DB_ALIAS, **values) == _orms(
            ai_replies._reply_touch_sql, None, **values
        )
    earlier = {"before_at": now - timedelta(minutes=1), "before_id": 41}
    for shape, values in [
        ((False, 20), {"conversation_id": 3, **earlier}),
        ((False, 20), {"conversation_id": 4, "before_at": now, "before_id": 42}),
        ((True, 20), {"conversation_id": 4, "reset_at": now - timedelta(hours=1), **earlier}),
        ((False, 4), {"conversation_id": 5}),  # the limit and the values given are part of the shape
        ((True, 7), {"conversation_id": 5, "reset_at": now}),
    ]:
        assert history._HISTORY.sql(using=DEFAULT_DB_ALIAS, shape=shape, **values) == _orms(
            history._history_sql, shape, **values
        )


def _columns(instance):
    return None if instance is None else [getattr(instance, field.attname) for field in instance._meta.concrete_fields]


@pytest.mark.parametrize("thread", ["owned", "no owner", "none"])
def test_a_message_read_with_its_relations_is_the_orms_select_related(user, thread, django_assert_num_queries):
    """The message read with its conversation and owner from the compiled SELECT (the AI turn's)
    is the instance select_related gives, relations included (read without another query), also
    where the outer joins find no conversation or no owner."""
    conversation = {
        "owned": lambda: Conversation.objects.create(key="t1", kind=ConversationKind.AI, user=user),
        "no owner": lambda: Conversation.objects.create(key="t2", kind=ConversationKind.CUSTOM, user_a=user),
        "none": lambda: None,
    }[thread]()
    message = Message.objects.create(conversation=conversation, sender_id=user.pk, recipient_id=-1, content="hi")
    expected = Message.objects.select_related("conversation__user").get(pk=message.pk)
    with django_assert_num_queries(1):
        read = messages.message_with(message.pk, related=messages.WITH_OWNER)
        relations = [read.conversation, read.conversation and read.conversation.user]
    assert _columns(read) == _columns(expected)
    assert [_columns(row) for row in relations] == [
        _columns(expected.conversation),
        _columns(expected.conversation and expected.conversation.user),
    ]
    assert (read._state.adding, read._state.db) == (False, DEFAULT_DB_ALIAS)
    assert messages.message_with(message.pk + 1000, related=messages.WITH_OWNER) is None
