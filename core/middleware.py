"""Project middleware."""

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, QueryDict

from core.text import storable, text_clean
from core.views import not_found_json


class UnstorableTextMiddleware:
    """A NUL in the URL, which PostgreSQL refuses in a query (issue 23). In the path it names nothing
    (no key, phone number or SID holds one): 404 for every route, instead of a 500 from the view's
    lookup. In the query string (a search box, a filter) it is dropped. An undecodable byte reaches
    Django still percent-encoded or as U+FFFD, so the NUL is all there is to handle here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not storable(request.path_info):
            raise Http404("No such path.")
        if "%00" in request.META.get("QUERY_STRING", ""):
            query = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                query.setlist(text_clean(key), [text_clean(value) for value in values])
            query._mutable = False
            request.GET = query
        return self.get_response(request)


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


class ContentSecurityPolicyMiddleware:
    """Sends CONTENT_SECURITY_POLICY on every answer (panels, admin, browsable API, Swagger UI) that
    does not set its own; empty turns it off. Django 5.2 has no CSP of its own (that is 6.0), and
    the pages load only local files, with no inline script or event handler, so a strict policy
    holds everywhere."""

    header = "Content-Security-Policy"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY.strip()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and self.header not in response:
            response[self.header] = self.policy
        return response
