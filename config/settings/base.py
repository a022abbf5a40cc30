"""Everything the project needs, read from the environment with embedded defaults."""

from datetime import timedelta
from typing import Any

from config.env import BASE_DIR, VAR_DIR, bool_alias, env, first_set, int_alias, optional_bool, str_alias
from core.logging import build_logging

DEBUG = bool_alias("DJANGO_DEBUG", "APP_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
APP_ENV = env.str("APP_ENV", default="dev")

INSTALLED_APPS = [
    "core.admin_site.AdminConfig",  # django.contrib.admin with a superuser-only site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "accounts",
    "reports",
    "messaging",
    "knowledge",
    "orchestrator",
    "twilio_channel",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "core.middleware.UnstorableTextMiddleware",  # a NUL in the URL: never a 500 from a lookup
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The pages' language: the switcher's cookie, else the browser's Accept-Language (API: English).
    "core.locale.PageLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.middleware.DebugJsonNotFoundMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Every page loads only this server's files: no inline script, no eval, no framing (README "Browser
# hardening"). Empty sends no header.
CONTENT_SECURITY_POLICY = env.str(
    "CONTENT_SECURITY_POLICY",
    default=(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
APPEND_SLASH = False  # API paths have no slash; both forms are routed explicitly (no redirect)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASE_URL = str_alias("DATABASE_URL", "AI_MESSAGE_DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock up front so two
    # processes never deadlock upgrading read locks.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # A connection pool per process (psycopg_pool): the threaded AI worker keeps many turns in
    # flight and hands its connection back during each LLM call (core.db.release_db_connection).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The pool checks a connection before handing it out (one empty round trip): a connection the
    # server ended while it sat idle (a restart, a failover, pg_terminate_backend) is replaced
    # instead of failing the next request. One that dies mid-request is the caller's to retry
    # (core.db.once_more_on_new_connection, used by the Twilio webhooks).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int_alias("DB_POOL_MAX_SIZE", default=20),
        "timeout": 30,
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttles, sync throttle); Redis in production, a shared file cache embedded ------
REDIS_URL = env.str("REDIS_URL", default="").strip()
CACHE_URL = str_alias("CACHE_URL", default=REDIS_URL)
# Short socket timeouts: a Redis that is down or unreachable fails a cache call within a second,
# and its users fall back (core.cache; README "When a part is down") instead of stalling a request.
REDIS_CACHE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledModelBackend"]  # admin logins share the API throttle
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"  # a login without `next`: the root sends each user to their panel
# What `/` shows staff: a dotted view path, so core never imports the channel app.
STAFF_HOME_VIEW = "twilio_channel.panel_views.dashboard.dashboard"
LOGOUT_REDIRECT_URL = LOGIN_URL
# The one definition of the password rules (accounts.passwords); min 6 is the Vue client's rule.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 6}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login and sign-up limits (accounts.login_guard): a username locks at one client address after
# LOGIN_FAILURES_PER_USERNAME_AND_IP failures; LOGIN_FAILURES_PER_USERNAME over all addresses and
# LOGIN_FAILURES_PER_IP over all usernames (and wrong X-API-Key guesses) are the ceilings; all
# within LOGIN_FAILURE_WINDOW_S. Sign-ups (API and panel together) per address per window.
LOGIN_FAILURES_PER_USERNAME_AND_IP = int_alias("LOGIN_FAILURES_PER_USERNAME_AND_IP", default=5)
LOGIN_FAILURES_PER_USERNAME = int_alias("LOGIN_FAILURES_PER_USERNAME", default=100)
LOGIN_FAILURES_PER_IP = int_alias("LOGIN_FAILURES_PER_IP", default=50)
LOGIN_FAILURE_WINDOW_S = int_alias("LOGIN_FAILURE_WINDOW_S", default=30 * 60)
REGISTRATIONS_PER_IP = int_alias("REGISTRATIONS_PER_IP", default=10)
REGISTRATION_WINDOW_S = int_alias("REGISTRATION_WINDOW_S", default=60 * 60)
TRUSTED_PROXY_COUNT = int_alias("TRUSTED_PROXY_COUNT", default=0)
# Phone verification (issue 22): a number links its SMS/WhatsApp to an account only once proved
# by a code sent to it. Codes live PHONE_VERIFICATION_CODE_TTL_S and take MAX_ATTEMPTS guesses;
# sends are limited per number and per account over PHONE_VERIFICATION_SEND_WINDOW_S.
PHONE_VERIFICATION_CODE_TTL_S = env.int("PHONE_VERIFICATION_CODE_TTL_S", default=600)
PHONE_VERIFICATION_MAX_ATTEMPTS = env.int("PHONE_VERIFICATION_MAX_ATTEMPTS", default=5)
PHONE_VERIFICATION_SENDS_PER_NUMBER = env.int("PHONE_VERIFICATION_SENDS_PER_NUMBER", default=3)
PHONE_VERIFICATION_SENDS_PER_USER = env.int("PHONE_VERIFICATION_SENDS_PER_USER", default=3)
PHONE_VERIFICATION_SEND_WINDOW_S = env.int("PHONE_VERIFICATION_SEND_WINDOW_S", default=3600)
PHONE_VERIFICATION_CHANNELS = env.list("PHONE_VERIFICATION_CHANNELS", default=["sms", "whatsapp"])
# An approved WhatsApp template whose variable {{1}} is the code, for WhatsApp outside the 24 h window.
PHONE_VERIFICATION_WHATSAPP_CONTENT_SID = env.str("PHONE_VERIFICATION_WHATSAPP_CONTENT_SID", default="")
# What sends a code (`func(*, number, channel, code, text)`): a dotted path, so accounts never
# imports the channel app.
PHONE_VERIFICATION_SENDER = "twilio_channel.verification.verification_code_send"

JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="")
# A settings module that changes SECRET_KEY or JWT_SIGNING_KEY sets SIGNING_KEY again.
SIMPLE_JWT: dict[str, Any] = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "TOKEN_TYPE_CLAIM": "type",
    "JTI_CLAIM": "jti",
    "SIGNING_KEY": JWT_SIGNING_KEY or SECRET_KEY,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON first: it is what `Accept: */*` or no Accept header gets. Browsers (text/html) get the
    # browsable API.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "core.api.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",  # DRF's, with too deep a nesting a 400 rather than a 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.openapi.ProjectAutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "VIEW_DESCRIPTION_FUNCTION": "core.api.descriptions.view_description",  # docstrings' `code`, no markdown package
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "AI Messaging API",
    "DESCRIPTION": (
        "Users talk to an AI assistant and to each other over the web, the API, SMS and WhatsApp.\n\n"
        "Every endpoint listed here also answers under the `/api/v1/` prefix, an alias of the same "
        "endpoint: `/api/v1/auth/login` is `/auth/login`. Paths work with and without a trailing slash."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["core.openapi.drop_slash_aliases"],
    # Phone verification's `channel` (sms, whatsapp) beside other `channel` fields with more values.
    "ENUM_NAME_OVERRIDES": {"VerificationChannelEnum": [("sms", "sms"), ("whatsapp", "whatsapp")]},
    # Each caller's schema lists the routes their role may call (core.openapi.AudienceSchemaGenerator):
    # staff routes only for staff. The API key counts as staff, as on the staff API.
    "DEFAULT_GENERATOR_CLASS": "core.openapi.AudienceSchemaGenerator",
    "SERVE_PUBLIC": False,
    "SERVE_AUTHENTICATION": [
        "accounts.authentication.BearerAuthentication",
        "twilio_channel.api.access.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("pl", "Polski")]
# The compiled catalogs (.mo) are committed, so no gettext tools are needed at run time.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the panel's own script and the vendored Bootstrap and htmx
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

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

# --- Project switches -------------------------------------------------------------------------
# Set by `devserver --demo` for every process it starts (a demo model and a Twilio stand-in on this
# machine); other settings may default differently in it. Refused by the production settings.
DEMO_MODE = bool_alias("DEMO_MODE", default=False)
AI_BOT_USER_ID = int_alias("AI_BOT_USER_ID", default=-1)
AI_BOT_DISPLAY_NAME = str_alias("AI_BOT_DISPLAY_NAME", default="AI Assistant")
CHAT_HISTORY_MAX = int_alias("CHAT_HISTORY_MAX", default=50)
# What answers a message to the bot: messaging stores it, this object queues or runs the AI turn.
MESSAGING_BOT_RESPONDER = "orchestrator.responder.responder"
# What sends a reply to a message that came from outside, per channel.
MESSAGING_CHANNEL_SENDERS = {
    "sms": "twilio_channel.sender.sender",
    "whatsapp": "twilio_channel.sender.sender",
}
LIST_LIMIT_DEFAULT = 100
LIST_LIMIT_MAX = 500

# --- AI orchestrator --------------------------------------------------------------------------
# AI is configured when a key or a base URL is set; otherwise the chat engine answers.
# The `orchestrator.AIConfig` row (panel, admin) overrides key, model, temperature and system prompt
# where it sets them; where it leaves them empty these apply.
LITELLM_API_KEY = str_alias("LITELLM_API_KEY", "OPENAI_API_KEY", default="")
LITELLM_MODEL = str_alias("LITELLM_MODEL", "OPENAI_MODEL", default="gpt-3.5-turbo-1106")  # the one model setting
LITELLM_BASEURL = str_alias("LITELLM_BASEURL", default="")
# The provider prefixes a model may have (`anthropic/claude-...`); a bare name (`gpt-4o`) needs
# none. Routes that take their host from the model string (oobabooga, ...) never belong here: the
# base URL comes from LITELLM_BASEURL alone. hosted_vllm is the LITELLM_BASEURL route.
AI_MODEL_PROVIDERS = [name.strip() for name in env.list(
    "AI_MODEL_PROVIDERS",
    default=[
        "openai", "azure", "anthropic", "gemini", "vertex_ai", "bedrock", "mistral", "groq", "cohere",
        "deepseek", "xai", "together_ai", "fireworks_ai", "openrouter", "perplexity", "hosted_vllm",
    ],
) if name.strip()]  # fmt: skip
AI_LLM_TEMPERATURE = float(str_alias("AI_LLM_TEMPERATURE", "OPENAI_TEMPERATURE", default="0.7"))
AI_LLM_TIMEOUT_S = float(str_alias("AI_LLM_TIMEOUT_S", default="60"))  # one LLM request
AI_LLM_RETRIES = int_alias("AI_LLM_RETRIES", default=2)  # bounded retries of a transient LLM error
AI_LLM_RETRY_BACKOFF_S = float(str_alias("AI_LLM_RETRY_BACKOFF_S", default="0.5"))  # doubles per retry
AI_SYNC_TIMEOUT_S = float(str_alias("AI_SYNC_TIMEOUT_S", default="60"))  # the whole blocking turn (M11)
AI_AGENT_STICKY_MINUTES = int_alias("AI_AGENT_STICKY_MINUTES", default=10)
# A user message longer than this is cut before it goes to the LLM (logged), so one huge SMS or
# web message cannot make a huge prompt; the stored message keeps all of it.
AI_INPUT_MAX_CHARS = int_alias("AI_INPUT_MAX_CHARS", default=8000)
# The AIConfig API key is stored encrypted with a key derived from this, or from SECRET_KEY when it
# is unset. If it changes, a stored key reads as unset (with a warning) until it is entered again.
AI_CONFIG_ENCRYPTION_KEY = str_alias("AI_CONFIG_ENCRYPTION_KEY", default="")
AI_CONFIG_CACHE_S = 5.0  # how long a process reuses the AIConfig row it read; a save in it clears it
# The environment's values for the AIConfig row: copied into it after `migrate` and by
# `manage.py bootstrap_ai_config` until the switch is managed in the panel or the admin
# (enabled_source "ui"). None = not set: only what is set is applied. The model and temperature
# count only when named in the environment, not as the defaults above. The API key is never copied:
# the row falls back to LITELLM_API_KEY at run time, so the secret stays in one place.
AI_ENABLED = optional_bool(first_set("AI_ENABLED"))
AI_TARGET_NUMBER = first_set("AI_TARGET_NUMBER")
AI_SYSTEM_PROMPT = first_set("AI_SYSTEM_PROMPT")
AI_ENV_MODEL = first_set("LITELLM_MODEL", "OPENAI_MODEL")
AI_ENV_TEMPERATURE = AI_LLM_TEMPERATURE if first_set("AI_LLM_TEMPERATURE", "OPENAI_TEMPERATURE") else None
AI_CONFIG_BOOTSTRAP_ON_MIGRATE = True
# A turn holds its conversation's lease for AI_LEASE_S and renews it every quarter of that while it
# runs; a dead worker's lease lapses within AI_LEASE_S and the sweeper (every AI_SWEEP_INTERVAL_S)
# hands its message to another worker: recovery within AI_LEASE_S + AI_SWEEP_INTERVAL_S.
AI_LEASE_S = float(str_alias("AI_LEASE_S", default="20"))
AI_SWEEP_INTERVAL_S = float(str_alias("AI_SWEEP_INTERVAL_S", default="15"))
AI_STALE_REPLY_AFTER_S = int_alias("AI_STALE_REPLY_AFTER_S", default=30)  # sweeper: a queued turn pending this long
# Turns (and channel replies) the sweepers leave in the workers' hands at most, counting those
# running, the oldest first: the `ai` worker's threads (the Procfile's `-c 32`, devserver's --ai-threads).
SWEEP_BATCH_SIZE = int_alias("SWEEP_BATCH_SIZE", default=32)
# A send holds its delivery's claim for TWILIO_SEND_LEASE_S, renewed every quarter of that while it
# runs; a dead worker's claim lapses within TWILIO_SEND_LEASE_S and the sweeper (every
# TWILIO_SEND_SWEEP_INTERVAL_S) reconciles it with Twilio and sends it only if Twilio never got it:
# recovery within TWILIO_SEND_LEASE_S + TWILIO_SEND_SWEEP_INTERVAL_S (35 s).
TWILIO_SEND_LEASE_S = float(str_alias("TWILIO_SEND_LEASE_S", default="25"))
TWILIO_SEND_SWEEP_INTERVAL_S = float(str_alias("TWILIO_SEND_SWEEP_INTERVAL_S", default="15"))
# How often beat looks for inbound messages whose webhook never reached us (see the Twilio section).
TWILIO_INBOUND_RECONCILE_INTERVAL_S = float(str_alias("TWILIO_INBOUND_RECONCILE_INTERVAL_S", default="60"))
CELERY_BEAT_SCHEDULE: dict = {
    # Re-enqueue AI turns stuck `pending`/`processing` (broker outage, dead worker).
    "orchestrator-sweep-stale-ai-messages": {
        "task": "orchestrator.sweep_stale_ai_messages",
        "schedule": AI_SWEEP_INTERVAL_S,
    },
    # Re-send outbound rows left `queued`/`sending` (reconciled with Twilio first).
    "twilio-sweep-stale-sends": {"task": "twilio_channel.sweep_stale_sends", "schedule": TWILIO_SEND_SWEEP_INTERVAL_S},
    # Re-enqueue auto-reply/chat-engine replies to inbound messages left unanswered.
    "twilio-sweep-unanswered-inbound": {
        "task": "twilio_channel.sweep_unanswered_inbound",
        "schedule": AI_SWEEP_INTERVAL_S,
    },
    # Store and answer inbound messages whose webhook never reached us.
    "twilio-reconcile-inbound": {
        "task": "twilio_channel.reconcile_inbound",
        "schedule": TWILIO_INBOUND_RECONCILE_INTERVAL_S,
    },
    # Look up outbound statuses whose callbacks never came.
    "twilio-reconcile-statuses": {"task": "twilio_channel.reconcile_statuses", "schedule": 24 * 60 * 60.0},
}
CHAT_MODE = str_alias("CHAT_MODE", default="echo").lower()  # echo | keywords | off; unknown values act as echo
# What a stranger's SMS or WhatsApp message gets with the AI and the auto-reply off: none | chat (the
# chat engine) | text (UNKNOWN_CONTACT_REPLY_TEXT). Unset: chat only with a local Twilio stand-in.
UNKNOWN_CONTACT_REPLY = str_alias("UNKNOWN_CONTACT_REPLY", default="")
UNKNOWN_CONTACT_REPLY_TEXT = str_alias("UNKNOWN_CONTACT_REPLY_TEXT", default="")

# --- Twilio channel ---------------------------------------------------------------------------
# Without credentials the app boots and every send is refused with "Twilio is not configured.".
TWILIO_ACCOUNT_SID = str_alias("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = str_alias("TWILIO_AUTH_TOKEN", default="")
TWILIO_DEFAULT_FROM = str_alias("TWILIO_DEFAULT_FROM", "TWILIO_PHONE_NUMBER", default="")
TWILIO_MESSAGING_SERVICE_SID = str_alias("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_REPLY_VIA_MESSAGING_SERVICE = bool_alias("TWILIO_REPLY_VIA_MESSAGING_SERVICE", default=False)
TWILIO_VALIDATE_SIGNATURE = bool_alias("TWILIO_VALIDATE_SIGNATURE", default=True)
TWILIO_API_BASE_URL = str_alias("TWILIO_API_BASE_URL", default="").rstrip("/")  # a local stand-in only
TWILIO_HTTP_TIMEOUT_S = float(str_alias("TWILIO_HTTP_TIMEOUT_S", default="10"))
TWILIO_KNOWN_USER_AI = bool_alias("TWILIO_KNOWN_USER_AI", default=True)
TWILIO_SYNC_MIN_INTERVAL_S = int_alias("TWILIO_SYNC_MIN_INTERVAL_S", default=10)
PUBLIC_BASE_URL = str_alias("PUBLIC_BASE_URL", default="").rstrip("/")
WHATSAPP_FALLBACK_CONTENT_SID = str_alias("WHATSAPP_FALLBACK_CONTENT_SID", default="")
# Sends retried after a transient Twilio error (429, 5xx, network): backoff doubles from 2 s with
# jitter, capped well below the broker's visibility timeout.
TWILIO_SEND_MAX_RETRIES = 3
TWILIO_SEND_BACKOFF_MAX_S = 60
# The inbound reconcile (beat, every TWILIO_INBOUND_RECONCILE_INTERVAL_S) lists Twilio's messages of
# the last TWILIO_INBOUND_RECONCILE_WINDOW_S, at most TWILIO_INBOUND_RECONCILE_LIMIT of them (inbound
# and outbound), and runs every inbound one never stored here through the webhook's pipeline.
TWILIO_INBOUND_RECONCILE_WINDOW_S = int_alias("TWILIO_INBOUND_RECONCILE_WINDOW_S", default=300)
TWILIO_INBOUND_RECONCILE_LIMIT = int_alias("TWILIO_INBOUND_RECONCILE_LIMIT", default=200)
# Outbound rows left queued this long (a lost task, the broker down; a retry waits at most
# TWILIO_SEND_BACKOFF_MAX_S) are sent again by the sweeper. A `sending` one goes by its lease above.
TWILIO_STALE_SEND_AFTER_S = 120
# Staff sends (API, panel, command line) to one recipient number, per minute, counted in the shared
# cache across processes (10 a minute).
TWILIO_SENDS_PER_RECIPIENT_PER_MINUTE = int_alias("TWILIO_SENDS_PER_RECIPIENT_PER_MINUTE", default=10)
# Automatic replies (AI, auto-reply, chat engine) per contact (a number on a channel) in a sliding
# window; what a contact sends beyond it is stored unanswered and handed to staff (issue 22).
AUTO_REPLY_LIMIT_PER_CONTACT = int_alias("AUTO_REPLY_LIMIT_PER_CONTACT", default=20)
AUTO_REPLY_LIMIT_WINDOW_S = int_alias("AUTO_REPLY_LIMIT_WINDOW_S", default=600)
# A message longer than its channel takes (Twilio: 1,600 characters on SMS, 4,096 on WhatsApp) is
# sent as numbered parts, in order; past TWILIO_MAX_PARTS parts the text is cut with "…".
TWILIO_SMS_MAX_CHARS = int_alias("TWILIO_SMS_MAX_CHARS", default=1600)
TWILIO_WHATSAPP_MAX_CHARS = int_alias("TWILIO_WHATSAPP_MAX_CHARS", default=4096)
TWILIO_MAX_PARTS = int_alias("TWILIO_MAX_PARTS", default=10)
# Machine access to the staff API (/api/..., not /api/v1/...) with `X-API-Key`; empty disables it.
APP_API_KEY = str_alias("APP_API_KEY", default="")

# --- Logging ----------------------------------------------------------------------------------
LOGS_FOLDER = str_alias("LOGS_FOLDER", "AI_MESSAGE_LOGS_FOLDER", default="logs")
LOGS_DIR = BASE_DIR / LOGS_FOLDER
LOG_TO_FILES = bool_alias("LOG_TO_FILES", default=True)
LOG_LEVEL = str_alias("LOG_LEVEL", default="INFO").upper()
LOGGING = build_logging(logs_dir=LOGS_DIR, to_files=LOG_TO_FILES, level=LOG_LEVEL)

# --- Dev server -------------------------------------------------------------------------------
AI_MESSAGE_HOST = str_alias("AI_MESSAGE_HOST", "APP_HOST", default="127.0.0.1")
AI_MESSAGE_PORT = int_alias("AI_MESSAGE_PORT", "APP_PORT", default=8000)
AI_MESSAGE_SSL = bool_alias("AI_MESSAGE_SSL", default=False)
AI_MESSAGE_SSL_CERT = str_alias("AI_MESSAGE_SSL_CERT", default="ssl/cert.pem")
AI_MESSAGE_SSL_KEY = str_alias("AI_MESSAGE_SSL_KEY", default="ssl/key.pem")

# --- Knowledge base (issue 26) -------------------------------------------------------------------
# Embeddings for semantic search: the chat's key and base URL (LITELLM_*) with this model; empty
# means keyword search only (still useful).
EMBEDDING_MODEL = env.str("EMBEDDING_MODEL", default="")
EMBEDDING_TIMEOUT_S = env.float("EMBEDDING_TIMEOUT_S", default=10.0)
# What the knowledge app calls for embeddings (it sits below the orchestrator, which owns litellm).
KNOWLEDGE_EMBEDDER = "orchestrator.llm.embed"
KNOWLEDGE_EMBEDDING_MODEL = "orchestrator.llm.embedding_model"
KNOWLEDGE_MAX_UPLOAD_BYTES = env.int("KNOWLEDGE_MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)
KNOWLEDGE_MAX_TEXT_CHARS = env.int("KNOWLEDGE_MAX_TEXT_CHARS", default=500_000)
# A passage counts as an answer at this cosine similarity, or when it holds this share of the
# question's words; below both, the assistant says it does not know and the question becomes a gap.
KNOWLEDGE_MIN_SIMILARITY = env.float("KNOWLEDGE_MIN_SIMILARITY", default=0.35)
KNOWLEDGE_MIN_KEYWORD_COVERAGE = env.float("KNOWLEDGE_MIN_KEYWORD_COVERAGE", default=0.5)
