"""Celery: the broker (Redis, or the filesystem embedded), queues, and beat's schedule."""

from config.env import VAR_DIR, bool_alias, first_set, str_alias
from config.settings.components.ai import AI_SWEEP_INTERVAL_S
from config.settings.components.data import REDIS_URL
from config.settings.components.twilio import TWILIO_INBOUND_RECONCILE_INTERVAL_S, TWILIO_SEND_SWEEP_INTERVAL_S

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = str_alias("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_RESULT_BACKEND = first_set("CELERY_RESULT_BACKEND")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = bool_alias("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "orchestrator.process_ai_message": {"queue": "ai"},  # LLM turns: the threaded worker_ai pool
    "twilio_channel.send_message": {"queue": "sends"},  # Twilio API calls: the default worker
    "inbox.send_message": {"queue": "sends"},  # the other channels' API calls: the same worker
}
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_FOLDER = VAR_DIR / "celery"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
    # kombu's filesystem transport needs these folders before a worker polls them: core's
    # AppConfig.ready() creates them (Celery's Django fixup sets Django up before the consumer starts).
else:
    # Delivery guarantees live in the database, not the broker: every task claims its row by
    # compare-and-set and a beat sweeper re-enqueues rows left pending/processing.
    # So kombu's Redis ack emulation (an "unacked" hash and index written and cleared for every
    # message, restored only after a visibility timeout) is switched off: it bought nothing the
    # sweeper does not do sooner, and cost about a tenth of the CPU of an AI turn
    # (docs/PERFORMANCE.md).
    # A send while Redis is down fails within about a second (two quick retries) instead of holding
    # the request for kombu's default connection retries; the row is stored and the sweeper
    # re-enqueues it. Workers and beat reconnect by their own policy (broker_connection_retry).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "ack_emulation": False,
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
        "socket_connect_timeout": 1,
    }
    CELERY_TASK_PUBLISH_RETRY_POLICY = {
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")  # beat's state file, kept out of the tree

# --- Beat: the sweepers and reconciles -------------------------------------------------------
CELERY_BEAT_SCHEDULE: dict = {
    # Re-enqueue AI turns stuck `pending`/`processing` (broker outage, dead worker).
    "orchestrator-sweep-stale-ai-messages": {
        "task": "orchestrator.sweep_stale_ai_messages",
        "schedule": AI_SWEEP_INTERVAL_S,
    },
    # Re-send outbound rows left `queued`/`sending` (reconciled with Twilio first).
    "twilio-sweep-stale-sends": {"task": "twilio_channel.sweep_stale_sends", "schedule": TWILIO_SEND_SWEEP_INTERVAL_S},
    # Re-enqueue auto-reply/chat-engine replies to inbound messages of every channel left unanswered.
    "inbox-sweep-unanswered-inbound": {
        "task": "inbox.sweep_unanswered_inbound",
        "schedule": AI_SWEEP_INTERVAL_S,
    },
    # Re-send the other channels' outbound rows left `queued`/`sending` (Twilio's have their own sweeper).
    "inbox-sweep-stale-sends": {"task": "inbox.sweep_stale_sends", "schedule": TWILIO_SEND_SWEEP_INTERVAL_S},
    # Store and answer inbound messages whose webhook never reached us.
    "twilio-reconcile-inbound": {
        "task": "twilio_channel.reconcile_inbound",
        "schedule": TWILIO_INBOUND_RECONCILE_INTERVAL_S,
    },
    # Look up outbound statuses whose callbacks never came.
    "twilio-reconcile-statuses": {"task": "twilio_channel.reconcile_statuses", "schedule": 24 * 60 * 60.0},
}
