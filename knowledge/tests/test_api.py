"""The staff API of the knowledge base: each format in, limits and bad files refused with a 400 that
names the field and stores nothing, delete removing the passages, access on every route."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge.models import Chunk, Document
from knowledge.tests.conftest import pdf_bytes
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

ROUTES = [
    ("get", "/api/knowledge/documents"),
    ("post", "/api/knowledge/documents"),
    ("get", "/api/knowledge/documents/1"),
    ("delete", "/api/knowledge/documents/1"),
    ("get", "/api/knowledge/search?q=wifi"),
    ("get", "/api/knowledge/gaps"),
    ("post", "/api/knowledge/gaps/1/resolve"),
]


def upload(client, name: str, data: bytes, **fields):
    return client.post(
        "/api/knowledge/documents", {"file": SimpleUploadedFile(name, data), **fields}, format="multipart"
    )


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anonymous_callers_get_401_and_users_and_agents_403_on_every_route(
    method, path, api_client, auth_client, agent
):
    assert getattr(api_client, method)(path).status_code == 401
    assert getattr(auth_client, method)(path).status_code == 403
    assert getattr(client_for(agent), method)(path).status_code == 403


def test_the_api_key_gets_in(api_client, settings):
    settings.APP_API_KEY = "knowledge-key-0123456789abcdef"
    response = api_client.get("/api/knowledge/documents", HTTP_X_API_KEY="knowledge-key-0123456789abcdef")
    assert response.status_code == 200 and response.json() == {"items": [], "count": 0}


def test_a_json_document_is_stored_with_its_passages(staff_client, superuser):
    response = staff_client.post(
        "/api/knowledge/documents",
        {"title": "Opening hours", "text": "# Hours\n\nWe are open 8-16 on weekdays.", "source": "hours.md"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Opening hours" and body["source"] == "hours.md" and body["chunk_count"] == 1
    assert body["added_by"] == superuser.pk
    listed = staff_client.get("/api/knowledge/documents").json()
    assert [item["title"] for item in listed["items"]] == ["Opening hours"]
    detail = staff_client.get(f"/api/knowledge/documents/{body['id']}").json()
    assert "8-16" in detail["text"]


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("notes.txt", b"The router reset button is on the back.", "reset button"),
        ("guide.md", "# Wi-Fi\n\nHasło do sieci jest na naklejce.".encode(), "naklejce"),
        (
            "page.html",
            b"<html><head><title>x</title><script>alert('no')</script><style>p{}</style></head>"
            b"<body><h1>Parking</h1><p>Parking is free &amp; open.</p><img src=http://example.invalid/x></body></html>",
            "Parking is free & open.",
        ),
        ("manual.pdf", pdf_bytes("Printer manual", "Load paper in tray two."), "Load paper in tray two."),
    ],
)
def test_each_format_is_read(staff_client, name, data, expected):
    response = upload(staff_client, name, data)
    assert response.status_code == 201, response.content
    body = response.json()
    assert expected in body["text"]
    assert body["source"] == name
    assert Chunk.objects.filter(document_id=body["id"]).exists()
    if name.endswith(".html"):
        assert "alert" not in body["text"] and "p{}" not in body["text"]
        assert body["title"] == "Parking"


@pytest.mark.parametrize(
    ("name", "data", "field", "words"),
    [
        ("virus.exe", b"MZ...", "file", "file type is not supported"),
        ("broken.pdf", b"%PDF-1.4 not really", "file", "could not be read as PDF"),
        ("latin.txt", "zażółć".encode("utf-16"), "file", "could not be read"),
        ("empty.md", b"   \n\n", "file", "holds no text"),
    ],
)
def test_bad_files_are_a_400_naming_the_field_and_store_nothing(staff_client, name, data, field, words):
    response = upload(staff_client, name, data)
    assert response.status_code == 400
    assert words in response.json()["error"] and field in response.json()["error"].lower()
    assert not Document.objects.exists() and not Chunk.objects.exists()


def test_size_limits_are_a_400(staff_client, settings):
    settings.KNOWLEDGE_MAX_UPLOAD_BYTES = 100
    response = upload(staff_client, "big.txt", b"word " * 100)
    assert response.status_code == 400 and "file is too large" in response.json()["error"]
    settings.KNOWLEDGE_MAX_TEXT_CHARS = 50
    response = staff_client.post("/api/knowledge/documents", {"title": "T", "text": "x" * 51}, format="json")
    assert response.status_code == 400 and "text cannot exceed 50" in response.json()["error"]
    assert not Document.objects.exists() and not Chunk.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "Some text"}, "title"),
        ({"title": "x" * 201, "text": "Some text"}, "title"),
        ({"title": "T"}, "text"),
        ({"title": "T", "text": "x", "language": "polish please"}, "language"),
        ({"title": "T", "text": "x", "source": "s" * 501}, "source"),
    ],
)
def test_bad_fields_are_a_400_naming_the_field(staff_client, body, field):
    response = staff_client.post("/api/knowledge/documents", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"].lower()  # the staff dialect names the field in its sentence
    assert not Document.objects.exists()


def test_a_failure_while_storing_leaves_nothing_half_stored(staff_client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("knowledge.services._version_bump", broken)
    with pytest.raises(RuntimeError):
        staff_client.post("/api/knowledge/documents", {"title": "T", "text": "Text " * 600}, format="json")
    assert not Document.objects.exists() and not Chunk.objects.exists()


def test_delete_removes_the_document_and_its_passages(staff_client):
    document_id = upload(staff_client, "notes.txt", b"Para one.\n\nPara two.").json()["id"]
    assert staff_client.delete(f"/api/knowledge/documents/{document_id}").status_code == 204
    assert not Chunk.objects.filter(document_id=document_id).exists()
    assert staff_client.get(f"/api/knowledge/documents/{document_id}").status_code == 404
    assert staff_client.delete(f"/api/knowledge/documents/{document_id}").status_code == 404
    assert staff_client.get("/api/knowledge/search?q=para").json()["items"] == []


def test_search_needs_a_question(staff_client):
    response = staff_client.get("/api/knowledge/search?q=")
    assert response.status_code == 400 and response.json() == {"error": "Parameter 'q' is required."}


def test_the_routes_are_in_the_openapi_schema(admin_client_api):
    paths = admin_client_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in (
        "/api/knowledge/documents",
        "/api/knowledge/documents/{document_id}",
        "/api/knowledge/search",
        "/api/knowledge/gaps",
        "/api/knowledge/gaps/{gap_id}/resolve",
    ):
        assert path in paths
