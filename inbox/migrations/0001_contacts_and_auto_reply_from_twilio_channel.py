"""Issue 25: contacts and the auto-reply switch belong to the inbox (every channel), not to the
Twilio channel. Their tables are adopted as they are, so no row is copied and none can be lost: the
models move in Django's state only, the contacts' table is then renamed, its number becomes an
address and its profile name a display name, and its unique pair is (channel, address). The
auto-reply switch keeps its table (its model names it)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

OLD_CHANNELS = [("sms", "SMS"), ("whatsapp", "WhatsApp")]
OLD_SOURCES = [("keyword", "Keyword"), ("twilio", "Twilio"), ("staff", "Staff")]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("twilio_channel", "0004_outbound_parts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AutoReplyConfig",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("enabled", models.BooleanField(default=False)),
                        ("message", models.CharField(blank=True, default="", max_length=640)),
                        ("enabled_since", models.DateTimeField(blank=True, null=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={"verbose_name": "auto-reply configuration", "db_table": "twilio_channel_autoreplyconfig"},
                ),
                migrations.CreateModel(
                    name="Contact",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("number", models.CharField(max_length=32)),
                        ("channel", models.CharField(choices=OLD_CHANNELS, max_length=10)),
                        ("profile_name", models.CharField(blank=True, default="", max_length=255)),
                        ("opted_out", models.BooleanField(default=False)),
                        ("opted_out_at", models.DateTimeField(blank=True, null=True)),
                        ("opt_out_source", models.CharField(blank=True, choices=OLD_SOURCES, default="", max_length=10)),
                        ("last_inbound_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="contacts",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-last_inbound_at", "-id"],
                        "db_table": "twilio_channel_contact",
                        "constraints": [
                            models.UniqueConstraint(fields=("number", "channel"), name="contact_number_channel_unique")
                        ],
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="contact", table=None),
        migrations.RemoveConstraint(model_name="contact", name="contact_number_channel_unique"),
        migrations.RenameField(model_name="contact", old_name="number", new_name="address"),
        migrations.RenameField(model_name="contact", old_name="profile_name", new_name="display_name"),
        migrations.AlterField(
            model_name="contact",
            name="channel",
            field=models.CharField(
                choices=[("web", "Web"), ("api", "Api"), ("sms", "Sms"), ("whatsapp", "Whatsapp")], max_length=10
            ),
        ),
        migrations.AlterField(
            model_name="contact",
            name="opt_out_source",
            field=models.CharField(
                blank=True,
                choices=[("keyword", "Keyword"), ("twilio", "Twilio"), ("channel", "Channel"), ("staff", "Staff")],
                default="",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="contact",
            constraint=models.UniqueConstraint(fields=("channel", "address"), name="contact_channel_address_unique"),
        ),
    ]
