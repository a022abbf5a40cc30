import logging
import os

from celery import Celery
from celery.signals import setup_logging, worker_process_init, worker_ready
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

# `filesystem://` (the embedded broker) is kombu's transport with each message written whole before
# a worker can read it (core/filesystem_broker.py says why). Registered under the scheme, so it
# serves that URL wherever the URL comes from (settings, `celery -b`) and no other.
TRANSPORT_ALIASES["filesystem"] = "core.filesystem_broker:Transport"

# Our Django fix-up replaces Celery's: it keeps the worker's database connections (config/celery_fixup.py).
app = Celery("config", fixups=["config.celery_fixup:fixup"])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _use_django_logging(**kwargs) -> None:
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@worker_ready.connect
def _settle_worker(sender, **kwargs) -> None:
    """Tasks of the threads and solo pools run in this process: load what they need, then freeze."""
    from django.conf import settings

    from core.heap import freeze_startup_objects

    ai_queue = settings.CELERY_TASK_ROUTES["orchestrator.process_ai_message"]["queue"]
    if ai_queue in sender.app.amqp.queues.consume_from:
        from orchestrator.llm import llm_configured, preload

        if llm_configured():  # without an LLM the chat engine answers: litellm is never needed
            try:
                preload()
            except Exception:  # the first turn loads it instead; freezing the rest still pays
                logging.getLogger("orchestrator").exception("litellm could not be preloaded")
    freeze_startup_objects()


@worker_process_init.connect
def _settle_pool_process(**kwargs) -> None:
    """A prefork child runs its tasks itself: freeze what it inherited."""
    from core.heap import freeze_startup_objects

    freeze_startup_objects()
