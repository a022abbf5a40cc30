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
