"""An uploaded file into a document (the staff API and the panel): the size is checked before the
file is read, the text extracted (knowledge.extraction), then one service call stores it all."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from accounts.models import User
from core.exceptions import ApplicationError
from knowledge.extraction import TOO_LARGE, file_kind, text_from_file
from knowledge.importing import title_of
from knowledge.models import Document
from knowledge.services import document_create


def document_from_upload(
    *, upload: UploadedFile, title: str = "", source: str = "", language: str = "", added_by: User | None = None
) -> Document:
    name = PurePath(upload.name or "upload.txt").name
    file_kind(name)
    limit = settings.KNOWLEDGE_MAX_UPLOAD_BYTES
    if (upload.size or 0) > limit:
        raise ApplicationError(str(TOO_LARGE) % {"limit": limit}, extra={"field": "file"})
    text = text_from_file(name=name, data=upload.read(limit + 1))
    return document_create(
        title=title.strip() or title_of(PurePath(name), text),
        text=text,
        source=source.strip() or name,
        language=language,
        added_by=added_by,
    )
