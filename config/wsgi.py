import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_wsgi_application()


def _settle() -> None:
    # Load every view module now (the URL patterns import them), then hide the lot from the
    # garbage collector: see core.heap.
    from django.urls import get_resolver

    from core.heap import freeze_startup_objects

    get_resolver().url_patterns  # noqa: B018 -- evaluated for its imports
    freeze_startup_objects()


_settle()
