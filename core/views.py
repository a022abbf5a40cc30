"""Public probes and the root document (CONTRACT §2.4 X1–X3, §3.3 rule 4)."""

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@require_GET
def root(request: HttpRequest) -> HttpResponse:
    # Browsers get the console; API clients (no text/html in Accept) get the seed-1 greeting.
    if "text/html" in request.headers.get("Accept", ""):
        return HttpResponseRedirect("/admin/")
    return JsonResponse({"message": "Hello World", "docs": "/docs"})


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "healthy"})


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
