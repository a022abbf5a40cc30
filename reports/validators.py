"""Input rules shared by services and selectors, so AI tools get the same errors as the API."""

from core.exceptions import ApplicationError
from reports.enums import ReportStatus
from reports.models import TEXT_MAX_LENGTH, TITLE_MAX_LENGTH

INVALID_STATUS = "Invalid status. Must be one of: " + ", ".join(ReportStatus.values)


def status_clean(status: str | None) -> str | None:
    if status is None:
        return None
    if status not in ReportStatus.values:
        raise ApplicationError(INVALID_STATUS)
    return status


def title_clean(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ApplicationError("Title must not be blank")
    if len(title) > TITLE_MAX_LENGTH:
        raise ApplicationError(f"Title must be at most {TITLE_MAX_LENGTH} characters")
    return title


def content_clean(content: str) -> str:
    # Stored verbatim (HTML included): escaping is the renderer's job.
    if not content or not content.strip():
        raise ApplicationError("Content must not be blank")
    if len(content) > TEXT_MAX_LENGTH:
        raise ApplicationError(f"Content must be at most {TEXT_MAX_LENGTH} characters")
    return content


def comment_clean(comment: str | None) -> str:
    comment = comment or ""
    if len(comment) > TEXT_MAX_LENGTH:
        raise ApplicationError(f"Comment must be at most {TEXT_MAX_LENGTH} characters")
    return comment
