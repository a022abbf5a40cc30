"""Documents in the Django admin go through the services: passages follow, bad fields are refused on
the form, deleting removes the passages."""

import pytest
from django.test import Client

from knowledge.models import Chunk, Document

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def test_add_change_and_delete_a_document(admin, superuser):
    form = {"title": "Hours", "source": "", "language": "en", "text": "Open 8-16."}
    response = admin.post("/admin/knowledge/document/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    document = Document.objects.get()
    assert document.added_by == superuser and list(document.chunks.values_list("text", flat=True)) == ["Open 8-16."]

    response = admin.post(f"/admin/knowledge/document/{document.pk}/change/", {**form, "text": "Open 9-17."})
    assert response.status_code == 302
    assert list(Chunk.objects.values_list("text", flat=True)) == ["Open 9-17."]
    assert "Open 9-17." in admin.get(f"/admin/knowledge/document/{document.pk}/change/").content.decode()

    response = admin.post(f"/admin/knowledge/document/{document.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Document.objects.exists() and not Chunk.objects.exists()


def test_a_bad_field_is_refused_on_the_form(admin):
    response = admin.post("/admin/knowledge/document/add/", {"title": "T", "language": "not a code", "text": "x"})
    assert response.status_code == 200 and "Language must be a language code" in response.content.decode()
    assert not Document.objects.exists()
