"""Production: PostgreSQL and Redis from the environment; no default secrets.

Passes `manage.py check --deploy` without warnings; each switch below can be relaxed from the
environment for a deployment that terminates TLS somewhere this process cannot see.
"""

from django.core.exceptions import ImproperlyConfigured

from config.env import bool_alias, env, int_alias

from .base import *  # noqa: F403
from .base import CELERY_BROKER_URL, JWT_SIGNING_KEY, SIMPLE_JWT, TRUSTED_PROXY_COUNT

if bool_alias("DEMO_MODE", default=False):
    # Demo mode points the AI and Twilio at stand-ins on one machine: never a live deployment.
    raise ImproperlyConfigured("DEMO_MODE=true is refused with production settings (config.settings.production).")
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": JWT_SIGNING_KEY or SECRET_KEY}
if CELERY_BROKER_URL.startswith(("filesystem://", "memory://")):
    # Both only reach workers on this machine (or in this process): tasks would pile up unseen.
    raise ImproperlyConfigured("Production needs a real broker: set CELERY_BROKER_URL or REDIS_URL (Redis).")

DEBUG = False
# The app server serves the hashed, compressed static files built by `collectstatic` (the
# Dockerfile runs it at build time), so the admin and Swagger UI work without a proxy.
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]  # noqa: F405
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}  # noqa: F405

# --- HTTPS ------------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = bool_alias("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Probes from the platform or compose speak plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^api/health$", r"^ready$"]
SESSION_COOKIE_SECURE = bool_alias("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# One year: the minimum the browsers' preload lists accept. Lower it while trying HTTPS out.
SECURE_HSTS_SECONDS = int_alias("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
if TRUSTED_PROXY_COUNT > 0:
    # Only behind a proxy that sets these headers itself; otherwise a client could claim HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
