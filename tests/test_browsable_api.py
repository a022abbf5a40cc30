"""The browsable API: HTML pages for browsers (text/html), the JSON of every other client unchanged,
a session login under the shared login throttle, forms from each endpoint's input serializer."""

import html
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import resolve
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts.tests.factories import PASSWORD
from core.api.renderers import Declared, declared
from messaging.models import Message
from messaging.tests.factories import MessageFactory
from reports.tests.factories import ReportFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}  # a browser's
THROTTLED = "Too many failed login attempts. Try again later."


def page(response) -> str:
    assert response["Content-Type"].startswith("text/html"), response["Content-Type"]
    return response.content.decode()


def form_of(text: str, method: str) -> str:
    """The HTML form of the page that sends `method` (POST forms post, PUT forms say data-method)."""
    attribute = 'method="POST"' if method == "POST" else f'data-method="{method}"'
    match = re.search(rf'<form [^>]*{attribute}[^>]*enctype="multipart/form-data"[^>]*>(.*?)</form>', text, re.S)
    return match.group(1) if match else ""


def field_names(form: str) -> set[str]:
    return set(re.findall(r'<(?:input|textarea|select)[^>]*\bname="([^"]+)"', form)) - {"csrfmiddlewaretoken"}


def session_client(user, *, enforce_csrf: bool = True) -> Client:
    """A browser signed in through the session login page."""
    client = Client(enforce_csrf_checks=enforce_csrf)
    login_page = client.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page(login_page)).group(1)
    response = client.post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302, response.content
    return client


def csrf_token(client: Client, path: str) -> str:
    """The token a browsable page hands its forms (and its scripts, for PUT and DELETE)."""
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page(client.get(path, **HTML))).group(1)


# --- Getting in -------------------------------------------------------------------------------


def test_an_anonymous_visitor_gets_the_401_page_with_a_login_link():
    response = Client().get("/messages", **HTML)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    text = page(response)
    assert 'href="/accounts/login/?next=/messages"' in text
    assert html.escape('"detail": "Not authenticated"', quote=True) in text
    assert not form_of(text, "POST")  # nothing to send before logging in


def test_the_session_login_page_logs_in_and_returns_to_the_page(user):
    client = Client(enforce_csrf_checks=True)
    text = page(client.get("/accounts/login/?next=/messages"))
    assert '<label for="id_username">' in text and '<label for="id_password">' in text
    assert 'value="/messages"' in text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)
    body = {"username": user.username, "password": PASSWORD, "next": "/messages", "csrfmiddlewaretoken": token}
    response = client.post("/accounts/login/", body)
    assert (response.status_code, response["Location"]) == (302, "/messages")
    text = page(client.get("/messages", **HTML))
    assert f"Signed in as {user.username}" in text
    assert 'action="/accounts/logout/"' in text


def test_a_wrong_password_on_the_login_page_is_refused(user):
    response = Client().post("/accounts/login/", {"username": user.username, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in page(response)
    assert "_auth_user_id" not in Client().session


def test_logging_out_ends_the_browser_session(user):
    client = session_client(user)
    token = csrf_token(client, "/messages")
    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": token, "next": "/messages"})
    assert (response.status_code, response["Location"]) == (302, "/messages")
    assert client.get("/messages", **HTML).status_code == 401


def test_the_login_page_shares_the_login_throttle_with_the_api(user):
    api = APIClient()
    for _ in range(3):
        assert api.post("/auth/login", {"username": user.username, "password": "x"}, format="json").status_code == 401
    for _ in range(2):
        assert Client().post("/accounts/login/", {"username": user.username, "password": "x"}).status_code == 200
    # Five failures in all: the right password is now refused on both doors, with the time to wait.
    refused = Client().post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= settings.LOGIN_FAILURE_WINDOW_S
    assert THROTTLED in page(refused)
    response = api.post("/auth/login", {"username": user.username, "password": PASSWORD}, format="json")
    assert (response.status_code, response.json()) == (429, {"detail": THROTTLED})


def test_failures_on_the_login_page_lock_the_api_login(user):
    for _ in range(settings.LOGIN_FAILURES_PER_USERNAME):
        Client().post("/accounts/login/", {"username": user.username, "password": "x"})
    response = APIClient().post("/auth/login", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 429


def test_the_entry_page_links_the_main_endpoints(user, superuser):
    anonymous = page(Client().get("/api/v1/", **HTML))
    assert 'href="/accounts/login/?next=/api/v1/"' in anonymous
    links = Client().get("/api/v1/", HTTP_ACCEPT="application/json").json()
    assert set(links) == {"messages", "conversations", "reports", "me", "sessions", "docs"}
    assert links["messages"] == "http://testserver/api/v1/messages"

    text = page(session_client(user).get("/api/v1/", **HTML))
    assert "http://testserver/api/v1/auth/conversations" in text
    assert "/api/v1/auth/users" not in text

    text = page(session_client(superuser).get("/api/v1", **HTML))
    for path in ("/api/v1/auth/users", "/api/v1/auth/roles", "/api/v1/reports/admin/all", "/api/v1/auth/me"):
        assert f"http://testserver{path}" in text, path


def test_the_pages_link_back_to_the_entry_page(user):
    text = page(session_client(user).get("/api/v1/messages", **HTML))
    assert 'class="navbar-brand" href="/api/v1"' in text
    assert '<li><a href="/api/v1/">AI Messaging API</a></li>' in text  # the breadcrumb


def test_the_admin_header_links_to_the_browsable_api(superuser):
    client = Client()
    client.force_login(superuser)
    text = client.get("/admin/").content.decode()
    assert '<a href="/api/v1">Browsable API</a>' in text
    assert 'id="logout-form"' in text  # Django's own links stay


def test_the_root_keeps_its_meaning():
    assert Client().get("/", **HTML)["Location"] == "/accounts/login/?next=/"  # then each user's panel
    assert Client().get("/").json() == {"message": "AI Messaging", "docs": "/docs"}


# --- Forms ------------------------------------------------------------------------------------


def test_the_message_list_page_has_the_send_form_and_its_window(user, other_user):
    client = session_client(user)
    for i in range(3):
        MessageFactory(sender_id=other_user.pk, recipient_id=user.pk, content=f"m{i}")
    text = page(client.get("/messages?limit=2", **HTML))
    assert field_names(form_of(text, "POST")) == {"recipient_id", "content", "conversation_id"}
    assert "Rows 1–2" in text
    assert 'href="/messages?limit=2&amp;skip=2" rel="next"' in text
    assert 'rel="prev"' not in text
    text = page(client.get("/messages?limit=2&skip=2", **HTML))
    assert "Rows 3–3" in text
    assert 'href="/messages?limit=2&amp;skip=0" rel="prev"' in text
    assert 'rel="next"' not in text


def test_a_message_posted_with_the_csrf_token_is_sent(user, other_user):
    client = session_client(user)
    token = csrf_token(client, "/messages")
    body = {"recipient_id": other_user.pk, "content": "from the browser", "csrfmiddlewaretoken": token}
    response = client.post("/messages", body, **HTML)
    assert response.status_code == 201
    assert "HTTP 201 Created" in page(response)
    message = Message.objects.get(content="from the browser")
    assert (message.sender_id, message.recipient_id, message.channel) == (user.pk, other_user.pk, "web")
    # The page shows the form again, empty, not the message as inputs.
    assert field_names(form_of(page(response), "POST")) == {"recipient_id", "content", "conversation_id"}


def test_a_session_post_without_the_csrf_token_is_refused(user, other_user):
    client = session_client(user)
    response = client.post("/messages", {"recipient_id": other_user.pk, "content": "forged"}, **HTML)
    assert response.status_code == 403
    assert "CSRF Failed" in page(response)
    assert not Message.objects.filter(content="forged").exists()
    response = client.post(
        "/messages", {"recipient_id": other_user.pk, "content": "forged"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")


def test_a_refused_form_shows_the_errors_per_field(user):
    client = session_client(user)
    token = csrf_token(client, "/messages")
    response = client.post("/messages", {"recipient_id": "x", "content": "", "csrfmiddlewaretoken": token}, **HTML)
    assert response.status_code == 400
    form = form_of(page(response), "POST")
    assert form.count("has-error") == 2
    assert "A valid integer is required." in form
    assert "This field may not be blank." in form


def test_a_put_form_is_filled_with_the_object_and_saves_like_the_json_call(user):
    client = session_client(user)
    form = form_of(page(client.get("/auth/me", **HTML)), "PUT")
    assert field_names(form) == {"full_name", "bio", "phone_number"}
    assert f'value="{html.escape(user.full_name)}"' in form
    token = csrf_token(client, "/auth/me")
    response = client.put(
        "/auth/me", "full_name=New+Name&bio=&phone_number=", content_type="application/x-www-form-urlencoded",
        HTTP_X_CSRFTOKEN=token, **HTML,
    )  # fmt: skip
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.full_name == "New Name"
    assert 'value="New Name"' in form_of(page(response), "PUT")


def test_the_password_form_uses_password_boxes_and_keeps_the_browser_signed_in(user):
    client = session_client(user)
    text = page(client.get("/auth/me/password", **HTML))  # PUT only: a 405 page, with the form
    assert re.search(r'name="current_password"[^>]*type="password"', text)
    assert re.search(r'name="new_password"[^>]*type="password"', text)
    token = csrf_token(client, "/auth/me/password")
    refused = client.put(
        "/auth/me/password", f"current_password={PASSWORD}&new_password=a1", HTTP_X_CSRFTOKEN=token,
        content_type="application/x-www-form-urlencoded", **HTML,
    )  # fmt: skip
    assert refused.status_code == 400
    assert "has-error" in form_of(page(refused), "PUT")
    assert f'value="{PASSWORD}"' not in page(refused) and 'value="a1"' not in page(refused)
    body = f"current_password={PASSWORD}&new_password=another-secret-42"
    response = client.put(
        "/auth/me/password", body, content_type="application/x-www-form-urlencoded", HTTP_X_CSRFTOKEN=token, **HTML
    )
    assert response.status_code == 200
    assert "another-secret-42" not in page(response)
    user.refresh_from_db()
    assert user.check_password("another-secret-42")
    assert client.get("/auth/me", **HTML).status_code == 200


def test_report_forms(user, superuser):
    report = ReportFactory(reporter=user)
    text = page(session_client(user).get("/reports", **HTML))
    assert field_names(form_of(text, "POST")) == {"title", "content"}
    text = page(session_client(user).get(f"/reports/{report.pk}", **HTML))
    assert field_names(form_of(text, "PUT")) == {"title", "content"}
    text = page(session_client(superuser).get(f"/reports/{report.pk}/comment", **HTML))
    assert field_names(form_of(text, "POST")) == {"comment", "status"}
    text = page(session_client(superuser).get(f"/reports/{report.pk}/resolve", **HTML))
    assert field_names(form_of(text, "PUT")) == {"comment"}


def test_a_regular_user_sees_only_the_403_body_on_a_superuser_endpoint(user, superuser):
    client = session_client(user)
    for path in ("/auth/users", "/auth/roles", "/reports/admin/all"):
        response = client.get(path, **HTML)
        assert response.status_code == 403, path
        text = page(response)
        assert html.escape('"detail": "Superuser access required"', quote=True) in text
        assert not form_of(text, "POST") and "Raw data" not in text, path
        assert 'data-method="OPTIONS"' not in text and "<textarea" not in text, path
    text = page(session_client(superuser).get("/auth/users", **HTML))
    assert field_names(form_of(text, "POST")) == {"username", "email", "password", "full_name", "phone_number"}


def test_every_operation_with_a_body_gets_its_form(superuser):
    """The forms come from the schema's declarations: each body the schema documents has one (the
    superuser's schema lists every operation)."""
    schema = client_for(superuser).get("/api/schema/", {"format": "json"}).json()
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                view_class = resolve(re.sub(r"\{[^}]+\}", "1", path)).func.cls
                assert declared(view_class, method.upper()).request is not None, (method, path)
                checked += 1
    assert checked >= 15
    assert not {"/api/v1", "/api/v1/"} & set(schema["paths"])  # the entry page is not an operation


def component_name(serializer_class: type) -> str:
    annotation = getattr(serializer_class, "_spectacular_annotation", {})
    return annotation.get("component_name") or serializer_class.__name__.removesuffix("Serializer")


def test_each_documented_body_is_the_serializer_its_view_reads(superuser):
    """One declaration per view (`input_serializer`): the schema documents the serializer that the
    form is built from, so an `@extend_schema(request=...)` beside it cannot drift from it."""
    schema = client_for(superuser).get("/api/schema/", {"format": "json"}).json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                view_class = resolve(re.sub(r"\{[^}]+\}", "1", path)).func.cls
                documented = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                expected = component_name(declared(view_class, method.upper()).request)
                assert documented == f"#/components/schemas/{expected}Request", (method, path)


def test_the_forms_come_from_the_view_not_from_the_schema_decorator():
    class Body(serializers.Serializer):
        text = serializers.CharField()

    class View(APIView):  # no @extend_schema at all
        input_serializer = Body
        windowed = True

        def get(self, request):
            return None

        def post(self, request):
            return None

    assert declared(View, "POST") == Declared(request=Body, windowed=False)
    assert declared(View, "GET") == Declared(request=None, windowed=True)
    assert declared(View, "PUT") == Declared(request=None, windowed=False)  # no PUT handler: no form


# --- Safety -----------------------------------------------------------------------------------


def test_a_script_in_a_message_is_shown_as_text(user, other_user):
    attack = "<script>alert(1)</script>"
    message = MessageFactory(sender_id=user.pk, recipient_id=other_user.pk, content=attack)
    client = session_client(user)
    for path in ("/messages", f"/messages/{message.pk}"):
        text = page(client.get(path, **HTML))
        assert attack not in text, path
        assert html.escape(attack) in text, path
    form = form_of(page(client.get(f"/messages/{message.pk}", **HTML)), "PUT")
    assert f'value="{html.escape(attack)}"' in form


def test_the_pages_use_only_local_assets(user):
    text = page(session_client(user).get("/messages", **HTML))
    assets = re.findall(r"""<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""", text)
    assert assets
    for asset in assets:
        assert asset.startswith(settings.STATIC_URL), asset
        assert finders.find(asset.removeprefix(settings.STATIC_URL)), asset
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", text)


# --- JSON clients -----------------------------------------------------------------------------

JSON_ACCEPTS = [None, "*/*", "application/json", "application/json, text/plain, */*"]


def _exchange(client, method: str, path: str, accept: str | None, body=None):
    extra = {} if accept is None else {"HTTP_ACCEPT": accept}
    if body is not None:
        extra.update(data=body, format="json")
    return getattr(client, method)(path, **extra)


@pytest.mark.parametrize("accept", JSON_ACCEPTS)
def test_json_clients_get_what_they_got_before_the_browsable_api(monkeypatch, accept, user, other_user, superuser):
    """Each endpoint family, answered and refused, against the same request with JSONRenderer alone:
    the same status, bytes and headers; only `Vary: Accept` is added (the page depends on it now)."""
    message = MessageFactory(sender_id=user.pk, recipient_id=other_user.pk, content="hi <b>")
    report = ReportFactory(reporter=user)
    clients = {"anonymous": APIClient(), "user": client_for(user), "superuser": client_for(superuser)}
    clients["bad token"] = APIClient(HTTP_AUTHORIZATION="Bearer nonsense")
    exchanges = [
        ("anonymous", "get", "/messages", None),
        ("bad token", "get", "/auth/me", None),
        ("user", "get", "/messages?limit=50", None),
        ("user", "get", "/api/v1/messages", None),
        ("user", "get", "/messages?skip=-1", None),
        ("user", "get", f"/messages/{message.pk}", None),
        ("user", "get", "/messages/987654", None),
        ("user", "get", "/messages/unread/count", None),
        ("user", "get", "/auth/conversations", None),
        ("user", "get", "/auth/me", None),
        ("user", "get", "/auth/sessions", None),
        ("user", "get", "/auth/users", None),
        ("superuser", "get", "/auth/users", None),
        ("superuser", "get", "/auth/roles", None),
        ("user", "get", "/reports", None),
        ("user", "get", f"/reports/{report.pk}", None),
        ("user", "get", "/reports?status=bogus", None),
        ("superuser", "get", "/reports/admin/all", None),
        ("user", "get", "/auth/me/password", None),
        ("user", "post", "/messages", {"recipient_id": 987654, "content": "x"}),
        ("user", "post", "/messages", {"content": ""}),
        ("anonymous", "post", "/auth/login", {"username": user.username, "password": "wrong"}),
        ("anonymous", "post", "/auth/login", {"username": user.username}),
        ("user", "put", "/auth/me", {"phone_number": "nonsense"}),
        ("user", "post", f"/reports/{report.pk}/comment", {"comment": "x"}),
    ]
    for who, method, path, body in exchanges:
        after = _exchange(clients[who], method, path, accept, body)
        with monkeypatch.context() as patch:
            patch.setattr(APIView, "renderer_classes", [JSONRenderer])
            before = _exchange(clients[who], method, path, accept, body)
        label = (who, method, path)
        assert after["Content-Type"] == "application/json", label
        assert (after.status_code, after.content) == (before.status_code, before.content), label
        vary_before = {v for v in before.get("Vary", "").split(", ") if v}
        assert "Accept" not in vary_before and set(after["Vary"].split(", ")) == vary_before | {"Accept"}, label
        headers = {k: v for k, v in after.items() if k != "Vary"}
        assert headers == {k: v for k, v in before.items() if k != "Vary"}, label
    assert _exchange(clients["anonymous"], "get", "/messages", accept)["WWW-Authenticate"] == "Bearer"


def test_a_json_client_sending_a_session_cookie_still_gets_json(user):
    client = session_client(user, enforce_csrf=False)
    response = client.get("/messages", HTTP_ACCEPT="application/json")
    assert (response.status_code, response["Content-Type"], response.json()) == (200, "application/json", [])
    response = client.get("/messages")
    assert response["Content-Type"] == "application/json"


def test_the_intro_renders_its_markdown():
    # Issue 28.5: without the markdown package DRF showed the backticks and the docstring's line breaks.
    text = page(Client().get("/api/v1/", **HTML))
    assert "<code>Authorization: Bearer &lt;access_token&gt;</code>" in text
    assert "<code>POST /auth/login</code>" in text
    assert "`" not in text.split('class="description"', 1)[-1].split("</div>", 1)[0]
    assert "a<br />form" not in text  # one paragraph, wrapped by the browser


def test_a_docstring_cannot_inject_html():
    from core.api.descriptions import markdown_lite

    assert markdown_lite("<b>x</b> `<i>` **y**\n\nz") == (
        "<p>&lt;b&gt;x&lt;/b&gt; <code>&lt;i&gt;</code> <strong>y</strong></p>\n<p>z</p>"
    )
