"""What users read speaks of the product, not of its history: no seed names, no contract row ids
or section marks in the API docs, the README, `.env.example` or API responses."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# "seed-1", "seed 2", "Seed names"...; "§4.3"; "CONTRACT"; row ids such as "A24", "M11/M12", "M1–M14".
HISTORY = re.compile(r"(?i:seed)|§|\bCONTRACT\b|\b[AMRTWX]\d{1,2}\b")


def history_words(text: str) -> list[str]:
    return [text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ") for m in HISTORY.finditer(text)]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("as in seed 1", True),
        ("the seed-2 endpoints", True),
        ("M11/M12: the blocking AI chat", True),
        ("(CONTRACT A1 DECISION)", True),
        ("see §4.3.1", True),
        ("stores E.164 numbers", False),
        ("1 MB and 50 are kept", False),
        ("SHA256 and HS256", False),
    ],
)
def test_the_pattern(text, found):
    assert bool(history_words(text)) is found


@pytest.mark.django_db
def test_the_api_schema_speaks_of_the_product(client, superuser):
    client.force_login(superuser)  # the whole schema: anonymous callers see no staff route
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert history_words(json.dumps(response.json(), ensure_ascii=False)) == []


@pytest.mark.parametrize("name", [".env.example", "README.md"])
def test_the_configuration_reference_and_readme_speak_of_the_product(name):
    assert history_words((ROOT / name).read_text(encoding="utf-8")) == []


@pytest.mark.django_db
def test_the_root_greeting_speaks_of_the_product(client):
    response = client.get("/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert history_words(response.content.decode()) == []
