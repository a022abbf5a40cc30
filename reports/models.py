from django.conf import settings
from django.db import models
from django.utils import timezone

from core.models import TimeStamped
from reports.enums import ReportStatus

TITLE_MAX_LENGTH = 255
# A generous cap keeps a single request from storing megabytes.
TEXT_MAX_LENGTH = 50_000


class Report(TimeStamped):
    """A facilities issue raised by a user (or by the AI on their behalf) and handled by superusers."""

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    content = models.TextField()
    status = models.CharField(max_length=20, choices=ReportStatus.choices, default=ReportStatus.OPEN, db_index=True)
    # The latest superuser comment, mirrored from ReportComment so the public API's shape stays.
    comment = models.TextField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["reporter", "-created_at"], name="reports_reporter_created_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class ReportComment(models.Model):
    """One superuser comment or status change; the history that `Report.comment` alone loses."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(blank=True)
    status_from = models.CharField(max_length=20, choices=ReportStatus.choices, null=True, blank=True)
    status_to = models.CharField(max_length=20, choices=ReportStatus.choices, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment #{self.pk} on report #{self.report_id}"
