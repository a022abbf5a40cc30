"""PostgreSQL prepares the hot statements once a pooled connection has run them DB_PREPARE_THRESHOLD
times (issue 29), and prepares nothing with the setting off (a transaction-mode pooler)."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from tests.helpers import json_printed

ROOT = Path(__file__).resolve().parent.parent.parent
REQUESTS = 6

# One pooled connection, so every request runs on the one the last query reads.
LIST_MESSAGES = f"""
import json, django
django.setup()
from django.db import connection
from accounts.tests.factories import UserFactory
from tests.helpers import client_for
client = client_for(UserFactory())
for _ in range({REQUESTS}):
    assert client.get("/api/v1/messages").status_code == 200
with connection.cursor() as cursor:
    cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
    print(json.dumps([statement for (statement,) in cursor.fetchall()]))
"""

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def prepared_after_listing_messages(threshold: str) -> list[str]:
    """The statements PostgreSQL holds prepared on the connection that served REQUESTS identical
    message lists, in a process started with DB_PREPARE_THRESHOLD=`threshold`."""
    db = connection.settings_dict
    url = f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url}
    env.update(DB_POOL_MAX_SIZE="1", DB_PREPARE_THRESHOLD=threshold)
    result = subprocess.run(
        [sys.executable, "-c", LIST_MESSAGES], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    return json_printed(result)


def test_a_statement_run_threshold_times_is_prepared():
    prepared = prepared_after_listing_messages("5")
    assert any('FROM "messaging_message"' in statement for statement in prepared), prepared


def test_nothing_is_prepared_below_the_threshold():
    assert not any('FROM "messaging_message"' in s for s in prepared_after_listing_messages(str(REQUESTS + 1)))


def test_nothing_is_prepared_with_the_setting_off():
    assert prepared_after_listing_messages("off") == []
