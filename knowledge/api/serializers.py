"""Shapes of the knowledge API: the `...In` serializer reads a JSON document (the service checks the
fields and names the one at fault), the others document the answers for the OpenAPI schema."""

from rest_framework import serializers


class DocumentInSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    source = serializers.CharField(required=False, allow_blank=True, help_text="A file name or URL; never fetched.")
    language = serializers.CharField(required=False, allow_blank=True, help_text="en, pl, …")


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=".txt, .md, .html or .pdf")
    title = serializers.CharField(required=False, help_text="Default: the file's first heading, else its name.")
    source = serializers.CharField(required=False, help_text="Default: the file's name.")
    language = serializers.CharField(required=False)


class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    source = serializers.CharField()
    language = serializers.CharField()
    chunk_count = serializers.IntegerField()
    added_by = serializers.IntegerField(source="added_by_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class DocumentDetailSerializer(DocumentSerializer):
    text = serializers.CharField()


class DocumentListSerializer(serializers.Serializer):
    items = DocumentSerializer(many=True)
    count = serializers.IntegerField()


class PassageSerializer(serializers.Serializer):
    document_id = serializers.IntegerField()
    title = serializers.CharField()
    source = serializers.CharField()
    heading = serializers.CharField()
    text = serializers.CharField()
    score = serializers.FloatField(help_text="Reciprocal-rank fusion of the keyword and semantic rankings.")
    similarity = serializers.FloatField(allow_null=True, help_text="Cosine similarity; null in keyword-only mode.")
    coverage = serializers.FloatField(help_text="Share of the question's words in the passage.")
    relevant = serializers.BooleanField(help_text="Whether the assistant would answer from this passage.")


class SearchSerializer(serializers.Serializer):
    mode = serializers.CharField(help_text="`hybrid` (keywords and embeddings) or `keyword` (no EMBEDDING_MODEL).")
    items = PassageSerializer(many=True)
    count = serializers.IntegerField()


class GapSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question = serializers.CharField(help_text="The latest wording asked.")
    count = serializers.IntegerField(help_text="How often this question, in any of its wordings, was asked.")
    channel = serializers.CharField()
    first_asked_at = serializers.DateTimeField()
    last_asked_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)


class GapListSerializer(serializers.Serializer):
    items = GapSerializer(many=True)
    count = serializers.IntegerField()
