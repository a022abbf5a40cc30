"""The panel's report pages: own reports for every user, report management for superusers only."""

import pytest
from django.test import Client

from reports.enums import ReportStatus
from reports.models import Report
from reports.tests.factories import ReportFactory

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_create_filter_and_see_own_reports(user, other_user):
    client = browser(user)
    response = client.post("/app/reports/", {"title": "Leaking tap", "content": "Room 12"})
    report = Report.objects.get(title="Leaking tap")
    assert (response.status_code, response["Location"]) == (302, f"/app/reports/{report.pk}/")
    assert report.reporter == user
    ReportFactory(reporter=user, title="Old lamp", status=ReportStatus.RESOLVED)
    ReportFactory(reporter=other_user, title="Someone else's")
    listing = client.get("/app/reports/").content.decode()
    assert "Leaking tap" in listing and "Old lamp" in listing and "Someone else" not in listing
    resolved = client.get("/app/reports/", {"status": "resolved"}).content.decode()
    assert "Old lamp" in resolved and "Leaking tap" not in resolved
    empty = client.get("/app/reports/", {"status": "in_progress"}).content.decode()
    assert "No reports with this status." in empty


def test_a_blank_report_is_refused_in_words(user):
    response = browser(user).post("/app/reports/", {"title": " ", "content": " "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Report.objects.exists()


def test_edit_while_open_refused_once_resolved(user):
    report = ReportFactory(reporter=user, title="Before")
    client = browser(user)
    assert client.post(f"/app/reports/{report.pk}/", {"title": "After", "content": "More detail"}).status_code == 302
    report.refresh_from_db()
    assert (report.title, report.content) == ("After", "More detail")
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RESOLVED)
    refused = client.post(f"/app/reports/{report.pk}/", {"title": "Again", "content": "x"})
    assert refused.status_code == 400
    assert "cannot be edited" in refused.content.decode()
    report.refresh_from_db()
    assert report.title == "After"


def test_a_user_never_sees_another_users_report(user, other_user, superuser):
    report = ReportFactory(reporter=other_user)
    assert browser(user).get(f"/app/reports/{report.pk}/").status_code == 404
    assert browser(user).post(f"/app/reports/{report.pk}/", {"title": "x", "content": "y"}).status_code == 404
    # The user pages show one's own reports only, a superuser's too: theirs is management.
    assert browser(superuser).get(f"/app/reports/{report.pk}/").status_code == 404


def test_non_superusers_never_see_report_management(user):
    report = ReportFactory(reporter=user)
    client = browser(user)
    for path in ("/app/admin/reports/", f"/app/admin/reports/{report.pk}/"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/app/admin/reports/{report.pk}/resolve/", {"comment": "done"}).status_code == 403
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN
    assert "Manage reports" not in client.get("/app/reports/").content.decode()
    assert Client().get("/app/admin/reports/")["Location"].startswith("/accounts/login/")


def test_superusers_comment_change_status_and_resolve(user, superuser):
    report = ReportFactory(reporter=user, title="Broken door")
    admin = browser(superuser)
    assert "Broken door" in admin.get("/app/admin/reports/").content.decode()
    admin.post(f"/app/admin/reports/{report.pk}/comment/", {"comment": "On it", "status": "in_progress"})
    report.refresh_from_db()
    assert (report.status, report.comment) == (ReportStatus.IN_PROGRESS, "On it")
    admin.post(f"/app/admin/reports/{report.pk}/resolve/", {"comment": "Fixed"})
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED and report.resolved_by == superuser
    # The reporter sees the answer and the history.
    page = browser(user).get(f"/app/reports/{report.pk}/").content.decode()
    assert "Fixed" in page and "On it" in page and "Only open reports can be edited." in page
    assert "/admin/accounts/user/" in admin.get("/app/admin/reports/").content.decode()


def test_report_text_is_escaped(user, superuser):
    report = ReportFactory(reporter=user, title="<img src=x onerror=alert(1)>", content="<script>x()</script>")
    for client, path in ((browser(user), f"/app/reports/{report.pk}/"), (browser(superuser), "/app/admin/reports/")):
        text = client.get(path).content.decode()
        assert "<img src=x" not in text and "<script>x()" not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_the_status_badge_speaks_polish(user):
    # Issue 28.5: the status "Open" shares its English word with the "Open" buttons (a verb in Polish).
    ReportFactory(reporter=user, status=ReportStatus.OPEN)
    polish = browser(user).get("/app/reports/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert 'report-status">Otwarte<' in polish
