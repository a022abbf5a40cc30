from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from reports.enums import ReportStatus
from reports.models import Report, ReportComment
from reports.tests.factories import ReportFactory

pytestmark = pytest.mark.django_db

INVALID_STATUS = {"detail": "Invalid status. Must be one of: open, in_progress, resolved"}
REPORT_OUT_KEYS = [
    "id", "reporter_id", "title", "content", "status", "comment",
    "resolved_at", "resolved_by", "created_at", "updated_at",
]  # fmt: skip
REPORT_LIST_OUT_KEYS = [
    "id", "reporter_id", "reporter_username", "title", "content", "status", "comment",
    "resolved_at", "resolved_by", "resolver_username", "created_at", "updated_at",
]  # fmt: skip


def create(client, **body):
    body = {"title": "Broken tap", "content": "Building 1, second floor."} | body
    return client.post("/reports", body, format="json")


# --- 401 without a token (Appendix A) ------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/reports"),
        ("post", "/reports"),
        ("get", "/reports/1"),
        ("put", "/reports/1"),
        ("get", "/reports/admin/all"),
        ("post", "/reports/1/comment"),
        ("put", "/reports/1/resolve"),
        ("get", "/api/v1/reports"),
    ],
)
def test_every_endpoint_needs_a_token(api_client, method, path):
    response = getattr(api_client, method)(path, {}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert response["WWW-Authenticate"] == "Bearer"


# --- R1 create -----------------------------------------------------------------------------


def test_create_returns_201_open_report_of_the_caller(auth_client, user):
    response = create(auth_client)
    assert response.status_code == 201
    body = response.json()
    assert list(body) == REPORT_OUT_KEYS
    assert body["status"] == "open"
    assert body["reporter_id"] == user.pk
    assert body["title"] == "Broken tap"
    assert body["comment"] is None and body["resolved_at"] is None and body["resolved_by"] is None
    assert body["created_at"].endswith("Z")


def test_create_ignores_smuggled_status_and_reporter(auth_client, user, other_user):
    response = create(auth_client, status="resolved", reporter_id=other_user.pk, comment="x", resolved_by=1)
    assert response.status_code == 201
    report = Report.objects.get(pk=response.json()["id"])
    assert (report.status, report.reporter_id, report.comment, report.resolved_by_id) == ("open", user.pk, None, None)


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert('x')</script><b>bold</b> & \"quotes\"",
        "水龍頭壞了，請盡快修理",
        "Kran cieknie 🚰💧🔥 — zażółć gęślą jaźń",
    ],
)
def test_create_stores_html_and_unicode_verbatim(auth_client, text):
    response = create(auth_client, title=text[:50], content=text)
    assert response.status_code == 201
    assert response.json()["content"] == text
    assert response.json()["title"] == text[:50]
    assert Report.objects.get().content == text


def test_create_accepts_10000_character_content(auth_client):
    content = "x" * 10_000
    response = create(auth_client, content=content)
    assert response.status_code == 201
    assert len(response.json()["content"]) == 10_000


def test_create_title_over_255_is_400_naming_title(auth_client):
    response = create(auth_client, title="t" * 256)
    assert response.status_code == 400
    assert "title" in response.json()["detail"]
    assert create(auth_client, title="t" * 255).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"content": ""}, "content"),
        ({"content": "  \n "}, "content"),
        ({"title": None}, "title"),
    ],
)
def test_create_blank_fields_are_400(auth_client, body, field):
    response = create(auth_client, **body)
    assert response.status_code == 400
    assert field in response.json()["detail"]
    assert not Report.objects.exists()


def test_create_missing_fields_are_400(auth_client):
    response = auth_client.post("/reports", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["detail"]) == {"title", "content"}


# --- R2 own list ---------------------------------------------------------------------------


def test_list_returns_own_reports_newest_first(auth_client, user, other_user):
    now = timezone.now()
    old = ReportFactory(reporter=user, created_at=now - timedelta(days=2))
    new = ReportFactory(reporter=user, created_at=now)
    middle = ReportFactory(reporter=user, created_at=now - timedelta(days=1))
    ReportFactory(reporter=other_user)
    response = auth_client.get("/reports")
    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body] == [new.pk, middle.pk, old.pk]
    assert list(body[0]) == REPORT_LIST_OUT_KEYS
    assert body[0]["reporter_username"] == user.username
    assert body[0]["resolver_username"] is None


def test_list_newest_first_for_reports_created_through_the_api(auth_client):
    ids = [create(auth_client, title=f"r{i}").json()["id"] for i in range(3)]
    assert [r["id"] for r in auth_client.get("/reports/").json()] == ids[::-1]


@pytest.mark.parametrize("param", ["status_filter", "status"])
def test_list_filters_by_status_and_alias(auth_client, user, param):
    ReportFactory(reporter=user, status=ReportStatus.OPEN)
    resolved = ReportFactory(reporter=user, status=ReportStatus.RESOLVED)
    response = auth_client.get(f"/reports?{param}=resolved")
    assert [r["id"] for r in response.json()] == [resolved.pk]


def test_list_empty_status_filter_means_all(auth_client, user):
    ReportFactory.create_batch(2, reporter=user)
    assert len(auth_client.get("/reports?status_filter=").json()) == 2


@pytest.mark.parametrize("query", ["status_filter=bogus", "status=closed"])
def test_list_unknown_status_is_400(auth_client, query):
    response = auth_client.get(f"/reports?{query}")
    assert response.status_code == 400
    assert response.json() == INVALID_STATUS


def test_list_skip_and_limit(auth_client, user):
    now = timezone.now()
    reports = [ReportFactory(reporter=user, created_at=now - timedelta(minutes=i)) for i in range(5)]
    page = auth_client.get("/reports?skip=1&limit=2").json()
    assert [r["id"] for r in page] == [reports[1].pk, reports[2].pk]
    assert auth_client.get("/reports?limit=abc").status_code == 400


def test_api_v1_alias(auth_client, user):
    assert create(auth_client).status_code == 201
    response = auth_client.post("/api/v1/reports", {"title": "t", "content": "c"}, format="json")
    assert response.status_code == 201
    report_id = response.json()["id"]
    assert len(auth_client.get("/api/v1/reports").json()) == 2
    assert auth_client.get(f"/api/v1/reports/{report_id}").json()["id"] == report_id


# --- R3 detail -----------------------------------------------------------------------------


def test_owner_gets_report_as_list_shape(auth_client, user):
    report = ReportFactory(reporter=user)
    response = auth_client.get(f"/reports/{report.pk}")
    assert response.status_code == 200
    assert list(response.json()) == REPORT_LIST_OUT_KEYS
    assert response.json()["reporter_username"] == user.username


def test_superuser_gets_any_report(admin_client_api, user):
    report = ReportFactory(reporter=user, title="Leaking tap")
    response = admin_client_api.get(f"/reports/{report.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == REPORT_LIST_OUT_KEYS
    assert (body["id"], body["title"], body["reporter_username"]) == (report.pk, "Leaking tap", user.username)


def test_other_user_gets_403(other_client, user):
    report = ReportFactory(reporter=user)
    response = other_client.get(f"/reports/{report.pk}")
    assert response.status_code == 403
    assert response.json() == {"detail": "Not authorized to view this report"}


def test_unknown_report_is_404(auth_client):
    response = auth_client.get("/reports/99999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Report not found"}


def test_non_integer_id_is_404_not_shadowing(auth_client):
    assert auth_client.get("/reports/abc").status_code == 404


# --- R4 update -----------------------------------------------------------------------------


def test_owner_partial_update_keeps_other_field(auth_client, user):
    report = ReportFactory(reporter=user, title="Old", content="Old content")
    response = auth_client.put(f"/reports/{report.pk}", {"title": "New"}, format="json")
    assert response.status_code == 200
    assert list(response.json()) == REPORT_OUT_KEYS
    assert (response.json()["title"], response.json()["content"]) == ("New", "Old content")
    response = auth_client.put(f"/reports/{report.pk}/", {"content": "New content"}, format="json")
    assert (response.json()["title"], response.json()["content"]) == ("New", "New content")


def test_update_with_empty_body_changes_nothing(auth_client, user):
    report = ReportFactory(reporter=user, title="Same")
    response = auth_client.put(f"/reports/{report.pk}", {}, format="json")
    assert response.status_code == 200
    assert response.json()["title"] == "Same"


def test_update_ignores_smuggled_fields(auth_client, user, other_user):
    report = ReportFactory(reporter=user)
    body = {"title": "New", "status": "resolved", "reporter_id": other_user.pk, "comment": "done"}
    response = auth_client.put(f"/reports/{report.pk}", body, format="json")
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["status"], response.json()["comment"]) == ("New", "open", None)
    report.refresh_from_db()
    assert (report.title, report.status, report.reporter_id, report.comment) == ("New", "open", user.pk, None)


def test_update_validation(auth_client, user):
    report = ReportFactory(reporter=user)
    too_long = auth_client.put(f"/reports/{report.pk}", {"title": "t" * 256}, format="json")
    assert too_long.status_code == 400 and "title" in too_long.json()["detail"]
    blank = auth_client.put(f"/reports/{report.pk}", {"content": " "}, format="json")
    assert blank.status_code == 400 and "content" in blank.json()["detail"]


def test_other_user_cannot_update(other_client, user):
    report = ReportFactory(reporter=user, title="Mine")
    response = other_client.put(f"/reports/{report.pk}", {"title": "Hacked"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Not authorized to update this report"}
    report.refresh_from_db()
    assert report.title == "Mine"


def test_superuser_cannot_update_someone_elses_report(admin_client_api, user):
    report = ReportFactory(reporter=user)
    response = admin_client_api.put(f"/reports/{report.pk}", {"title": "Admin edit"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Not authorized to update this report"}


@pytest.mark.parametrize("status", [ReportStatus.IN_PROGRESS, ReportStatus.RESOLVED])
def test_update_non_open_report_is_400(auth_client, user, status):
    report = ReportFactory(reporter=user, status=status)
    response = auth_client.put(f"/reports/{report.pk}", {"title": "Late edit"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot update a report that is not in open status"}


def test_update_unknown_report_is_404(auth_client):
    response = auth_client.put("/reports/99999", {"title": "x"}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Report not found"}


# --- R5 all reports (superuser) ------------------------------------------------------------


def test_all_reports_needs_superuser(auth_client):
    response = auth_client.get("/reports/admin/all")
    assert response.status_code == 403
    assert response.json() == {"detail": "Superuser access required"}


def test_superuser_sees_every_report_newest_first(admin_client_api, user, other_user):
    now = timezone.now()
    first = ReportFactory(reporter=user, created_at=now - timedelta(hours=1))
    second = ReportFactory(reporter=other_user, created_at=now)
    response = admin_client_api.get("/reports/admin/all")
    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body] == [second.pk, first.pk]
    assert list(body[0]) == REPORT_LIST_OUT_KEYS
    assert body[0]["reporter_username"] == other_user.username


@pytest.mark.parametrize("param", ["status", "status_filter"])
def test_all_reports_status_filter_and_alias(admin_client_api, user, other_user, param):
    open_report = ReportFactory(reporter=user)
    ReportFactory(reporter=other_user, status=ReportStatus.IN_PROGRESS)
    response = admin_client_api.get(f"/reports/admin/all/?{param}=open")
    assert [r["id"] for r in response.json()] == [open_report.pk]


def test_all_reports_unknown_status_is_400(admin_client_api):
    response = admin_client_api.get("/reports/admin/all?status=bogus")
    assert response.status_code == 400
    assert response.json() == INVALID_STATUS


@pytest.mark.parametrize("path", ["/reports", "/reports/admin/all"])
@pytest.mark.parametrize("query", ["status_filter=open&status=bogus", "status_filter=bogus&status=open"])
def test_a_bad_status_is_400_even_beside_a_good_one(admin_client_api, path, query):
    """Found by fuzzing: a bad alias was ignored when `status_filter` was valid."""
    response = admin_client_api.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.json() == INVALID_STATUS


def test_all_reports_skip_limit(admin_client_api):
    ReportFactory.create_batch(3)
    assert len(admin_client_api.get("/reports/admin/all?limit=2").json()) == 2
    assert len(admin_client_api.get("/reports/admin/all?skip=2").json()) == 1


# --- R6 comment ----------------------------------------------------------------------------


def test_comment_with_status_in_progress(admin_client_api, superuser, user):
    report = ReportFactory(reporter=user)
    response = admin_client_api.post(
        f"/reports/{report.pk}/comment", {"comment": "On it", "status": "in_progress"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == REPORT_OUT_KEYS
    assert (body["comment"], body["status"]) == ("On it", "in_progress")
    assert body["resolved_at"] is None and body["resolved_by"] is None
    entry = ReportComment.objects.get(report=report)
    assert (entry.author_id, entry.body, entry.status_from, entry.status_to) == (
        superuser.pk,
        "On it",
        "open",
        "in_progress",
    )


def test_comment_without_status_keeps_status(admin_client_api, user):
    report = ReportFactory(reporter=user, status=ReportStatus.IN_PROGRESS)
    response = admin_client_api.post(f"/reports/{report.pk}/comment", {"comment": "Still waiting"}, format="json")
    assert response.status_code == 200
    assert (response.json()["comment"], response.json()["status"]) == ("Still waiting", "in_progress")
    entry = ReportComment.objects.get(report=report)
    assert (entry.status_from, entry.status_to) == (None, None)


def test_comment_latest_body_is_mirrored(admin_client_api, user):
    report = ReportFactory(reporter=user)
    for text in ("first", "second"):
        admin_client_api.post(f"/reports/{report.pk}/comment", {"comment": text}, format="json")
    report.refresh_from_db()
    assert report.comment == "second"
    assert list(report.comments.values_list("body", flat=True)) == ["first", "second"]


def test_comment_invalid_status_is_400_and_changes_nothing(admin_client_api, user):
    report = ReportFactory(reporter=user)
    response = admin_client_api.post(
        f"/reports/{report.pk}/comment", {"comment": "x", "status": "closed"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == INVALID_STATUS
    report.refresh_from_db()
    assert (report.comment, report.status) == (None, "open")
    assert not ReportComment.objects.exists()


def test_comment_requires_comment_field(admin_client_api, user):
    report = ReportFactory(reporter=user)
    response = admin_client_api.post(f"/reports/{report.pk}/comment", {"status": "open"}, format="json")
    assert response.status_code == 400
    assert "comment" in response.json()["detail"]


def test_comment_unknown_report_is_404(admin_client_api):
    response = admin_client_api.post("/reports/99999/comment", {"comment": "x"}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Report not found"}


def test_comment_needs_superuser(auth_client, user):
    report = ReportFactory(reporter=user)
    response = auth_client.post(f"/reports/{report.pk}/comment", {"comment": "self-approve"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Superuser access required"}


def test_comment_with_resolved_sets_and_leaving_clears_resolution(admin_client_api, superuser, user):
    report = ReportFactory(reporter=user)
    url = f"/reports/{report.pk}/comment"
    resolved = admin_client_api.post(url, {"comment": "Fixed", "status": "resolved"}, format="json").json()
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] is not None and resolved["resolved_by"] == superuser.pk
    reopened = admin_client_api.post(url, {"comment": "Back again", "status": "open"}, format="json").json()
    assert reopened["status"] == "open"
    assert reopened["resolved_at"] is None and reopened["resolved_by"] is None
    report.refresh_from_db()
    assert report.resolved_at is None and report.resolved_by_id is None


def test_blank_comment_changes_status_but_keeps_previous_answer(admin_client_api, user):
    report = ReportFactory(reporter=user, comment="Earlier answer")
    response = admin_client_api.post(
        f"/reports/{report.pk}/comment", {"comment": "", "status": "in_progress"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["comment"], response.json()["status"]) == ("Earlier answer", "in_progress")


# --- R7 resolve ----------------------------------------------------------------------------


def test_resolve_sets_status_resolver_and_keeps_history(admin_client_api, superuser, user):
    report = ReportFactory(reporter=user)
    admin_client_api.post(f"/reports/{report.pk}/comment", {"comment": "On it", "status": "in_progress"}, format="json")
    response = admin_client_api.put(f"/reports/{report.pk}/resolve", {"comment": "Fixed the tap"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == REPORT_OUT_KEYS
    assert body["status"] == "resolved"
    assert body["resolved_at"] is not None and body["resolved_at"].endswith("Z")
    assert body["resolved_by"] == superuser.pk
    assert body["comment"] == "Fixed the tap"
    history = list(report.comments.values_list("body", "status_from", "status_to"))
    assert history == [("On it", "open", "in_progress"), ("Fixed the tap", "in_progress", "resolved")]
    detail = admin_client_api.get(f"/reports/{report.pk}").json()
    assert detail["resolver_username"] == superuser.username


@pytest.mark.parametrize("body", [None, {}, {"comment": ""}, {"comment": None}])
def test_resolve_without_comment_keeps_previous_comment(admin_client_api, user, body):
    report = ReportFactory(reporter=user, comment="Earlier answer")
    response = admin_client_api.put(f"/reports/{report.pk}/resolve", body, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["comment"]) == ("resolved", "Earlier answer")
    assert report.comments.count() == 1


def test_resolve_ignores_status_in_body(admin_client_api, user):
    report = ReportFactory(reporter=user)
    response = admin_client_api.put(f"/reports/{report.pk}/resolve", {"status": "open"}, format="json")
    assert response.json()["status"] == "resolved"


def test_resolve_twice_keeps_first_resolution_time(admin_client_api, user):
    report = ReportFactory(reporter=user)
    first = admin_client_api.put(f"/reports/{report.pk}/resolve", {}, format="json").json()
    second = admin_client_api.put(f"/reports/{report.pk}/resolve", {"comment": "Again"}, format="json").json()
    assert second["resolved_at"] == first["resolved_at"]
    assert second["comment"] == "Again"


def test_resolve_unknown_report_is_404(admin_client_api):
    response = admin_client_api.put("/reports/99999/resolve", {}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Report not found"}


def test_resolve_needs_superuser(auth_client, user):
    report = ReportFactory(reporter=user)
    response = auth_client.put(f"/reports/{report.pk}/resolve", {}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Superuser access required"}
    report.refresh_from_db()
    assert report.status == "open"


def test_owner_sees_resolution_in_own_list(auth_client, admin_client_api, superuser, user):
    report = ReportFactory(reporter=user)
    admin_client_api.put(f"/reports/{report.pk}/resolve", {"comment": "Done"}, format="json")
    [row] = auth_client.get("/reports").json()
    assert (row["status"], row["comment"], row["resolver_username"]) == ("resolved", "Done", superuser.username)


# --- Query counts --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/reports", "/reports/admin/all"])
def test_list_query_count_does_not_grow(admin_client_api, superuser, django_assert_max_num_queries, path):
    resolver = UserFactory(is_superuser=True)

    def make(n):
        for _ in range(n):
            ReportFactory(
                reporter=superuser if path == "/reports" else UserFactory(),
                status=ReportStatus.RESOLVED,
                resolved_by=resolver,
                resolved_at=timezone.now(),
            )

    make(1)
    admin_client_api.get(path)  # warm up whatever the auth layer caches
    with CaptureQueriesContext(connection) as one:
        assert len(admin_client_api.get(path).json()) == 1
    make(49)
    with django_assert_max_num_queries(len(one)):
        assert len(admin_client_api.get(path).json()) == 50
