"""The demo model: a few fixed rules behind the OpenAI chat-completions API, so the assistant answers
and uses its tools with no AI account. It never pretends to be an AI: every answer says it is the
demo model.

    "report: my router is broken"  -> calls create_report(title, content)
    "show my reports"              -> calls get_my_reports()
    "I need a human"               -> calls handoff_to_human()
    a question ("how do I ...?")   -> calls search_knowledge(query) and quotes the best passage, cited
    a tool's result                -> passes it on (a handoff's as a short note)
    anything else                  -> says what it understands
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

DEMO_MODEL_NAME = "demo-model"
DEMO_EMBEDDING_MODEL = "demo-embedding"  # the stand-in's hashed word vectors (demo/llm_server.py)
NOTICE = "(Demo model: no real AI here. Set LITELLM_API_KEY and LITELLM_MODEL for a real one.)"
HELP = (
    'I am the demo model of AI Messaging. Try "report: my router is broken" to file a report, '
    'or "show my reports" to list yours.'
)
HANDOFF_TEXT = "A person will reply here soon. Type BOT to come back to the assistant."
NOT_KNOWN_TEXT = 'I don\'t know: our documents do not cover that. Write "I need a human" to ask a person.'
TITLE_MAX_CHARS = 100
QUOTE_MAX_CHARS = 700
# What the knowledge tool's result starts with (orchestrator/tools/knowledge.py).
FOUND = "DOCUMENTS FOUND."
PASSAGE = re.compile(r"^\[(?P<n>\d+)\] [^\n]*\n(?P<text>.+?)(?=\n\n\[\d+\] |\Z)", re.MULTILINE | re.DOTALL)
WORDS = re.compile(r"\w{3,}")
QUESTION = re.compile(
    r"\?\s*$|^\s*(?:how|what|where|when|why|who|which|can|do|does|is|are|jak|co|gdzie|kiedy|czy|dlaczego|ile)\b",
    re.IGNORECASE,
)

REPORT = re.compile(r"^\s*(?:report|zg[łl]oszenie|zg[łl]o[śs])\s*[:\-]\s*(?P<text>\S.*)$", re.IGNORECASE | re.DOTALL)
LIST = re.compile(
    r"\b(?:(?:show|list|see)\b.*\breports?|my reports|(?:poka[żz]|moje)\b.*\bzg[łl]osze[nń])", re.IGNORECASE
)


HUMAN = re.compile(r"\b(?:human|person|agent|staff|cz[łl]owiek|konsultant)\b", re.IGNORECASE)


def _tool_names(request: dict[str, Any]) -> set[str]:
    return {
        (tool.get("function") or {}).get("name", "") for tool in request.get("tools") or [] if isinstance(tool, dict)
    }


def _text(content: Any) -> str:
    if isinstance(content, list):  # content parts
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def _call_ids(messages: list[dict[str, Any]], name: str) -> set[str]:
    return {
        call.get("id", "")
        for message in messages
        for call in message.get("tool_calls") or []
        if isinstance(call, dict) and (call.get("function") or {}).get("name") == name
    }


def _quote(result: str, question: str) -> str:
    """The passage sharing most words with the question (as a model would read them all), shortened
    at a word, cited with its marker."""
    asked = {word.lower() for word in WORDS.findall(question)}
    passages = [(m.group("n"), m.group("text")) for m in PASSAGE.finditer(result)] or [("1", "")]
    number, text = max(passages, key=lambda p: len(asked & {w.lower() for w in WORDS.findall(p[1])}))
    text = " ".join(text.split())
    if len(text) > QUOTE_MAX_CHARS:
        text = text[:QUOTE_MAX_CHARS].rsplit(" ", 1)[0] + " ..."
    return f"From our documents: {text} [{number}]"


def _call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "content": None,
        "tool_calls": [
            {
                "id": f"call_{uuid.uuid4().hex[:10]}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
            }
        ],
    }


def _say(text: str) -> dict[str, Any]:
    return {"content": f"{text}\n\n{NOTICE}"}


def demo_completion(request: dict[str, Any]) -> dict[str, Any]:
    """The answer to one chat-completions request: a text (`content`) or one tool call."""
    messages = [m for m in request.get("messages") or [] if isinstance(m, dict)]
    last = messages[-1] if messages else {}
    if last.get("role") == "tool":
        if last.get("tool_call_id") in _call_ids(messages, "handoff_to_human"):
            return _say(HANDOFF_TEXT)  # the tool's text is an instruction to the model, not for the user
        if last.get("tool_call_id") in _call_ids(messages, "search_knowledge"):
            result = _text(last.get("content"))
            asked = next((_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
            return _say(_quote(result, asked) if result.startswith(FOUND) else NOT_KNOWN_TEXT)
        return _say(_text(last.get("content")))
    text = _text(last.get("content")).strip() if last.get("role") == "user" else ""
    tools = _tool_names(request)
    report = REPORT.match(text)
    if report and "create_report" in tools:
        problem = " ".join(report.group("text").split())
        return _call("create_report", {"title": problem[:TITLE_MAX_CHARS], "content": problem})
    if LIST.search(text) and "get_my_reports" in tools:
        return _call("get_my_reports", {})
    if HUMAN.search(text) and "handoff_to_human" in tools:
        return _call("handoff_to_human", {"reason": "asked for a person"})
    if QUESTION.search(text) and "search_knowledge" in tools:
        return _call("search_knowledge", {"query": text})
    if not text:
        return _say(HELP)
    return _say(f"You said: {text}\n{HELP}")
