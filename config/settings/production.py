"""Production: PostgreSQL and Redis from the environment; no default secrets (CONTRACT §9.1)."""

from django.core.exceptions import ImproperlyConfigured

from config.env import bool_alias, env

from .base import *  # noqa: F403
from .base import CELERY_BROKER_URL, finalize

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
if CELERY_BROKER_URL.startswith("filesystem://"):
    raise ImproperlyConfigured("Production needs a real broker: set CELERY_BROKER_URL or REDIS_URL (Redis).")

DEBUG = False
SECURE_SSL_REDIRECT = bool_alias("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^api/health$"]
SESSION_COOKIE_SECURE = bool_alias("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
if TRUSTED_PROXY_COUNT > 0:  # noqa: F405
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

finalize(globals())
