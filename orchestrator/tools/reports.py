"""The report agent's tools over the reports services and selectors.

Every tool acts for `context.user` only; a foreign or unknown report id gets the same "not found"
text, so the model learns nothing about other users' reports.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from pydantic import Field

from core.exceptions import ApplicationError, ForbiddenError, NotFoundError
from orchestrator.tools.base import ToolArgs, ToolContext, tool
from reports.exceptions import ReportNotOpenError
from reports.models import TITLE_MAX_LENGTH, Report
from reports.selectors import report_get_owned, report_list_for_user
from reports.services import report_create, report_update

logger = logging.getLogger("orchestrator")

ReportId = Annotated[int, Field(ge=1, description="The report ID, a number such as 23")]


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _not_found(report_id: int) -> str:
    return f"Report #{report_id} not found or you don't have access to it."


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ApplicationError):
        return exc.message
    if isinstance(exc, DjangoValidationError):
        return "; ".join(exc.messages)
    return "internal error"


class GetMyReportsArgs(ToolArgs):
    status_filter: Literal["open", "in_progress", "resolved"] | None = Field(
        default=None, description="Only reports with this status (optional)"
    )


@tool(
    name="get_my_reports",
    description="List the current user's reports, newest first. Use it when the user asks to see their reports.",
    args=GetMyReportsArgs,
)
def get_my_reports(context: ToolContext, args: GetMyReportsArgs) -> str:
    reports = list(report_list_for_user(user=context.user, status=args.status_filter))
    if not reports:
        return "You have no reports."
    lines = ["Your Reports:", ""]
    for report in reports:
        lines += [
            f"ID: #{report.pk}",
            f"Title: {report.title}",
            f"Status: {report.status}",
            f"Created: {_when(report.created_at)}",
            "-" * 30,
        ]
    return "\n".join(lines)


class GetReportArgs(ToolArgs):
    report_id: ReportId


@tool(
    name="get_report",
    description="Show the details of one of the current user's reports by its ID.",
    args=GetReportArgs,
)
def get_report(context: ToolContext, args: GetReportArgs) -> str:
    report = report_get_owned(user=context.user, report_id=args.report_id)
    if report is None:
        return _not_found(args.report_id)
    return _details(report)


def _details(report: Report) -> str:
    lines = [
        "Report Details:",
        "",
        f"ID: #{report.pk}",
        f"Title: {report.title}",
        f"Content: {report.content}",
        f"Status: {report.status}",
        f"Created: {_when(report.created_at)}",
    ]
    if report.comment:
        lines += ["", f"Admin Comment: {report.comment}"]
    if report.resolved_at:
        lines.append(f"Resolved at: {_when(report.resolved_at)}")
    return "\n".join(lines)


class CreateReportArgs(ToolArgs):
    title: str = Field(
        min_length=1,
        max_length=TITLE_MAX_LENGTH,
        description="A short title (at most 100 characters), e.g. 'Low water flow at Building 1'",
    )
    content: str = Field(min_length=1, description="What is wrong, where (building/floor/room), since when, how bad")


@tool(
    name="create_report",
    description=(
        "Create a new facilities report for the current user. Call it as soon as you know what is wrong "
        "and where; do not ask for confirmation first."
    ),
    args=CreateReportArgs,
)
def create_report(context: ToolContext, args: CreateReportArgs) -> str:
    try:
        report = report_create(reporter=context.user, title=args.title, content=args.content)
    except (ApplicationError, DjangoValidationError) as exc:
        return f"Error creating report: {_error_text(exc)}"
    except Exception:
        logger.exception("create_report failed for user %s", context.user.pk)
        return "Error creating report: internal error"
    return (
        "Report created successfully!\n\n"
        f"ID: #{report.pk}\nTitle: {report.title}\nStatus: {report.status}\n\n"
        "The report has been submitted and will be reviewed by the admin."
    )


class UpdateReportArgs(ToolArgs):
    report_id: ReportId
    title: str | None = Field(default=None, max_length=TITLE_MAX_LENGTH, description="New title (optional)")
    content: str | None = Field(default=None, description="New content (optional)")


@tool(
    name="update_report",
    description="Change the title or content of one of the current user's reports. Only open reports can be changed.",
    args=UpdateReportArgs,
)
def update_report(context: ToolContext, args: UpdateReportArgs) -> str:
    title = args.title if args.title and args.title.strip() else None
    content = args.content if args.content and args.content.strip() else None
    if title is None and content is None:
        return f"Nothing to update for report #{args.report_id}: give a new title or content."
    try:
        report = report_update(actor=context.user, report_id=args.report_id, title=title, content=content)
    except (NotFoundError, ForbiddenError):
        return _not_found(args.report_id)
    except ReportNotOpenError as exc:
        return f"Cannot update report #{exc.report_id}. Only open reports can be modified. Current status: {exc.status}"
    except (ApplicationError, DjangoValidationError) as exc:
        return f"Error updating report: {_error_text(exc)}"
    except Exception:
        logger.exception("update_report failed for user %s", context.user.pk)
        return "Error updating report: internal error"
    fields = [name for name, value in (("title", title), ("content", content)) if value is not None]
    return (
        f"Report #{report.pk} updated successfully!\n"
        f"Updated fields: {', '.join(fields)}\n\n"
        f"New values:\nTitle: {report.title}\nContent: {report.content}"
    )
