"""The dashboard's knowledge tabs: superusers upload, paste, delete and try a search; the unanswered
questions are listed with their counts and marked resolved. Agents and users are kept out; refusals
are shown on the form in the page's language; user text is escaped."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.tests.factories import UserFactory
from knowledge.gaps import gap_record
from knowledge.models import Chunk, Document, Gap
from knowledge.services import document_create

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script>'


@pytest.fixture
def operator(db):
    client = Client()
    client.force_login(UserFactory(is_superuser=True, username="operator"))
    return client


def logged_in(**fields) -> Client:
    client = Client()
    client.force_login(UserFactory(**fields))
    return client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/?tab=knowledge"),
        ("get", "/?tab=gaps"),
        ("post", "/staff/knowledge/upload/"),
        ("post", "/staff/knowledge/paste/"),
        ("post", "/staff/knowledge/1/delete/"),
        ("post", "/staff/knowledge/gaps/1/resolve/"),
    ],
)
def test_agents_and_users_are_refused_and_visitors_sent_to_log_in(method, path):
    for client in (logged_in(is_staff=True), logged_in()):
        response = getattr(client, method)(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 403 or b"documents-table" not in response.content
    response = getattr(Client(), method)(path, HTTP_ACCEPT="text/html")
    assert b"documents-table" not in response.content and b"gaps-table" not in response.content
    if method == "post":
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_upload_paste_list_search_and_delete(operator):
    response = operator.post(
        "/staff/knowledge/upload/",
        {"file": SimpleUploadedFile("router.md", b"# Router reset\n\nHold the reset button for ten seconds.")},
    )
    assert response.status_code == 302
    response = operator.post(
        "/staff/knowledge/paste/",
        {"title": f"Hours {XSS}", "text": "Open 8-16 on weekdays.", "source": "", "language": "en"},
    )
    assert response.status_code == 302
    page = operator.get("/?tab=knowledge", HTTP_ACCEPT="text/html").content.decode()
    assert "Router reset" in page and "router.md" in page
    assert XSS not in page and "&lt;script&gt;" in page

    found = operator.get("/?tab=knowledge&q=how+do+I+reset+the+router", HTTP_ACCEPT="text/html").content.decode()
    assert 'id="search-results"' in found and "Hold the reset button" in found and "answers" in found

    document = Document.objects.get(title="Router reset")
    assert operator.post(f"/staff/knowledge/{document.pk}/delete/").status_code == 302
    assert not Chunk.objects.filter(document_id=document.pk).exists()
    assert "Document deleted." in operator.get("/?tab=knowledge", HTTP_ACCEPT="text/html").content.decode()


def test_a_bad_file_is_refused_on_the_form_in_polish(operator):
    operator.cookies["django_language"] = "pl"
    response = operator.post("/staff/knowledge/upload/", {"file": SimpleUploadedFile("x.exe", b"MZ")})
    assert response.status_code == 400
    assert "Ten typ pliku nie jest obsługiwany" in response.content.decode()
    assert not Document.objects.exists()


def test_gaps_are_listed_with_counts_and_resolved(operator):
    gap_record(question="Do you sell gift cards?", channel="sms")
    gap_record(question="do you sell gift cards", channel="web")
    document_create(title="T", text="x")
    page = operator.get("/?tab=gaps", HTTP_ACCEPT="text/html").content.decode()
    assert "do you sell gift cards" in page and "<td>2</td>" in page
    gap = Gap.objects.get()
    assert operator.post(f"/staff/knowledge/gaps/{gap.pk}/resolve/").status_code == 302
    assert 'id="gaps-empty"' in operator.get("/?tab=gaps", HTTP_ACCEPT="text/html").content.decode()
