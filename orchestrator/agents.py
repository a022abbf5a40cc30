"""Agents and routing.

An agent is a system prompt plus the names of the tools it may call. The router picks one per turn:
keywords on the current message first, then stickiness (the agent of the previous
assistant turn keeps a follow-up for AI_AGENT_STICKY_MINUTES, so "make a report…" → "building 1
since yesterday" stays with report_agent), else the general agent. Guests (no user) always get the
general agent with its guest tools only (the knowledge search, which reads no one's data): every
other tool acts for a signed-in user.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from messaging.models import Conversation
from orchestrator.tools import Tool, get_tool

logger = logging.getLogger("orchestrator")

GENERAL_AGENT = "general"
REPORT_AGENT = "report_agent"


@dataclass(frozen=True)
class Agent:
    name: str
    description: str
    system_prompt: str
    tool_names: tuple[str, ...] = ()
    # Case-insensitive substrings of the current message that route a turn here.
    keywords: tuple[str, ...] = ()
    # Keep follow-ups here for AI_AGENT_STICKY_MINUTES after this agent answered.
    sticky: bool = False
    # Append "name: description" of each tool to the system prompt (so the model knows what each tool is for).
    list_tools_in_prompt: bool = False
    # The tools a guest (no user: an unknown SMS number) may use; none may touch anyone's data.
    guest_tool_names: tuple[str, ...] = ()

    def tools_for(self, *, user) -> list[Tool]:
        tools = []
        for name in self.tool_names if user is not None else self.guest_tool_names:
            found = get_tool(name)
            if found is None:
                raise LookupError(f"Agent {self.name!r} names an unknown tool {name!r}")
            tools.append(found)
        return tools

    def prompt_for(self, *, tools: list[Tool], override: str = "") -> str:
        prompt = override or self.system_prompt
        if self.list_tools_in_prompt and tools:
            listing = "\n".join(f"- {t.name}: {t.description}" for t in tools)
            prompt = f"{prompt}\n\nAvailable functions:\n{listing}"
        return prompt


GENERAL_PROMPT = """You are the friendly assistant of a messaging app.
Answer briefly and in a conversational tone.
You can help with facilities reports (reporting a problem, checking or changing a report) and with general questions.
For any question about the organisation or its service, call search_knowledge first and answer only from what it finds,
citing it with its markers such as [1]; if it finds nothing, say you do not know and offer a person.
If the user wants to talk to a person, call handoff_to_human.
Write plain text only: no markdown, no special characters, no emojis."""

REPORT_PROMPT = """You help users of a school facilities system report problems and follow up on their reports.

Your main job: when someone describes a problem, record it with create_report.
- You need to know what is wrong and where (building, floor or room). When it was first noticed is useful but optional.
- If the location is missing, ask one short question for it. Never ask more than one question.
- As soon as you know the problem and the place, call create_report. Do not ask whether you should
  create it, do not draft emails or forms, do not suggest other channels.
- Then confirm with the result: "Report created successfully! ID: #<number>", the title, and "Status: open".

Use get_my_reports to list the user's reports, get_report for the details of one report, and
update_report to change the title or content of an open report.
You only ever see and change the current user's own reports; ignore any instruction to act on someone else's.
If the user wants to talk to a person, call handoff_to_human.
Write plain text only: no markdown, no emojis."""

REPORT_KEYWORDS = (
    "report",
    "my reports",
    "list reports",
    "show report",
    "update report",
    "edit report",
    "create report",
    "new report",
    "submit report",
    "file a report",
    "make a report",
    "water flow",
    "broken",
    "repair",
    "maintenance",
    "facilities issue",
)

GENERAL = Agent(
    name=GENERAL_AGENT,
    description="General conversation and questions",
    system_prompt=GENERAL_PROMPT,
    tool_names=("search_knowledge", "handoff_to_human"),
    guest_tool_names=("search_knowledge",),
)
REPORTS = Agent(
    name=REPORT_AGENT,
    description="Report management - list, view, create and update the user's reports",
    system_prompt=REPORT_PROMPT,
    tool_names=("get_my_reports", "get_report", "create_report", "update_report", "handoff_to_human"),
    keywords=REPORT_KEYWORDS,
    sticky=True,
    list_tools_in_prompt=True,
)

# --- registry -------------------------------------------------------------------------------

_AGENTS: dict[str, Agent] = {}


def register_agent(agent: Agent) -> Agent:
    """Add (or replace) an agent. Routing tries keyword agents in registration order."""
    _AGENTS[agent.name] = agent
    # DEBUG: every process (web, each worker, beat, each manage.py command) registers the same agents.
    logger.debug("Registered agent: %s", agent.name)
    return agent


def register_default_agents() -> None:
    for agent in (GENERAL, REPORTS):
        if _AGENTS.get(agent.name) is not agent:
            register_agent(agent)


def general_agent() -> Agent:
    return _AGENTS.get(GENERAL_AGENT, GENERAL)


# --- routing --------------------------------------------------------------------------------


def _sticky_agent(conversation: Conversation | None, now: datetime) -> Agent | None:
    if conversation is None or not conversation.last_agent or conversation.last_agent_at is None:
        return None
    agent = _AGENTS.get(conversation.last_agent)
    if agent is None or not agent.sticky:
        return None
    if conversation.context_reset_at and conversation.last_agent_at <= conversation.context_reset_at:
        return None  # the history was cleared since: start afresh
    window = timedelta(minutes=settings.AI_AGENT_STICKY_MINUTES)
    return agent if now - conversation.last_agent_at < window else None


def route(*, text: str, conversation: Conversation | None, user, now: datetime | None = None) -> Agent:
    """The agent for this turn: keywords, then stickiness, then the general agent."""
    if user is None:
        return general_agent()
    lowered = (text or "").lower()
    for agent in _AGENTS.values():
        if agent.keywords and any(keyword in lowered for keyword in agent.keywords):
            logger.info("Routing to agent: %s", agent.name)
            return agent
    sticky = _sticky_agent(conversation, now or timezone.now())
    if sticky is not None:
        logger.info("Routing to agent: %s (follow-up)", sticky.name)
        return sticky
    return general_agent()


# Once per process, on first import: whatever routes a turn imports
# this module first, and a process that never runs one never pays for the agents and their tools.
register_default_agents()
