"""Search through the staff API's test search: keyword-only without an embedding model, hybrid with
the loopback stand-in's embeddings (through litellm), Polish text, and every process's vectors
following the database."""

import pytest

from knowledge.models import Chunk
from knowledge.services import document_create, document_delete
from knowledge.vectors import matrix_for

pytestmark = pytest.mark.django_db

CORPUS = [
    (
        "Opening hours",
        "# Opening hours\n\nThe office is open Monday to Friday from 8 to 16; on Saturdays closed.",
    ),
    ("Router reset", "# Router\n\nTo reset the router hold the reset button on the back for ten seconds."),
    ("Parking", "# Parking\n\nVisitors park for free in the car park behind building B."),
    ("Godziny otwarcia", "# Godziny otwarcia\n\nBiuro jest czynne od poniedziałku do piątku w godzinach 8-16."),
    ("Połączenie z WhatsApp", "# WhatsApp\n\nAby połączyć WhatsApp, zarejestruj nadawcę w konsoli Twilio."),
]


@pytest.fixture
def corpus(db):
    return {title: document_create(title=title, text=text) for title, text in CORPUS}


def search(client, q, limit=5):
    response = client.get("/api/knowledge/search", {"q": q, "limit": limit})
    assert response.status_code == 200, response.content
    return response.json()


def test_keyword_only_without_an_embedding_model(staff_client, corpus, settings):
    settings.EMBEDDING_MODEL = ""
    body = search(staff_client, "How do I reset my router?")
    assert body["mode"] == "keyword"
    top = body["items"][0]
    assert top["title"] == "Router reset" and top["relevant"] is True and top["similarity"] is None
    assert top["document_id"] == corpus["Router reset"].pk
    assert not Chunk.objects.exclude(embedding=None).exists()  # stored without vectors


def test_an_unrelated_question_finds_nothing_relevant(staff_client, corpus, settings):
    settings.EMBEDDING_MODEL = ""
    items = search(staff_client, "What is the capital of Australia?")["items"]
    assert not any(item["relevant"] for item in items)


def test_polish_questions_find_polish_passages_across_inflections(staff_client, corpus, settings):
    settings.EMBEDDING_MODEL = ""
    top = search(staff_client, "Jak połączyć WhatsAppa?")["items"][0]
    assert top["title"] == "Połączenie z WhatsApp" and top["relevant"]
    top = search(staff_client, "W jakich godzinach jest czynne biuro?")["items"][0]
    assert top["title"] == "Godziny otwarcia" and top["relevant"]


def test_hybrid_search_embeds_through_the_llm_seam_and_fuses_both_rankings(staff_client, embeddings):
    for title, text in CORPUS:
        document_create(title=title, text=text)
    assert Chunk.objects.filter(embedding_model="fake-embedding").count() == Chunk.objects.count()
    body = search(staff_client, "when is the office open on saturday")
    assert body["mode"] == "hybrid"
    top = body["items"][0]
    assert top["title"] == "Opening hours" and top["relevant"] and top["similarity"] > 0.3
    # Passages found by both rankings score above any found by one (reciprocal-rank fusion).
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > 1 / 61
    assert embeddings.embedding_requests[-1]["input"] == ["when is the office open on saturday"]


def test_similarity_alone_can_make_a_passage_relevant(staff_client, embeddings, settings):
    document_create(title="Doc A", text="Lorem ipsum dolor.")
    document_create(title="Doc B", text="Visitors park behind building B.")
    settings.KNOWLEDGE_MIN_KEYWORD_COVERAGE = 2  # keyword coverage alone can never qualify here
    items = search(staff_client, "visitors park behind the building")["items"]
    assert items[0]["title"] == "Doc B" and items[0]["relevant"], items[0]
    assert items[0]["similarity"] >= settings.KNOWLEDGE_MIN_SIMILARITY
    assert not [item for item in items if item["title"] == "Doc A" and item["relevant"]]


def test_a_failing_embedding_server_leaves_keyword_search(staff_client, embeddings):
    embeddings.fail_embeddings(400)
    document_create(title="Router reset", text="Hold the reset button for ten seconds.")
    assert not Chunk.objects.exclude(embedding=None).exists()
    top = search(staff_client, "reset button")["items"][0]
    assert top["title"] == "Router reset" and top["similarity"] is None


def test_each_process_reloads_its_vectors_when_the_knowledge_base_changes(embeddings):
    first = document_create(title="One", text="First text.")
    loaded = matrix_for("fake-embedding")
    assert list(loaded.ids) == list(first.chunks.values_list("id", flat=True))
    assert matrix_for("fake-embedding") is loaded  # unchanged: no reload
    second = document_create(title="Two", text="Second text.")
    reloaded = matrix_for("fake-embedding")
    assert set(reloaded.ids) == set(Chunk.objects.values_list("id", flat=True))
    document_delete(document_id=second.pk)
    assert set(matrix_for("fake-embedding").ids) == set(first.chunks.values_list("id", flat=True))


def test_long_documents_are_cut_at_headings_with_overlap(staff_client):
    paragraphs = "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(10))
    document = document_create(title="Long", text=f"# Part one\n\n{paragraphs}\n\n# Part two\n\nShort end.")
    chunks = list(document.chunks.order_by("ordinal"))
    assert len(chunks) >= 3
    assert {c.heading for c in chunks} == {"Part one", "Part two"}
    assert chunks[-1].heading == "Part two" and chunks[-1].text == "Short end."
    first, second = chunks[0].text, chunks[1].text
    assert second.split("\n\n")[0] in first  # the next passage starts with the end of the one before
    assert all(len(c.text) <= 1400 for c in chunks)


def test_a_comment_in_a_code_block_is_no_heading():
    document = document_create(title="Guide", text="# Setup\n\n```bash\n# install it\npip install x\n\nrun it\n```\n")
    [chunk] = document.chunks.all()
    assert chunk.heading == "Setup" and "# install it\npip install x\n\nrun it" in chunk.text


def test_plural_questions_find_other_forms_of_the_word(staff_client, settings):
    settings.EMBEDDING_MODEL = ""
    document_create(title="Logging", text="The server writes logging output to files.")
    top = search(staff_client, "where are the logs")["items"][0]
    assert top["title"] == "Logging" and top["relevant"]
