"""Writes for reports. Each call is one transaction; the access checks live in
`reports.access`, so the API, the admin and the AI tools enforce the same rules."""

import logging

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from reports.access import report_for_moderation, report_for_update
from reports.enums import ReportStatus
from reports.models import Report, ReportComment
from reports.validators import comment_clean, content_clean, status_clean, title_clean

# Ids and statuses only: titles, contents and comments are user text and stay out of the logs.
logger = logging.getLogger("reports")


@transaction.atomic
def report_create(*, reporter: User, title: str, content: str) -> Report:
    report = Report(reporter=reporter, title=title_clean(title), content=content_clean(content))
    report.full_clean()
    report.save()
    logger.info("Report %s created by user %s", report.pk, reporter.pk)
    return report


@transaction.atomic
def report_update(*, actor: User, report_id: int, title: str | None = None, content: str | None = None) -> Report:
    """Owner edit while open; a field left as None keeps its value (`PUT {}` is a no-op)."""
    report = report_for_update(user=actor, report_id=report_id)
    fields = []
    if title is not None:
        report.title = title_clean(title)
        fields.append("title")
    if content is not None:
        report.content = content_clean(content)
        fields.append("content")
    if fields:
        report.full_clean()
        report.save(update_fields=[*fields, "updated_at"])
        logger.info("Report %s updated by user %s (%s)", report.pk, actor.pk, ", ".join(fields))
    return report


def _moderate(*, report: Report, actor: User, body: str, status_to: str | None) -> Report:
    status_from = report.status
    new_status = status_to or status_from
    fields = ["updated_at"]
    # A blank comment (e.g. a status-only change) must not wipe the previous answer the user sees.
    if body.strip():
        report.comment = body
        fields.append("comment")
    if new_status != status_from:
        report.status = new_status
        fields.append("status")
    if new_status == ReportStatus.RESOLVED and (status_from != ReportStatus.RESOLVED or report.resolved_at is None):
        report.resolved_at, report.resolved_by = timezone.now(), actor
        fields += ["resolved_at", "resolved_by"]
    elif new_status != ReportStatus.RESOLVED and (report.resolved_at or report.resolved_by_id):
        # A reopened report is not resolved: its resolution goes.
        report.resolved_at, report.resolved_by = None, None
        fields += ["resolved_at", "resolved_by"]
    report.full_clean()
    report.save(update_fields=fields)

    changed = new_status != status_from
    entry = ReportComment(
        report=report,
        author=actor,
        body=body,
        status_from=status_from if changed else None,
        status_to=new_status if changed else None,
    )
    entry.full_clean()
    entry.save()
    logger.info(
        "Report %s moderated by user %s: comment=%s status %s -> %s",
        report.pk,
        actor.pk,
        bool(body.strip()),
        status_from,
        new_status,
    )
    return report


@transaction.atomic
def report_comment(*, actor: User, report_id: int, comment: str, status: str | None = None) -> Report:
    """Superuser comment (R6), optionally moving the status anywhere in the lifecycle."""
    report = report_for_moderation(user=actor, report_id=report_id)
    return _moderate(report=report, actor=actor, body=comment_clean(comment), status_to=status_clean(status))


@transaction.atomic
def report_resolve(*, actor: User, report_id: int, comment: str | None = None) -> Report:
    """Superuser resolve (R7). Resolving an already resolved report keeps the first resolution time."""
    report = report_for_moderation(user=actor, report_id=report_id)
    return _moderate(report=report, actor=actor, body=comment_clean(comment), status_to=ReportStatus.RESOLVED)
