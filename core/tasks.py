"""The one way to enqueue a Celery task from a request or service (CONTRACT §9.1 point 4)."""

from functools import partial

from django.db import transaction


def enqueue_on_commit(task, *args) -> None:
    """Send `task.delay(*args)` once the surrounding transaction commits. `robust=True`: a broker
    outage is logged instead of turning a stored row into a 500; the sweeper picks the row up."""
    transaction.on_commit(partial(task.delay, *args), robust=True)
