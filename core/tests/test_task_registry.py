"""A process that serves requests in threads (gunicorn's gthread, runserver) finds the tasks it
queues by name from its first requests on. Celery imports the tasks modules on the first lookup,
and a second thread arriving meanwhile used to get NotRegistered: a webhook answered 500 and its
message was lost (found by the round-trip bench at 60 webhooks a second)."""

import os
import subprocess
import sys

from django.conf import settings

THREADS = 8

# A fresh process, as a web worker starts: nothing has imported the tasks modules yet.
FIRST_LOOKUPS = f"""
import threading

import django

django.setup()
from celery import current_app

from core.tasks import registered_task

assert "inbox.answer_inbound" not in current_app._tasks, "imported already: the race cannot show"
barrier = threading.Barrier({THREADS})
failures = []


def queue_by_name():
    barrier.wait()
    try:
        registered_task("inbox.answer_inbound")
    except Exception as exc:
        failures.append(repr(exc))


threads = [threading.Thread(target=queue_by_name) for _ in range({THREADS})]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(len(failures), failures[:1])
"""


def test_threads_of_a_new_process_find_a_task_by_name_at_once():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DJANGO_READ_DOT_ENV_FILE": "false",
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    result = subprocess.run(
        [sys.executable, "-c", FIRST_LOOKUPS],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "0 []"
