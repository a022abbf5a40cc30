"""The API's content negotiation answers exactly as DRF's would, for every Accept header."""

import pytest
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.test import APIRequestFactory

from core.api.negotiation import ContentNegotiation

ACCEPTS = [
    None,
    "",
    "*/*",
    " */* ",
    "application/json",
    "application/json; indent=4",
    "application/json;q=0.5, text/html",
    "text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/*",
    "text/*",
    "application/xml",
    "image/png",
    "*/*, text/html",
]
QUERIES = ["", "?format=json", "?format=api", "?format=xml", "?page=2"]


def _outcome(negotiation, path, accept, format_suffix=None):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(path, **headers))
    renderers = [renderer() for renderer in api_settings.DEFAULT_RENDERER_CLASSES]
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers, format_suffix)
    except NotAcceptable:
        return "406"
    except Exception as error:  # Http404 for a format no renderer has
        return type(error).__name__
    return type(renderer).__name__, media_type


def test_the_project_uses_it():
    assert api_settings.DEFAULT_CONTENT_NEGOTIATION_CLASS is ContentNegotiation


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("accept", ACCEPTS)
def test_same_answer_as_drf(accept, query):
    path = f"/messages{query}"
    assert _outcome(ContentNegotiation(), path, accept) == _outcome(DefaultContentNegotiation(), path, accept)


@pytest.mark.parametrize("suffix", ["json", "api", "xml"])
@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/html"])
def test_same_answer_as_drf_with_a_format_suffix(accept, suffix):
    assert _outcome(ContentNegotiation(), "/messages", accept, suffix) == _outcome(
        DefaultContentNegotiation(), "/messages", accept, suffix
    )


@pytest.mark.parametrize(
    ("headers", "query", "content_type"),
    [
        ({}, "", "application/json"),
        ({"HTTP_ACCEPT": "*/*"}, "", "application/json"),
        ({"HTTP_ACCEPT": "application/json"}, "", "application/json"),
        ({"HTTP_ACCEPT": "text/html"}, "", "text/html; charset=utf-8"),
        ({"HTTP_ACCEPT": "*/*"}, "?format=api", "text/html; charset=utf-8"),
        ({"HTTP_ACCEPT": "application/json"}, "?format=json", "application/json"),
    ],
)
def test_the_answer_over_http(client, headers, query, content_type):
    response = client.get(f"/messages{query}", **headers)  # anonymous: DRF's 401, rendered as asked
    assert response.status_code == 401
    assert response["Content-Type"] == content_type
