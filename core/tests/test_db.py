"""core.db's write helpers: the one UPDATE ... RETURNING, the one never-backwards time, the
prepared INSERT."""

from datetime import timedelta

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from core.db import later_of, row_insert, rows_updated, update_returning, update_sql
from messaging.enums import ConversationKind
from messaging.models import Conversation, Message

pytestmark = pytest.mark.django_db


def fields_of(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_update_returning_is_one_statement_and_reads_the_row_as_the_orm_does(user):
    conversation = Conversation.objects.create(key="k1", kind=ConversationKind.AI, user=user)
    at = timezone.now() + timedelta(minutes=1)
    rows = Conversation.objects.filter(key="k1")
    with CaptureQueriesContext(connection) as context:
        stored = update_returning(rows, last_message_at=later_of("last_message_at", at))
    assert len(context.captured_queries) == 1
    assert stored is not None and stored.last_message_at == at
    assert fields_of(stored) == fields_of(Conversation.objects.get(pk=conversation.pk))
    assert not stored._state.adding and stored._state.db == connection.alias


def test_update_returning_without_a_matching_row_is_none_and_changes_nothing(user):
    conversation = Conversation.objects.create(key="k2", kind=ConversationKind.AI, user=user)
    rows = Conversation.objects.filter(key="k2", kind=ConversationKind.DIRECT)
    assert update_returning(rows, last_message_at=timezone.now()) is None
    assert Conversation.objects.get(pk=conversation.pk).last_message_at is None


def test_update_sql_is_the_statement_update_runs_and_counts_the_same_rows(user):
    Conversation.objects.create(key="k4", kind=ConversationKind.AI, user=user)
    Conversation.objects.create(key="k5", kind=ConversationKind.AI, user=user)
    at = timezone.now()
    rows = Conversation.objects.filter(kind=ConversationKind.AI, user=user).exclude(key="k6")
    with CaptureQueriesContext(connection) as orm:
        counted = rows.update(last_message_at=at)
    with CaptureQueriesContext(connection) as ours:
        assert rows_updated(*update_sql(rows, last_message_at=at), using=connection.alias) == counted == 2
    assert [query["sql"] for query in ours.captured_queries] == [query["sql"] for query in orm.captured_queries]
    with pytest.raises(TypeError, match="own columns"):  # update() would select the keys first
        update_sql(Conversation.objects.filter(user__username="someone"), last_message_at=at)


def test_a_time_never_moves_backwards(user):
    now = timezone.now()
    conversation = Conversation.objects.create(key="k3", kind=ConversationKind.AI, user=user)
    this = Conversation.objects.filter(pk=conversation.pk)
    this.update(last_message_at=later_of("last_message_at", now))  # from none
    assert Conversation.objects.get(pk=conversation.pk).last_message_at == now
    this.update(last_message_at=later_of("last_message_at", now - timedelta(hours=1)))  # an older one
    assert Conversation.objects.get(pk=conversation.pk).last_message_at == now
    later = now + timedelta(seconds=1)
    assert update_returning(this, last_message_at=later_of("last_message_at", later)).last_message_at == later


def test_row_insert_refuses_a_model_that_overrides_save():
    user = UserFactory.build()
    assert User.save is not models.Model.save  # accounts.User has its own save()
    with pytest.raises(TypeError, match="overrides save"):
        row_insert(user)
    assert not User.objects.filter(username=user.username).exists()


def test_row_insert_stores_what_save_stores(user, other_user):
    conversation = Conversation.objects.create(key="k4", kind=ConversationKind.CUSTOM, user_a=user)
    inserted = Message(conversation=conversation, sender_id=user.pk, recipient_id=other_user.pk, content="a")
    saved = Message(conversation=conversation, sender_id=user.pk, recipient_id=other_user.pk, content="a")
    row_insert(inserted)
    saved.save()
    assert not inserted._state.adding and inserted._state.db == connection.alias
    varying = {"id", "created_at", "updated_at"}
    first, second = (fields_of(Message.objects.get(pk=m.pk)) for m in (inserted, saved))
    assert {k: v for k, v in first.items() if k not in varying} == {k: v for k, v in second.items() if k not in varying}


def test_a_returned_row_with_a_decimal_reads_as_the_orm_reads_it(user):
    """SQLite returns a decimal as a number the ORM quantizes with the column's places: the
    converters are called with the column, as the ORM calls them."""
    from decimal import Decimal

    message = Message.objects.create(content="priced", ai_cost=Decimal("0.000123456"))
    stored = update_returning(Message.objects.filter(pk=message.pk), content="priced again")
    assert stored is not None and stored.ai_cost == Decimal("0.000123456")
    assert fields_of(stored) == fields_of(Message.objects.get(pk=message.pk))
