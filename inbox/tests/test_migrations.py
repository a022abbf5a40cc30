"""Issue 25's migrations, run by Django's migration executor on a database filled by the old schema:
the contacts and the auto-reply switch move to the inbox and messages get a (channel, external id)
key, with every row carried over as it was."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

# ("inbox", None): none of the inbox's migrations (the app did not exist).
BEFORE = [
    ("twilio_channel", "0004_outbound_parts"),
    ("messaging", "0005_detach_squatted_channel_keys"),
    ("inbox", None),
]
AFTER = [
    ("inbox", "0001_contacts_and_auto_reply_from_twilio_channel"),
    ("twilio_channel", "0005_contacts_and_auto_reply_move_to_inbox"),
    ("messaging", "0006_message_external_id"),
]
AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def migrate():
    """Migrates the database to the nodes and returns the historical apps there; back to the latest after."""

    def to(nodes):
        executor = MigrationExecutor(connection)
        executor.migrate(nodes)
        executor.loader.build_graph()
        return executor.loader.project_state([node for node in nodes if node[1] is not None]).apps

    yield to
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_contacts_auto_reply_and_message_ids_are_carried_over(migrate):
    apps = migrate(BEFORE)
    User = apps.get_model("accounts", "User")
    OldContact = apps.get_model("twilio_channel", "Contact")
    OldAutoReply = apps.get_model("twilio_channel", "AutoReplyConfig")
    OldMessage = apps.get_model("messaging", "Message")
    ann = User.objects.create(username="ann", email="ann@example.com")
    sms = OldContact.objects.create(
        number="+48111222333", channel="sms", profile_name="Ann", user=ann, last_inbound_at=AT
    )
    whatsapp = OldContact.objects.create(
        number="+48111222333",
        channel="whatsapp",
        opted_out=True,
        opted_out_at=AT,
        opt_out_source="keyword",
    )
    OldAutoReply.objects.create(pk=1, enabled=True, message="Closed today.", enabled_since=AT)
    inbound = OldMessage.objects.create(
        direction="inbound", channel="sms", participant_number="+48111222333", twilio_sid="SM" + "1" * 32
    )
    outbound = OldMessage.objects.create(
        direction="outbound", channel="whatsapp", participant_number="+48111222333", twilio_sid="SM" + "2" * 32
    )
    unsent = OldMessage.objects.create(direction="outbound", channel="sms", twilio_sid=None)
    web = OldMessage.objects.create(content="hi")

    apps = migrate(AFTER)
    Contact = apps.get_model("inbox", "Contact")
    AutoReply = apps.get_model("inbox", "AutoReplyConfig")
    Message = apps.get_model("messaging", "Message")

    assert Contact._meta.db_table == "inbox_contact"
    assert sorted(
        Contact.objects.values_list(
            "pk", "channel", "address", "display_name", "user_id", "opted_out", "opt_out_source", "last_inbound_at"
        )
    ) == [
        (sms.pk, "sms", "+48111222333", "Ann", ann.pk, False, "", AT),
        (whatsapp.pk, "whatsapp", "+48111222333", "", None, True, "keyword", None),
    ]
    assert Contact.objects.get(pk=whatsapp.pk).opted_out_at == AT
    config = AutoReply.objects.get(pk=1)
    assert (config.enabled, config.message, config.enabled_since) == (True, "Closed today.", AT)
    assert dict(Message.objects.values_list("pk", "external_id")) == {
        inbound.pk: "SM" + "1" * 32,
        outbound.pk: "SM" + "2" * 32,
        unsent.pk: None,
        web.pk: None,
    }
    # The new keys hold: an id once per channel, a number once per channel; new rows get new ids.
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(direction="inbound", channel="sms", external_id="SM" + "1" * 32)
    Message.objects.create(direction="inbound", channel="telegram", external_id="SM" + "1" * 32)
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(channel="sms", address="+48111222333")
    assert Contact.objects.create(channel="telegram", address="+48111222333").pk > whatsapp.pk


def test_the_migrations_go_back_too(migrate):
    apps = migrate(AFTER)
    apps.get_model("inbox", "Contact").objects.create(channel="sms", address="+48111222333", display_name="Ann")
    apps.get_model("messaging", "Message").objects.create(channel="sms", external_id="SM" + "3" * 32)

    apps = migrate(BEFORE)

    contact = apps.get_model("twilio_channel", "Contact").objects.get()
    assert (contact.number, contact.profile_name) == ("+48111222333", "Ann")
    assert apps.get_model("messaging", "Message").objects.get().twilio_sid == "SM" + "3" * 32
