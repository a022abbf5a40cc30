"""The API's content negotiation is DRF's own: JSON unless the client asks for the browsable API."""

import pytest
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.settings import api_settings


def test_the_project_uses_drfs_negotiation():
    # A shortcut class for JSON requests measured inside the noise (docs/PERFORMANCE.md): one path.
    assert api_settings.DEFAULT_CONTENT_NEGOTIATION_CLASS is DefaultContentNegotiation


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
