"""Writes to the knowledge base. Each document change is one transaction that also raises
`KnowledgeVersion` (so every process reloads its vectors); embeddings are fetched before it opens,
never inside it (an LLM call must not hold SQLite's write lock)."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.exceptions import ApplicationError, NotFoundError
from knowledge.chunking import Piece, chunk_text
from knowledge.embeddings import current_model, embed_texts
from knowledge.models import Chunk, Document, KnowledgeVersion
from knowledge.selectors import NO_DOCUMENT

logger = logging.getLogger("knowledge")

TITLE_MAX = 200
SOURCE_MAX = 500
LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$")
TITLE_REQUIRED = _("Title is required.")
TITLE_TOO_LONG = _("The title cannot exceed 200 characters.")
TEXT_REQUIRED = _("Text is required.")
TEXT_TOO_LONG = _("The text cannot exceed %(limit)s characters.")
SOURCE_TOO_LONG = _("The source cannot exceed 500 characters.")
LANGUAGE_INVALID = _("Language must be a language code such as en or pl.")


@dataclass(frozen=True)
class Prepared:
    title: str
    text: str
    source: str
    language: str
    content_hash: str
    pieces: list[Piece]
    model: str
    vectors: list[bytes]


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _fail(message, field: str, **values) -> ApplicationError:
    return ApplicationError(str(message) % values if values else str(message), extra={"field": field})


def document_fields_clean(*, title: str, text: str, source: str, language: str) -> tuple[str, str, str, str]:
    title, source, language = " ".join((title or "").split()), (source or "").strip(), (language or "").strip()
    text = (text or "").replace("\x00", "").strip()
    if not title:
        raise _fail(TITLE_REQUIRED, "title")
    if len(title) > TITLE_MAX:
        raise _fail(TITLE_TOO_LONG, "title")
    if not text:
        raise _fail(TEXT_REQUIRED, "text")
    if len(text) > settings.KNOWLEDGE_MAX_TEXT_CHARS:
        raise _fail(TEXT_TOO_LONG, "text", limit=settings.KNOWLEDGE_MAX_TEXT_CHARS)
    if len(source) > SOURCE_MAX:
        raise _fail(SOURCE_TOO_LONG, "source")
    if language and not LANGUAGE.match(language):
        raise _fail(LANGUAGE_INVALID, "language")
    return title, text, source, language.lower()


def _prepare(*, title: str, text: str, source: str, language: str) -> Prepared:
    """Everything a write needs, computed before the transaction: checks, passages, embeddings."""
    title, text, source, language = document_fields_clean(title=title, text=text, source=source, language=language)
    pieces = chunk_text(text)
    model, vectors = embed_texts([f"{title}\n{piece.heading}\n{piece.text}" for piece in pieces])
    return Prepared(title, text, source, language, content_hash(text), pieces, model, vectors)


def _version_bump() -> None:
    """+1 on the one row, created on the first change. An INSERT that ignores the conflict comes
    first: on PostgreSQL a concurrent first change's uncommitted row makes it wait for that commit
    (an UPDATE would see no row, and a get_or_create lose one of the two bumps), then the UPDATE
    counts both changes under the row lock."""
    KnowledgeVersion.objects.bulk_create([KnowledgeVersion(pk=1, version=0)], ignore_conflicts=True)
    KnowledgeVersion.objects.filter(pk=1).update(version=F("version") + 1)


def _store_chunks(document: Document, prepared: Prepared) -> None:
    Chunk.objects.bulk_create(
        Chunk(
            document=document,
            ordinal=ordinal,
            heading=piece.heading,
            text=piece.text,
            embedding=prepared.vectors[ordinal] if prepared.vectors else None,
            embedding_model=prepared.model if prepared.vectors else "",
        )
        for ordinal, piece in enumerate(prepared.pieces)
    )


def document_create(
    *, title: str, text: str, source: str = "", language: str = "", added_by: User | None = None
) -> Document:
    prepared = _prepare(title=title, text=text, source=source, language=language)
    with transaction.atomic():
        document = Document(
            title=prepared.title,
            text=prepared.text,
            source=prepared.source,
            language=prepared.language,
            content_hash=prepared.content_hash,
            added_by=added_by if getattr(added_by, "pk", None) else None,
        )
        document.full_clean()
        document.save()
        _store_chunks(document, prepared)
        _version_bump()
    logger.info(
        "Document %s added: %s passages (embeddings: %s)", document.pk, len(prepared.pieces), bool(prepared.vectors)
    )
    return document


def document_replace(*, document: Document, title: str, text: str, source: str, language: str) -> Document:
    """New text for a document: its passages are replaced in one transaction."""
    prepared = _prepare(title=title, text=text, source=source, language=language)
    with transaction.atomic():
        document.title, document.text, document.source = prepared.title, prepared.text, prepared.source
        document.language, document.content_hash = prepared.language, prepared.content_hash
        document.full_clean()
        document.save()
        Chunk.objects.filter(document=document).delete()
        _store_chunks(document, prepared)
        _version_bump()
    logger.info("Document %s replaced: %s passages", document.pk, len(prepared.pieces))
    return document


def document_delete(*, document_id: int) -> None:
    with transaction.atomic():
        deleted, _counts = Document.objects.filter(pk=document_id).delete()
        if not deleted:
            raise NotFoundError(str(NO_DOCUMENT))
        _version_bump()
    logger.info("Document %s deleted", document_id)


def document_upsert_by_source(
    *, title: str, text: str, source: str, language: str = "", added_by: User | None = None
) -> tuple[Document, str]:
    """The import's write: a document is known by its source; `created`, `updated` or `unchanged`."""
    existing = Document.objects.filter(source=source.strip()).order_by("id").first()
    if existing is None:
        return document_create(title=title, text=text, source=source, language=language, added_by=added_by), "created"
    if existing.content_hash == content_hash((text or "").replace("\x00", "").strip()) and existing.title == title:
        return existing, "unchanged"
    return document_replace(document=existing, title=title, text=text, source=source, language=language), "updated"


def chunks_embed_missing(*, batch: int = 64) -> tuple[int, int]:
    """Embed every passage that has no vector of the current model: passages stored while no model
    was set or while it failed, or all of them after EMBEDDING_MODEL changed. `(embedded, left)`;
    each batch is written in its own short transaction, after its embedding call."""
    model = current_model()
    if not model:
        return 0, Chunk.objects.count()
    embedded = 0
    last_id = 0
    while True:
        rows = list(
            Chunk.objects.exclude(embedding_model=model)
            .filter(id__gt=last_id)
            .order_by("id")
            .values_list("id", "heading", "text", "document__title")[:batch]
        )
        if not rows:
            break
        last_id = rows[-1][0]
        used, vectors = embed_texts([f"{title}\n{heading}\n{text}" for _id, heading, text, title in rows])
        if not vectors:
            break  # the provider failed: the rest stays for the next run
        with transaction.atomic():
            for (chunk_id, *_rest), vector in zip(rows, vectors, strict=True):
                Chunk.objects.filter(pk=chunk_id).update(embedding=vector, embedding_model=used)
            _version_bump()
        embedded += len(rows)
    left = Chunk.objects.exclude(embedding_model=model).count()
    logger.info("Embedded %s passages with the current model; %s left", embedded, left)
    return embedded, left
