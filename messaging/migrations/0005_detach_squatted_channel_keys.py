"""Conversations users created under a channel's key (`phone:+…`, `whatsapp:+…`) before that key
space was reserved (issue 22): split off as messaging.detach describes, so no user's text stays in
a contact's thread or its AI context."""

from django.db import migrations
from django.db.models import Exists, OuterRef, Q

from messaging.detach import CHANNEL_DIRECTIONS, reserved_key_detach
from messaging.keys import RESERVED_KEY_PREFIXES


def detach_squatters(apps, schema_editor):
    Conversation = apps.get_model("messaging", "Conversation")
    Message = apps.get_model("messaging", "Message")
    reserved = Q()
    for prefix in RESERVED_KEY_PREFIXES:
        reserved |= Q(key__istartswith=prefix)
    # A user's conversation under such a key, or a channel thread with users' messages in it.
    users_rows = Message.objects.filter(conversation=OuterRef("pk")).exclude(direction__in=CHANNEL_DIRECTIONS)
    squatted = Conversation.objects.filter(reserved).filter(~Q(kind="phone") | Exists(users_rows))
    for conversation in squatted.order_by("pk"):
        reserved_key_detach(conversation)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0004_message_party_newest_indexes"),
    ]

    operations = [migrations.RunPython(detach_squatters, migrations.RunPython.noop, elidable=True)]
