"""Input and output shapes for R1–R7.

Input serializers list only the documented fields; anything else in the body (`status`,
`reporter_id`, …) is dropped, never applied."""

from rest_framework import serializers

from reports.models import TEXT_MAX_LENGTH, TITLE_MAX_LENGTH, Report


def _not_blank(value: str) -> str:
    if not value.strip():
        raise serializers.ValidationError("This field may not be blank.")
    return value


class ReportOutSerializer(serializers.ModelSerializer):
    reporter_id = serializers.IntegerField(read_only=True)
    resolved_by = serializers.IntegerField(source="resolved_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Report
        fields = [
            "id", "reporter_id", "title", "content", "status", "comment",
            "resolved_at", "resolved_by", "created_at", "updated_at",
        ]  # fmt: skip


class ReportListOutSerializer(ReportOutSerializer):
    reporter_username = serializers.CharField(source="reporter.username", read_only=True, allow_null=True)
    resolver_username = serializers.CharField(source="resolved_by.username", read_only=True, allow_null=True)

    class Meta(ReportOutSerializer.Meta):
        fields = [
            "id", "reporter_id", "reporter_username", "title", "content", "status", "comment",
            "resolved_at", "resolved_by", "resolver_username", "created_at", "updated_at",
        ]  # fmt: skip


class ReportCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    # Content is kept byte for byte (HTML, Unicode, surrounding whitespace).
    content = serializers.CharField(max_length=TEXT_MAX_LENGTH, trim_whitespace=False, validators=[_not_blank])


class ReportUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH, required=False)
    content = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, trim_whitespace=False, required=False, validators=[_not_blank]
    )


class ReportCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=TEXT_MAX_LENGTH, trim_whitespace=False, allow_blank=True)
    # Checked by the service so the error is the contract's single string, not a field map (R6).
    status = serializers.CharField(required=False, allow_null=True)


class ReportResolveSerializer(serializers.Serializer):
    comment = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, trim_whitespace=False, required=False, allow_blank=True, allow_null=True
    )
