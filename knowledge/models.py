"""The organisation's documents, cut into passages (chunks) that search returns; the questions the
assistant could not answer from them (gaps); and one counter that says when the passages changed,
so each worker process knows when to reload the embeddings it holds in memory (knowledge.vectors)."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q


class Document(models.Model):
    title = models.CharField(max_length=200)
    # The file name or URL the uploader gave: shown in citations, never fetched.
    source = models.CharField(max_length=500, blank=True)
    language = models.CharField(max_length=16, blank=True)
    text = models.TextField()
    # sha256 of the text: a re-import of an unchanged file is skipped.
    content_hash = models.CharField(max_length=64, db_index=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class Chunk(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    ordinal = models.PositiveIntegerField()
    heading = models.CharField(max_length=300, blank=True)
    text = models.TextField()
    # float32 little-endian, unit length; empty when no embedding model was configured or it failed.
    embedding = models.BinaryField(null=True, blank=True)
    embedding_model = models.CharField(max_length=200, blank=True)
    # PostgreSQL only: heading (weight A) and text (weight D) as a 'simple' tsvector, kept by a trigger
    # (migration 0002) so ranking never re-parses the text. Unused on SQLite (an FTS5 table there).
    search = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["document_id", "ordinal"]
        constraints = [models.UniqueConstraint(fields=["document", "ordinal"], name="knowledge_chunk_unique_ordinal")]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.ordinal}"


class KnowledgeVersion(models.Model):
    """One row; `version` goes up in the same transaction as any change to the chunks."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"version {self.version}"


class Gap(models.Model):
    """A question the documents did not answer, grouped with its rewordings (`words`)."""

    question = models.TextField()  # the latest wording asked
    words = models.TextField()  # the normalised words that group rewordings, space-separated
    count = models.PositiveIntegerField(default=1)
    channel = models.CharField(max_length=32, blank=True)
    first_asked_at = models.DateTimeField(auto_now_add=True)
    last_asked_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-last_asked_at", "-id"]
        indexes = [models.Index(fields=["resolved_at", "-last_asked_at"], name="knowledge_gap_open_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["words"], condition=Q(resolved_at__isnull=True), name="knowledge_gap_open_words"
            )
        ]

    def __str__(self) -> str:
        return self.question[:80]
