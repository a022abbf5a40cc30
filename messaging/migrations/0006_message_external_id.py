"""Issue 25: a message's external id is its channel's (Twilio's MessageSid, a Telegram update), so
the dedup key is the (channel, external id) pair. The column is renamed in place: every row keeps
its id."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0005_detach_squatted_channel_keys"),
    ]

    operations = [
        migrations.AlterField(
            model_name="message", name="twilio_sid", field=models.CharField(blank=True, max_length=64, null=True)
        ),
        migrations.RenameField(model_name="message", old_name="twilio_sid", new_name="external_id"),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(fields=("channel", "external_id"), name="message_channel_external_id_unique"),
        ),
    ]
