"""The Django admin as the superuser console, driven with Django's test client."""

import pytest
from django.urls import reverse

from reports.enums import ReportStatus
from reports.models import Report
from reports.tests.factories import ReportFactory

pytestmark = pytest.mark.django_db

INLINE = {
    "comments-TOTAL_FORMS": "0",
    "comments-INITIAL_FORMS": "0",
    "comments-MIN_NUM_FORMS": "0",
    "comments-MAX_NUM_FORMS": "1000",
}


@pytest.fixture
def admin_web(client, superuser):
    client.force_login(superuser)
    return client


def change_url(report: Report) -> str:
    return reverse("admin:reports_report_change", args=[report.pk])


def test_changelist_lists_filters_and_searches(admin_web, user, other_user):
    tap = ReportFactory(reporter=user, title="Leaking tap")
    door = ReportFactory(reporter=other_user, title="Broken door", status=ReportStatus.RESOLVED)
    url = reverse("admin:reports_report_changelist")
    response = admin_web.get(url)
    assert response.status_code == 200
    assert b"Leaking tap" in response.content and b"Broken door" in response.content
    filtered = admin_web.get(url, {"status__exact": "resolved"})
    assert list(filtered.context["cl"].result_list) == [door]
    searched = admin_web.get(url, {"q": user.username})
    assert list(searched.context["cl"].result_list) == [tap]


def test_changelist_forbidden_to_regular_users(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:reports_report_changelist"))
    assert response.status_code == 302  # to the admin login page


def test_add_is_disabled(admin_web):
    assert admin_web.get(reverse("admin:reports_report_add")).status_code == 403


def test_change_form_shows_history(admin_web, superuser, user):
    report = ReportFactory(reporter=user, content="<i>wet floor</i>")
    admin_web.post(change_url(report), {"new_comment": "Plumber booked", "new_status": "", **INLINE})
    response = admin_web.get(change_url(report))
    assert response.status_code == 200
    assert b"Plumber booked" in response.content
    assert b"New comment" in response.content


def test_change_form_comment_and_status_go_through_the_service(admin_web, superuser, user):
    report = ReportFactory(reporter=user, title="Original")
    response = admin_web.post(
        change_url(report),
        {"new_comment": "Fixed", "new_status": ReportStatus.RESOLVED, "title": "Rewritten", **INLINE},
    )
    assert response.status_code == 302, response.content
    report.refresh_from_db()
    assert (report.status, report.comment, report.title) == ("resolved", "Fixed", "Original")
    assert report.resolved_by == superuser and report.resolved_at is not None
    entry = report.comments.get()
    assert (entry.author, entry.body, entry.status_from, entry.status_to) == (superuser, "Fixed", "open", "resolved")


def test_change_form_without_input_records_nothing(admin_web, user):
    report = ReportFactory(reporter=user)
    response = admin_web.post(change_url(report), {"new_comment": " ", "new_status": "", **INLINE})
    assert response.status_code == 302
    assert not report.comments.exists()


def test_actions_in_progress_resolve_and_reopen(admin_web, superuser, user):
    first, second = ReportFactory.create_batch(2, reporter=user)
    url = reverse("admin:reports_report_changelist")
    ids = [first.pk, second.pk]

    response = admin_web.post(url, {"action": "mark_in_progress", "_selected_action": ids}, follow=True)
    assert b"2 report(s) marked in progress" in response.content
    assert set(Report.objects.values_list("status", flat=True)) == {"in_progress"}

    admin_web.post(url, {"action": "mark_resolved", "_selected_action": ids})
    for report in (first, second):
        report.refresh_from_db()
        assert report.status == "resolved" and report.resolved_by == superuser and report.resolved_at
        assert list(report.comments.values_list("status_to", flat=True)) == ["in_progress", "resolved"]

    admin_web.post(url, {"action": "reopen", "_selected_action": [first.pk]})
    first.refresh_from_db()
    assert first.status == "open" and first.resolved_at is None and first.resolved_by is None
