"""Public probes and the root document."""

import logging

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.utils.module_loading import import_string
from django.views import defaults
from django.views.decorators.http import require_GET

from core import readiness
from core.api.dialects import is_public_api_path, is_staff_api_path

logger = logging.getLogger(__name__)


@require_GET
def root(request: HttpRequest) -> HttpResponse:
    """Browsers get their panel: staff the view named by STAFF_HOME_VIEW (the Twilio
    dashboard; the admin when it is empty), everyone else the web panel, anonymous visitors the
    login page. API clients (no text/html in Accept) get a JSON greeting with the product's name and
    where the docs are."""
    if "text/html" not in request.headers.get("Accept", ""):
        return JsonResponse({"message": "AI Messaging", "docs": "/docs"})
    if not request.user.is_authenticated:
        return redirect_to_login("/")
    if not request.user.is_staff:
        return HttpResponseRedirect("/app/")
    if not settings.STAFF_HOME_VIEW:
        # Without a staff panel: the admin, which is the superusers' console alone (agents: /app/).
        return HttpResponseRedirect("/admin/" if request.user.is_superuser else "/app/")
    return import_string(settings.STAFF_HOME_VIEW)(request)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    # Browsers ask for /favicon.ico whatever the page links; the file itself is a static one.
    return HttpResponseRedirect(static("panel/favicon.ico"))


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    # Liveness: the process answers. No I/O, so a down database or Redis never gets it restarted.
    return JsonResponse({"status": "healthy"})


@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    # Readiness: the database, the shared cache and the broker, each with a short deadline.
    report = readiness.readiness_report()
    response = JsonResponse(report.as_dict(), status=200 if report.ready else 503)
    response["Cache-Control"] = "no-store"
    # core.readiness logs a check going down and coming back; Django would log an ERROR per probe.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


@require_GET
def db_test(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Database check failed")
        return JsonResponse({"status": "database error"}, status=503)
    return JsonResponse({"status": "database connection working"})


def wants_json(request: HttpRequest) -> bool:
    """A client that asks for JSON and not for a page (a browser always lists text/html)."""
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_json(request: HttpRequest, message: str, status: int) -> JsonResponse | None:
    """An error for `request` as JSON: an API path answers in its family's dialect (the staff API's
    `{"error": ...}`, the public API's `{"detail": ...}` as FastAPI's), and so does any path for a
    client that asks for JSON. None for a page outside the API, which keeps Django's HTML page."""
    if is_staff_api_path(request.path):
        return JsonResponse({"error": message}, status=status)
    if is_public_api_path(request.path) or wants_json(request):
        return JsonResponse({"detail": message}, status=status)
    return None


def not_found_json(request: HttpRequest) -> JsonResponse | None:
    return error_json(request, "Not Found", 404)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404, which Django calls with DEBUG off; with DEBUG on, core.middleware's
    DebugJsonNotFoundMiddleware gives the same JSON answers."""
    return not_found_json(request) or defaults.page_not_found(request, exception)


# What Django refuses before any view runs (its SuspiciousOperation family), said to a client.
BAD_REQUEST_MESSAGES = (
    (RequestDataTooBig, "The request body is too large."),
    (TooManyFieldsSent, "Too many fields in the request."),
    (TooManyFilesSent, "Too many files in the request."),
)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: API clients get what was wrong when Django says it (a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields), never Django's HTML page."""
    message = next((text for kind, text in BAD_REQUEST_MESSAGES if isinstance(exception, kind)), "Bad Request")
    return error_json(request, message, 400) or defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: API clients get JSON, never Django's HTML page (the error itself is logged by
    Django with its traceback)."""
    return error_json(request, "Internal Server Error", 500) or defaults.server_error(request)
