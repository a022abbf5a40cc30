"""Embedded default: nothing to install but Python (SQLite, file cache, filesystem broker)."""

from config.env import env

from .base import *  # noqa: F403
from .base import finalize

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = SECRET_KEY or "django-insecure-local-development-key-change-me-0123456789"  # noqa: F405
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

finalize(globals())
