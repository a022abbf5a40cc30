"""`search_knowledge`: the model looks up the organisation's documents (the knowledge app).

It reads only those documents, never anyone's data, so guests (an unknown SMS number) may call it
too. Each document found gets a marker number for the turn (`ToolContext.sources`), which the reply
cites as `[1]` and lists under "Sources:" (orchestrator.citations). When no passage is relevant the
question is recorded as a gap for staff and the model is told to say it does not know."""

from __future__ import annotations

from pydantic import Field

from knowledge.gaps import gap_record
from knowledge.search import knowledge_search
from orchestrator.tools.base import ToolArgs, ToolContext, tool

PASSAGES = 3
PASSAGE_CHARS = 1000
FOUND = "DOCUMENTS FOUND."
NOT_FOUND = "NO DOCUMENTS FOUND."
FOUND_RULES = (
    "Answer only from these passages of the organisation's documents, briefly. After each fact put the "
    "marker of the passage it comes from, like [1]. Do not add a sources list: it is added for you. "
    "If the passages do not answer the question, say you do not know and offer to pass the user to a person."
)
NOT_FOUND_TEXT = (
    "The organisation's documents do not answer this question. Tell the user plainly that you do not know, "
    "without guessing or answering from general knowledge, and offer to pass them to a person on the team."
)


class SearchKnowledgeArgs(ToolArgs):
    query: str = Field(min_length=1, max_length=500, description="The user's question, in their own words")


def _marker(context: ToolContext, title: str, source: str) -> int:
    """The document's number in this turn: the same document keeps its number across searches."""
    entry = (title, source)
    if entry not in context.sources:
        context.sources.append(entry)
    return context.sources.index(entry) + 1


@tool(
    name="search_knowledge",
    description=(
        "Search the organisation's own documents (how-tos, opening hours, services, policies, set-up guides). "
        "Call it for any question about the organisation or its service before answering."
    ),
    args=SearchKnowledgeArgs,
    needs_user=False,
)
def search_knowledge(context: ToolContext, args: SearchKnowledgeArgs) -> str:
    passages = [p for p in knowledge_search(query=args.query, limit=PASSAGES * 2) if p.relevant][:PASSAGES]
    if not passages:
        gap_record(question=context.question or args.query, channel=context.channel)
        return f"{NOT_FOUND}\n{NOT_FOUND_TEXT}"
    parts = [f"{FOUND}\n{FOUND_RULES}"]
    for passage in passages:
        number = _marker(context, passage.title, passage.source)
        where = f" ({passage.heading})" if passage.heading and passage.heading != passage.title else ""
        parts.append(f"[{number}] {passage.title}{where}\n{passage.text[:PASSAGE_CHARS]}")
    return "\n\n".join(parts)
