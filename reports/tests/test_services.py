"""The interface the AI tools call: same rules as the API, without the view layer."""

import logging

import pytest

from core.exceptions import ApplicationError, ForbiddenError, NotFoundError
from reports import selectors, services
from reports.access import report_get_visible
from reports.enums import ReportStatus
from reports.tests.factories import ReportCommentFactory, ReportFactory

pytestmark = pytest.mark.django_db


def test_create_strips_title_keeps_content_verbatim(user):
    report = services.report_create(reporter=user, title="  Leak  ", content="  <b>wet</b> floor\n")
    assert (report.title, report.content, report.status) == ("Leak", "  <b>wet</b> floor\n", "open")


@pytest.mark.parametrize(
    ("title", "content", "message"),
    [
        ("", "c", "Title must not be blank"),
        ("t" * 256, "c", "Title must be at most 255 characters"),
        ("t", " ", "Content must not be blank"),
    ],
)
def test_create_validation(user, title, content, message):
    with pytest.raises(ApplicationError, match=message):
        services.report_create(reporter=user, title=title, content=content)


def test_update_rules(user, other_user, superuser):
    report = ReportFactory(reporter=user)
    with pytest.raises(NotFoundError, match="Report not found"):
        services.report_update(actor=user, report_id=99999, title="x")
    with pytest.raises(ForbiddenError, match="Not authorized to update this report"):
        services.report_update(actor=other_user, report_id=report.pk, title="x")
    with pytest.raises(ForbiddenError, match="Not authorized to update this report"):
        services.report_update(actor=superuser, report_id=report.pk, title="x")
    updated = services.report_update(actor=user, report_id=report.pk, content="New")
    assert updated.content == "New" and updated.title == report.title
    services.report_resolve(actor=superuser, report_id=report.pk)
    with pytest.raises(ApplicationError, match="Cannot update a report that is not in open status"):
        services.report_update(actor=user, report_id=report.pk, title="x")


def test_moderation_needs_a_superuser_even_outside_the_api(user):
    report = ReportFactory(reporter=user)
    with pytest.raises(ForbiddenError, match="Superuser access required"):
        services.report_comment(actor=user, report_id=report.pk, comment="self-approve", status="resolved")
    with pytest.raises(ForbiddenError):
        services.report_resolve(actor=user, report_id=report.pk)


def test_comment_invalid_status(superuser, user):
    report = ReportFactory(reporter=user)
    with pytest.raises(ApplicationError, match=r"Invalid status\. Must be one of: open, in_progress, resolved"):
        services.report_comment(actor=superuser, report_id=report.pk, comment="x", status="done")


def test_lifecycle_history_and_resolution_fields(superuser, user):
    report = ReportFactory(reporter=user)
    services.report_comment(actor=superuser, report_id=report.pk, comment="Seen", status=ReportStatus.IN_PROGRESS)
    resolved = services.report_resolve(actor=superuser, report_id=report.pk, comment="Fixed")
    assert resolved.resolved_by == superuser and resolved.resolved_at is not None
    reopened = services.report_comment(actor=superuser, report_id=report.pk, comment="", status=ReportStatus.OPEN)
    assert reopened.resolved_at is None and reopened.resolved_by is None
    assert reopened.comment == "Fixed"
    rows = list(selectors.report_comment_list(report=report).values_list("body", "status_from", "status_to"))
    assert rows == [("Seen", "open", "in_progress"), ("Fixed", "in_progress", "resolved"), ("", "resolved", "open")]


def test_resolver_deleted_keeps_report(superuser, user):
    report = ReportFactory(reporter=user)
    services.report_resolve(actor=superuser, report_id=report.pk, comment="Fixed")
    superuser.delete()
    report.refresh_from_db()
    assert report.resolved_by is None and report.comments.get().author is None


def test_selectors(user, other_user):
    mine = ReportFactory(reporter=user, status=ReportStatus.OPEN)
    ReportFactory(reporter=other_user)
    assert list(selectors.report_list_for_user(user=user)) == [mine]
    assert list(selectors.report_list_for_user(user=user, status="resolved")) == []
    assert selectors.report_list_all().count() == 2
    assert selectors.report_get_owned(user=user, report_id=mine.pk) == mine
    with pytest.raises(ApplicationError, match="Invalid status"):
        selectors.report_list_all(status="bogus")


def test_report_get_owned_is_owner_only_even_for_superusers(superuser, user):
    report = ReportFactory(reporter=user)
    assert selectors.report_get_owned(user=superuser, report_id=report.pk) is None
    assert selectors.report_get_owned(user=user, report_id=99999) is None


def test_access_helper(user, other_user, superuser):
    report = ReportFactory(reporter=user)
    assert report_get_visible(user=user, report_id=report.pk) == report
    assert report_get_visible(user=superuser, report_id=report.pk) == report
    with pytest.raises(ForbiddenError, match="Not authorized to view this report"):
        report_get_visible(user=other_user, report_id=report.pk)
    with pytest.raises(NotFoundError, match="Report not found"):
        report_get_visible(user=user, report_id=99999)


def test_logs_carry_ids_not_text(user, superuser, caplog):
    secret = "SECRET-ROOM-42"
    with caplog.at_level(logging.INFO, logger="reports"):
        report = services.report_create(reporter=user, title=secret, content=secret)
        services.report_update(actor=user, report_id=report.pk, title=secret + "b")
        services.report_comment(actor=superuser, report_id=report.pk, comment=secret)
        services.report_resolve(actor=superuser, report_id=report.pk, comment=secret)
    assert len(caplog.records) == 4
    assert all(r.name == "reports" for r in caplog.records)
    assert str(report.pk) in caplog.text
    assert secret not in caplog.text


def test_comment_factory_builds_history_row():
    entry = ReportCommentFactory()
    assert entry.report.comments.get() == entry
