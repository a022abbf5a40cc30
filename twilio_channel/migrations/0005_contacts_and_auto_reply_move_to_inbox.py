"""Issue 25: Contact and AutoReplyConfig are the inbox's now (inbox 0001 adopts their tables);
here they leave the Twilio channel's state only: no table is dropped."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("twilio_channel", "0004_outbound_parts"),
        ("inbox", "0001_contacts_and_auto_reply_from_twilio_channel"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Contact"), migrations.DeleteModel(name="AutoReplyConfig")]
        ),
    ]
