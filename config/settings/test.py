"""Test settings: the embedded defaults, or PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set."""

import os
import tempfile

from .base import *  # noqa: F403
from .base import DATABASES, REDIS_CACHE_OPTIONS, REDIS_URL, SIMPLE_JWT

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdef"
JWT_SIGNING_KEY = ""
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": JWT_SIGNING_KEY or SECRET_KEY}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; hashing is Django's job
ALLOWED_HOSTS = ["*"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not SQLite's shared in-memory database: the browser tests' live server and worker
    # threads then wait for each other's writes (WAL and the busy timeout, as in production)
    # instead of failing at once on a table lock. One file per test run, in the temporary folder.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"ai-messaging-test-{os.getpid()}.sqlite3")
    }

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_TASK_ALWAYS_EAGER = True
# Most tests expect each message's own reply at once; the burst tests turn the window on.
AI_BURST_WINDOW_S = 0.0
AI_BURST_WINDOWS: dict[str, float] = {}
AI_BURST_WINDOW_WEB_S = 0.0
# A test's rollback sends no post_save, so a cached AIConfig row would outlive its test.
AI_CONFIG_CACHE_S = 0.0
# The test database's migrate leaves AIConfig alone whatever a developer's .env says.
AI_CONFIG_BOOTSTRAP_ON_MIGRATE = False
LOG_TO_FILES = False
LOGGING = build_logging(logs_dir=LOGS_DIR, to_files=False, level="WARNING")  # noqa: F405
# A channel of the tests only, with a sender that records what it sends (tests/fakes/channel.py).
INBOX_CHANNELS = {**INBOX_CHANNELS, "test": "tests.fakes.channel.TEST"}  # noqa: F405
