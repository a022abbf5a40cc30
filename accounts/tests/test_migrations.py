"""Issue 22: the phone verification migrations leave every existing number unverified and every
contact unlinked, until an operator marks numbers verified."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0001_initial"), ("twilio_channel", "0002_twilio_message_log")]
AFTER = [("accounts", "0002_phone_verification"), ("twilio_channel", "0003_contacts_unlinked_until_verified")]


@pytest.mark.django_db(transaction=True)
def test_existing_numbers_become_unverified_and_their_contacts_unlinked():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("accounts", "User").objects.create(
        username="ann", email="ann@example.com", password="!", phone_number="+48123456789"
    )
    old.get_model("twilio_channel", "Contact").objects.create(number="+48123456789", channel="sms", user_id=user.pk)
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        migrated = new.get_model("accounts", "User").objects.get(pk=user.pk)
        assert migrated.phone_number == "+48123456789" and migrated.phone_verified_at is None
        assert new.get_model("twilio_channel", "Contact").objects.get().user_id is None
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
