"""Reads for reports. Lists join reporter and resolver so they cost one query at any length."""

from django.db.models import QuerySet

from accounts.models import User
from reports.models import Report, ReportComment
from reports.validators import status_clean


def _reports() -> QuerySet[Report]:
    return Report.objects.select_related("reporter", "resolved_by").order_by("-created_at", "-id")


def report_list_for_user(*, user: User, status: str | None = None) -> QuerySet[Report]:
    """The user's own reports, newest first; an unknown status is an ApplicationError."""
    reports = _reports().filter(reporter=user)
    if status := status_clean(status):
        reports = reports.filter(status=status)
    return reports


def report_list_all(*, status: str | None = None) -> QuerySet[Report]:
    reports = _reports()
    if status := status_clean(status):
        reports = reports.filter(status=status)
    return reports


def report_get_owned(*, user: User, report_id: int) -> Report | None:
    """Owner only, even for superusers: the AI tools act for the user in the chat, nobody else."""
    return _reports().filter(pk=report_id, reporter=user).first()


def report_comment_list(*, report: Report) -> QuerySet[ReportComment]:
    return report.comments.select_related("author").order_by("created_at", "id")
