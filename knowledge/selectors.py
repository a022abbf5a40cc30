"""Reads of the knowledge base for the API, the panel and the admin."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from core.exceptions import NotFoundError
from knowledge.models import Document

NO_DOCUMENT = _("No such document.")


def document_list() -> QuerySet[Document]:
    """Documents without their text, each with its number of passages: one query."""
    return Document.objects.defer("text").annotate(chunk_count=Count("chunks")).order_by("title", "id")


def document_get(*, document_id: int) -> Document:
    document = Document.objects.annotate(chunk_count=Count("chunks")).filter(pk=document_id).first()
    if document is None:
        raise NotFoundError(str(NO_DOCUMENT))
    return document
