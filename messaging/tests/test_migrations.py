"""Data migrations, run by Django's migration executor on rows written through the historical models."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "+15557770000"


def _node(executor: MigrationExecutor, suffix: str) -> tuple[str, str]:
    # Found by name, so the test follows the migration when it is renumbered.
    [node] = [key for key in executor.loader.graph.nodes if key[0] == "messaging" and key[1].endswith(suffix)]
    return node


@pytest.fixture
def migrate():
    """Migrates the database to a node and returns the historical apps there; back to the latest after."""

    def to(node: tuple[str, str]):
        executor = MigrationExecutor(connection)
        executor.migrate([node])
        executor.loader.build_graph()
        return executor.loader.project_state([node]).apps

    yield to
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_squatted_channel_keys_are_detached(migrate):
    node = _node(MigrationExecutor(connection), "_detach_squatted_channel_keys")
    [before] = MigrationExecutor(connection).loader.graph.node_map[node].parents
    apps = migrate(before.key)
    User = apps.get_model("accounts", "User")
    Conversation = apps.get_model("messaging", "Conversation")
    Message = apps.get_model("messaging", "Message")
    mallory = User.objects.create(username="mallory", email="mallory@example.com")
    ann = User.objects.create(username="ann", email="ann@example.com")
    # A user's conversation under the number's key, answered over SMS once the number wrote.
    squat = Conversation.objects.create(key=f"phone:{NUMBER}", kind="custom", user_a=mallory, mode="human")
    planted = Message.objects.create(conversation=squat, sender_id=mallory.pk, recipient_id=-1, content="planted")
    bot_reply = Message.objects.create(
        conversation=squat, sender_id=-1, recipient_id=mallory.pk, content="ok", in_reply_to=planted
    )
    inbound = Message.objects.create(
        conversation=squat, direction="inbound", channel="sms", participant_number=NUMBER, content="hi"
    )
    outbound = Message.objects.create(
        conversation=squat, direction="outbound", channel="sms", participant_number=NUMBER, content="hello"
    )
    # One nobody answered yet, under a WhatsApp key; and a key already taken by the detached name.
    lone = Conversation.objects.create(key="whatsapp:+15550000001", kind="custom", user_a=mallory)
    Message.objects.create(conversation=lone, sender_id=mallory.pk, recipient_id=mallory.pk, content="x")
    Conversation.objects.create(key=f"detached-{lone.pk}:whatsapp:+15550000001", kind="custom", user_a=ann)
    # A channel thread a linked user wrote into from the web; and a clean one, left alone.
    thread = Conversation.objects.create(key="phone:+15550000002", kind="phone", participant_number="+15550000002")
    sms = Message.objects.create(conversation=thread, direction="inbound", channel="sms", content="sms")
    web = Message.objects.create(conversation=thread, sender_id=ann.pk, recipient_id=ann.pk, content="web")
    clean = Conversation.objects.create(key="phone:+15550000003", kind="phone", participant_number="+15550000003")
    Message.objects.create(conversation=clean, direction="inbound", channel="sms", content="fine")
    direct = Conversation.objects.create(key="phone-support", kind="custom", user_a=ann)

    apps = migrate(node)
    Conversation = apps.get_model("messaging", "Conversation")
    Message = apps.get_model("messaging", "Message")

    squat = Conversation.objects.get(pk=squat.pk)
    assert (squat.key, squat.kind, squat.user_a_id) == (f"detached-{squat.pk}:phone:{NUMBER}", "custom", mallory.pk)
    assert set(squat.messages.values_list("pk", flat=True)) == {planted.pk, bot_reply.pk}
    own = Conversation.objects.get(key=f"phone:{NUMBER}")
    assert (own.kind, own.participant_number, own.mode) == ("phone", NUMBER, "human")
    assert set(own.messages.values_list("pk", flat=True)) == {inbound.pk, outbound.pk}
    assert own.last_message_at == Message.objects.get(pk=outbound.pk).created_at

    lone = Conversation.objects.get(pk=lone.pk)
    assert lone.key == f"detached-{lone.pk}.1:whatsapp:+15550000001"
    assert not Conversation.objects.filter(key="whatsapp:+15550000001").exists()  # created by its first message

    assert list(Message.objects.filter(conversation=thread.pk).values_list("pk", flat=True)) == [sms.pk]
    moved = Message.objects.get(pk=web.pk).conversation
    assert (moved.key, moved.kind) == (f"detached-{thread.pk}:phone:+15550000002", "custom")
    assert Conversation.objects.get(pk=clean.pk).key == "phone:+15550000003"
    assert Conversation.objects.get(pk=direct.pk).key == "phone-support"
