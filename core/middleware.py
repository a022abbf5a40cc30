"""Project middleware."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.views import not_found_json


class DebugJsonNotFoundMiddleware:
    """With DEBUG on, Django answers a path that no URL matches with its technical 404 page (HTML)
    and never calls handler404: API clients get the same JSON 404 as with DEBUG off."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DEBUG and response.status_code == 404 and response.get("Content-Type", "").startswith("text/html"):
            return not_found_json(request) or response
        return response
