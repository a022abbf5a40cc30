"""The staff panel's Insights tab: charts and tables from the same selectors as the API, in
English and Polish; a bad range is refused in words; staff only."""

import pytest
from django.test import Client

from twilio_channel.tests.test_insights_api import traffic  # noqa: F401  the hand-computed fixture

pytestmark = pytest.mark.django_db
HTML = {"HTTP_ACCEPT": "text/html"}


@pytest.fixture
def staff_page(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def test_the_tab_draws_the_range_and_its_tables(staff_page, traffic):  # noqa: F811
    response = staff_page.get("/", {"tab": "insights", "from": "2026-03-02", "to": "2026-03-03"}, **HTML)

    assert response.status_code == 200
    html = response.content.decode()
    # Volume: sms and web on day 1, telegram on day 2; cost: sms and web on day 1 (telegram's is on day 3).
    # Handoffs: asked, loop, staff and budget on day 1, one segment each.
    assert html.count('class="chart-bar"') == 3 + 2 + 4
    assert html.count('class="insights-row"') == 3
    assert ">40 s<" in html and ">102 s<" in html  # the sms median and p90
    assert 'id="chart-first-reply"' in html and "<polyline" in html
    assert "0.0500" in html  # B, the top conversation
    assert html.count('class="d-block small text-body-secondary handoff-reason"') == 4  # sms: 3 reasons, web: 1
    assert "Loop or flood of messages: 1" in html
    assert "<script" not in html.split('id="insights"')[1].split("</section>")[0]


def test_polish(staff_page, traffic):  # noqa: F811
    response = staff_page.get(
        "/", {"tab": "insights", "from": "2026-03-02", "to": "2026-03-03"}, HTTP_ACCEPT_LANGUAGE="pl", **HTML
    )

    html = response.content.decode()
    assert "Wiadomości dziennie" in html
    assert "Mediana czasu do pierwszej odpowiedzi" in html
    assert "Pętla lub zalew wiadomości: 1" in html


def test_a_bad_range_is_refused_in_words(staff_page):
    response = staff_page.get("/", {"tab": "insights", "from": "2026-03-09", "to": "2026-03-01"}, **HTML)

    assert response.status_code == 400
    assert "Field &#x27;from&#x27; must not be after &#x27;to&#x27;." in response.content.decode()


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/", {"tab": "insights"}, **HTML)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_user_who_is_not_staff_cannot_see_it(user):
    client = Client()
    client.force_login(user)

    response = client.get("/", {"tab": "insights"}, **HTML)

    assert response.status_code == 302
    assert response["Location"] == "/app/"
