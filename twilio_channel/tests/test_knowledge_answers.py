"""Over SMS the assistant answers a stranger from the organisation's documents: the knowledge search
is the guest's one tool, the reply drops the `[1]` markers and names its sources in one line that fits
one SMS segment."""

import pytest

from knowledge.models import Gap
from knowledge.services import document_create
from twilio_channel.tests.test_inbound import STRANGER, deliver, replies_to  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_stranger_s_question_is_answered_with_titles_only(deliver, fake_llm, fake_twilio, ai_enabled):  # noqa: F811
    document_create(title="Router guide", text="To reset the router hold the reset button for ten seconds.")
    fake_llm.tool_call("search_knowledge", {"query": "reset router"})
    fake_llm.reply("Hold the reset button for ten seconds [1].")

    deliver("How do I reset my router?", from_=STRANGER)

    assert replies_to(STRANGER) == ["Hold the reset button for ten seconds.\nSources: Router guide"]
    [sent] = fake_twilio.created(to=STRANGER)
    assert sent["body"].endswith("Sources: Router guide")
    assert [tool["function"]["name"] for tool in fake_llm.requests[0]["tools"]] == ["search_knowledge"]


def test_the_sms_sources_line_fits_one_segment(deliver, fake_llm, ai_enabled):  # noqa: F811
    for n in range(3):
        document_create(title=f"A very long document title number {n} " + "x" * 60, text="Reset the router here.")
    fake_llm.tool_call("search_knowledge", {"query": "reset router"})
    fake_llm.reply("Reset it [1] [2] [3].")

    deliver("reset router?", from_=STRANGER)

    [reply] = replies_to(STRANGER)
    text, sources = reply.split("\n")
    assert text == "Reset it."
    assert sources.startswith("Sources: A very long document title number") and len(sources) <= 153
    assert sources.endswith("...")


def test_a_stranger_s_unanswerable_question_is_a_gap(deliver, fake_llm, ai_enabled):  # noqa: F811
    fake_llm.tool_call("search_knowledge", {"query": "gift cards"})
    fake_llm.reply("I don't know. A person from the team can help.")

    deliver("Do you sell gift cards?", from_=STRANGER)

    assert replies_to(STRANGER) == ["I don't know. A person from the team can help."]
    gap = Gap.objects.get()
    assert (gap.question, gap.channel) == ("Do you sell gift cards?", "sms")
