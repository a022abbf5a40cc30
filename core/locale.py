"""The language of a request: pages follow the switcher's cookie or the browser's Accept-Language;
the API always answers in English, so its texts ("Not authenticated", ...) stay the ones clients match
whatever the client's locale."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from core.api.dialects import is_public_api_path, is_staff_api_path


def is_api_path(path: str) -> bool:
    return is_public_api_path(path) or is_staff_api_path(path)


class PageLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if is_api_path(request.path_info):
            # Activated explicitly: a thread keeps the language of the page it served before.
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
            return
        super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if is_api_path(request.path_info):
            return response
        return super().process_response(request, response)
