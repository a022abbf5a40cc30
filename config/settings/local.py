"""Embedded default: nothing to install but Python (SQLite, file cache, filesystem broker)."""

from config.env import bool_alias, env

from .base import *  # noqa: F403
from .base import JWT_SIGNING_KEY, SIMPLE_JWT

DEBUG = bool_alias("DJANGO_DEBUG", "APP_DEBUG", default=True)  # APP_DEBUG: the older name
SECRET_KEY = SECRET_KEY or "django-insecure-local-development-key-change-me-0123456789"  # noqa: F405
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": JWT_SIGNING_KEY or SECRET_KEY}
