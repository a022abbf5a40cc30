"""The assistant answers from the documents over the web chat: the general agent calls
`search_knowledge` (through the loopback LLM and litellm), the reply cites its sources, and a
question the documents do not answer gets "I don't know", no sources, and a gap for staff."""

import pytest

from knowledge.models import Gap
from knowledge.services import document_create
from orchestrator.services.turns import ai_reply_process
from orchestrator.tests.helpers import send_to_bot

pytestmark = pytest.mark.django_db


@pytest.fixture
def documents(db):
    return [
        document_create(
            title="Router guide", text="# Reset\n\nTo reset the router hold the reset button for ten seconds."
        ),
        document_create(title="Opening hours", text="The office is open Monday to Friday from 8 to 16."),
    ]


def tool_results(request_body: dict) -> list[str]:
    return [m["content"] for m in request_body["messages"] if m["role"] == "tool"]


def test_the_general_agent_searches_and_the_web_reply_cites_its_sources(user, fake_llm, documents):
    fake_llm.tool_call("search_knowledge", {"query": "reset the router"})
    fake_llm.reply("Hold the reset button for ten seconds [1].")

    reply = ai_reply_process(message_id=send_to_bot(user, "How do I reset the router?").pk)

    assert reply.content == "Hold the reset button for ten seconds [1].\n\nSources:\n[1] Router guide"
    assert reply.agent == "general"
    offered = [tool["function"]["name"] for tool in fake_llm.requests[0]["tools"]]
    assert offered == ["search_knowledge", "handoff_to_human"]
    [result] = tool_results(fake_llm.requests[1])
    assert result.startswith("DOCUMENTS FOUND.")
    assert "[1] Router guide (Reset)\nTo reset the router hold the reset button for ten seconds." in result
    assert "Opening hours" not in result
    assert not Gap.objects.exists()


def test_the_model_s_own_sources_list_is_replaced_and_uncited_markers_listed(user, fake_llm, documents):
    fake_llm.tool_call("search_knowledge", {"query": "office opening hours"})
    fake_llm.reply("We open at 8.\nSources: whatever")

    reply = ai_reply_process(message_id=send_to_bot(user, "When do you open?").pk)

    assert reply.content == "We open at 8.\n\nSources:\n[1] Opening hours"


def test_a_polish_answer_gets_a_polish_label(user, fake_llm):
    document_create(title="Połączenie z WhatsApp", text="Aby połączyć WhatsApp, zarejestruj nadawcę w konsoli Twilio.")
    fake_llm.tool_call("search_knowledge", {"query": "jak połączyć whatsapp"})
    fake_llm.reply("Zarejestruj nadawcę w konsoli Twilio [1].")

    reply = ai_reply_process(message_id=send_to_bot(user, "Jak połączyć WhatsApp?").pk)

    assert reply.content == "Zarejestruj nadawcę w konsoli Twilio [1].\n\nŹródła:\n[1] Połączenie z WhatsApp"


def test_nothing_relevant_means_i_do_not_know_no_sources_and_a_gap(user, fake_llm, documents, staff_client):
    fake_llm.tool_call("search_knowledge", {"query": "capital of Australia"})
    fake_llm.reply("I don't know that. Shall I pass you to a person?")

    reply = ai_reply_process(message_id=send_to_bot(user, "What is the capital of Australia?").pk)

    assert reply.content == "I don't know that. Shall I pass you to a person?"  # no sources list
    [result] = tool_results(fake_llm.requests[1])
    assert result.startswith("NO DOCUMENTS FOUND.") and "do not know" in result and "person" in result
    gap = Gap.objects.get()
    assert (gap.question, gap.count, gap.channel) == ("What is the capital of Australia?", 1, "web")

    # A rewording joins the same gap; staff see it with its count and can mark it resolved.
    fake_llm.tool_call("search_knowledge", {"query": "Australia capital"})
    fake_llm.reply("I don't know.")
    ai_reply_process(message_id=send_to_bot(user, "capital of Australia?").pk)
    [listed] = staff_client.get("/api/knowledge/gaps").json()["items"]
    assert (listed["id"], listed["count"], listed["question"]) == (gap.pk, 2, "capital of Australia?")
    assert listed["last_asked_at"] and listed["resolved_at"] is None

    response = staff_client.post(f"/api/knowledge/gaps/{gap.pk}/resolve")
    assert response.status_code == 200 and response.json()["resolved_at"]
    assert staff_client.get("/api/knowledge/gaps").json()["items"] == []
    assert staff_client.post(f"/api/knowledge/gaps/{gap.pk}/resolve").status_code == 404
    assert len(staff_client.get("/api/knowledge/gaps?resolved=true").json()["items"]) == 1


def test_different_questions_are_different_gaps(db):
    from knowledge.gaps import gap_record

    gap_record(question="What is the capital of Australia?")
    gap_record(question="Do you sell gift cards?")
    gap_record(question="do you sell gift cards")
    assert sorted(Gap.objects.values_list("count", flat=True)) == [1, 2]
    assert gap_record(question="how do I?") is None  # no content words: nothing to group
