"""Content negotiation with a short way for the common API request.

Almost every API call asks for JSON: no Accept header, `*/*` or `application/json`, and no
`?format=`. DRF would parse the header into media types and rank them on every request to arrive at
the first renderer; here those requests get that answer directly. Everything else (a browser's
`text/html`, parameters, quality values, a format override or suffix) goes through DRF's own
negotiation, unchanged."""

from rest_framework.negotiation import DefaultContentNegotiation

_ANY = "*/*"


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        if renderers and not format_suffix:
            first = renderers[0]
            accept = request.META.get("HTTP_ACCEPT", _ANY).strip()
            if accept in (_ANY, first.media_type) and self.settings.URL_FORMAT_OVERRIDE not in request.query_params:
                return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
