"""Issue 22: a contact speaks for a user only through a verified number, and accounts' migration
leaves every existing number unverified. Contacts let go of their users here; marking numbers
verified (`manage.py mark_phones_verified`) links them again."""

from django.db import migrations


def unlink(apps, schema_editor):
    apps.get_model("twilio_channel", "Contact").objects.filter(user__isnull=False).update(user=None)


class Migration(migrations.Migration):
    dependencies = [
        ("twilio_channel", "0002_twilio_message_log"),
        ("accounts", "0002_phone_verification"),
    ]

    operations = [migrations.RunPython(unlink, migrations.RunPython.noop)]
