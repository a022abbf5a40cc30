"""The one way to enqueue a Celery task from a request or service (CONTRACT §9.1 point 4)."""

from django.db import transaction


def enqueue_on_commit(task, *args) -> None:
    """Send `task.delay(*args)` once the surrounding transaction commits. `robust=True`: a broker
    outage is logged instead of turning a stored row into a 500; the sweeper picks the row up."""

    def send() -> None:
        task.delay(*args)

    # Django's robust on_commit logs the callback by its qualified name: make it say which task.
    send.__qualname__ = f"enqueue {getattr(task, 'name', task)}{args!r}"
    transaction.on_commit(send, robust=True)
