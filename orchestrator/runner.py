"""The agent loop of one AI turn.

Up to MAX_ROUNDS model calls, with the agent's tools offered on every round. Per turn at most
MAX_TOOL_CALLS tool calls and MAX_IDENTICAL_CALLS calls with the same name and arguments; past any
budget the turn stops and is reported as failed, so the caller answers with its fallback text.
With a spend cap in force each model call reserves its ceiling first (orchestrator.services.spend):
no room, no call, and the run says `budget_exhausted`.
The loop holds no transaction and no lock of its own: tools call services that own theirs.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.conf import settings

from core.db import release_db_connection
from orchestrator.agents import GENERAL_AGENT, Agent
from orchestrator.llm import LLMSettings, chat_completion, llm_settings
from orchestrator.llm_errors import LLMError
from orchestrator.pricing import call_ceiling, call_cost
from orchestrator.services.spend import (
    NO_CAP,
    budget_release,
    budget_reserve,
    budget_settle,
    caps_in_force,
    contact_scope,
)
from orchestrator.tools import Tool, ToolContext
from orchestrator.tools.base import cap, parse_arguments

logger = logging.getLogger("orchestrator")

MAX_ROUNDS = 5
MAX_TOOL_CALLS = 10
MAX_IDENTICAL_CALLS = 3
EMPTY_REPLY = "I didn't understand that. Can you try again?"


@dataclass
class AgentRun:
    agent: str
    text: str = ""
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    rounds: int = 0
    tool_calls: int = 0
    cost: Decimal | None = None  # USD of its model calls; None when none was priced
    failure: str | None = None  # None when the turn produced a reply; else the cause, for logs
    budget_exhausted: bool = False  # a spend cap had no room for the next model call
    sources: list[tuple[str, str]] = field(default_factory=list)  # knowledge cited by markers

    @property
    def ok(self) -> bool:
        return self.failure is None


@cache
def _enum_values(args_model: type) -> dict[str, frozenset]:
    """The fixed choices (Literal/Enum) of each argument that has them: such values are no user text."""
    choices: dict[str, frozenset] = {}
    for name, spec in args_model.model_json_schema().get("properties", {}).items():
        values: set[str] = set()
        for option in spec.get("anyOf", [spec]):  # an optional field nests its choices under anyOf
            listed = [*option.get("enum", ()), *([option["const"]] if "const" in option else [])]
            values.update(v for v in listed if isinstance(v, str))
        if values:
            choices[name] = frozenset(values)
    return choices


def _redacted(arguments: dict, tool: Tool | None) -> dict:
    """Arguments for an INFO line: numbers and listed enum values stay; any other text, however short
    (a report title such as "Leak"), becomes its length: it comes from a message body."""
    choices = _enum_values(tool.args_model) if tool is not None else {}
    shown = {}
    for key, value in arguments.items():
        listed = isinstance(value, str) and value in choices.get(key, ())
        if isinstance(value, bool | int | float) or value is None or listed:
            shown[key] = value
        else:
            shown[key] = f"<{len(str(value))} chars>"
    return shown


def _call_key(name: str, raw_arguments: str) -> str:
    try:
        canonical = json.dumps(parse_arguments(raw_arguments), sort_keys=True, ensure_ascii=False)
    except ValueError:
        canonical = raw_arguments.strip()
    return f"{name}:{canonical}"


def run_agent(
    *,
    agent: Agent,
    user,
    conversation,
    channel: str,
    history: list[dict],
    text: str,
    deadline: float | None = None,
    config: LLMSettings | None = None,
) -> AgentRun:
    """Run `agent` on `text` after `history`; never raises for LLM or tool trouble."""
    config = config or llm_settings()
    tools: list[Tool] = agent.tools_for(user=user)
    by_name = {t.name: t for t in tools}
    schemas = [t.schema() for t in tools] or None
    override = config.system_prompt if agent.name == GENERAL_AGENT else ""
    messages: list[dict] = [
        {"role": "system", "content": agent.prompt_for(tools=tools, override=override)},
        *history,
        {"role": "user", "content": text},
    ]
    context = ToolContext(user=user, conversation=conversation, channel=channel, agent=agent.name, question=text)
    run = AgentRun(agent=agent.name, sources=context.sources)
    seen: Counter[str] = Counter()
    user_id = getattr(user, "pk", None)
    contact = contact_scope(conversation=conversation, user=user)
    max_tokens = max(1, int(settings.AI_MAX_OUTPUT_TOKENS)) if caps_in_force() else None

    for round_number in range(1, MAX_ROUNDS + 1):
        hold = NO_CAP
        if max_tokens is not None:
            ceiling = call_ceiling(model=config.model, messages=messages, tools=schemas, max_tokens=max_tokens)
            reserved = budget_reserve(contact=contact, amount=ceiling)
            if reserved is None:
                run.failure, run.budget_exhausted = "budget: daily AI spend cap reached", True
                return run
            hold = reserved
        release_db_connection()
        try:
            reply = chat_completion(
                messages=messages, tools=schemas, deadline=deadline, config=config, max_tokens=max_tokens
            )
        except LLMError as exc:
            budget_release(hold=hold)
            run.failure = f"llm {exc.summary}"  # a kind and a status or class name: no free text
            return run
        except BaseException:
            budget_release(hold=hold)
            raise
        cost = call_cost(
            model=config.model, prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens
        )
        budget_settle(hold=hold, cost=cost)
        if cost is not None:
            run.cost = (run.cost or Decimal(0)) + cost
        run.rounds = round_number
        run.model = reply.model or run.model
        run.prompt_tokens += reply.prompt_tokens
        run.completion_tokens += reply.completion_tokens
        if not reply.tool_calls:
            run.text = reply.text.strip() or EMPTY_REPLY
            return run
        if round_number == MAX_ROUNDS:
            break  # the last allowed round still wants tools: over budget

        messages.append(
            {
                "role": "assistant",
                "content": reply.text or None,
                "tool_calls": [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                    for c in reply.tool_calls
                ],
            }
        )
        for call in reply.tool_calls:
            run.tool_calls += 1
            if run.tool_calls > MAX_TOOL_CALLS:
                run.failure = f"budget: more than {MAX_TOOL_CALLS} tool calls"
                return run
            key = _call_key(call.name, call.arguments)
            seen[key] += 1
            if seen[key] > MAX_IDENTICAL_CALLS:
                run.failure = f"budget: more than {MAX_IDENTICAL_CALLS} identical calls to {call.name}"
                return run
            result = _execute(agent=agent, tool=by_name.get(call.name), call=call, context=context, user_id=user_id)
            messages.append({"role": "tool", "tool_call_id": call.id, "name": call.name, "content": result})

    run.failure = f"budget: still calling tools after {MAX_ROUNDS} rounds"
    return run


def _execute(*, agent: Agent, tool: Tool | None, call, context: ToolContext, user_id) -> str:
    try:
        shown = _redacted(parse_arguments(call.arguments), tool)
    except ValueError:
        shown = {"<unparsable>": f"<{len(call.arguments)} chars>"}
    logger.info("%s calling function: %s with user_id=%s, args=%s", agent.name, call.name, user_id, shown)
    logger.debug("%s calling function: %s with user_id=%s, args=%s", agent.name, call.name, user_id, call.arguments)
    if tool is None:
        result = f"Error: Function {call.name} not available"
        logger.warning("%s function not found: %s", agent.name, call.name)
    else:
        try:
            result = tool.run(context, call.arguments)
        except Exception:  # a tool bug must not kill the turn; the model is told, the log has the trace
            logger.exception("%s tool %s raised", agent.name, call.name)
            result = f"Error: {call.name} failed unexpectedly."
    result = cap(result)
    logger.info("%s %s result: <%s chars>", agent.name, call.name, len(result))
    logger.debug("%s %s result: %s", agent.name, call.name, result[:200])
    return result
