"""A JSON client gets a JSON 404 for a path that no URL matches, with DEBUG on as with it off."""

import pytest

JSON = "application/json"


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.mark.parametrize(
    ("path", "accept", "body"),
    [
        ("/no-such-page", JSON, {"detail": "Not Found"}),
        ("/messages/history/nope", JSON, {"detail": "Not Found"}),
        ("/api/v1/auth/nope", "", {"detail": "Not Found"}),  # API paths answer JSON whatever the Accept
        ("/auth/nope", "*/*", {"detail": "Not Found"}),
        ("/api/no-such-endpoint", JSON, {"error": "Not Found"}),
    ],
)
def test_unrouted_paths_answer_json(client, debug, path, accept, body):
    response = client.get(path, HTTP_ACCEPT=accept)
    assert response.status_code == 404
    assert response["Content-Type"] == JSON
    assert response.json() == body


@pytest.mark.parametrize("accept", ["", "text/html,application/xhtml+xml,application/json;q=0.9"])
def test_a_page_outside_the_api_stays_html_for_browsers(client, debug, accept):
    response = client.get("/no-such-page", HTTP_ACCEPT=accept)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_json_404s_of_the_api_itself_are_left_alone(auth_client, debug):
    response = auth_client.get("/messages/987654321", HTTP_ACCEPT=JSON)
    assert response.status_code == 404
    assert response.json() == {"detail": "Message not found"}
