"""Typed tools for the agents.

A tool is a function `(context, args) -> str` with a pydantic model for its arguments. The model
gives the OpenAI function schema, drops unknown keys and checks types; a validation error goes back
to the model as the tool's result text, so it can correct itself. Who the user is comes from the
server-side `ToolContext`, never from the arguments, so no prompt can make a tool act for someone else.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from accounts.models import User
from core.json_input import json_loads
from messaging.models import Conversation

logger = logging.getLogger("orchestrator")

RESULT_MAX_CHARS = 4_000
TRUNCATED_NOTE = "\n…[truncated]"


class ToolArgs(BaseModel):
    """Base for tool arguments: unknown keys are dropped, declared ones are validated."""

    model_config = ConfigDict(extra="ignore")


@dataclass(frozen=True)
class ToolContext:
    """What a tool may know about the turn. Filled by the server, never by the model."""

    user: User | None
    conversation: Conversation | None
    channel: str
    agent: str
    question: str = ""  # the user's message this turn (a knowledge gap records it)
    # Documents the knowledge tool gave markers this turn, (title, source) in marker order.
    sources: list[tuple[str, str]] = field(default_factory=list)


ToolFunc = Callable[[ToolContext, Any], str]


@functools.cache
def _parameters_schema(args_model: type[ToolArgs]) -> dict:
    # Built once per tool: pydantic's schema generation costs ~0.2 ms, and every model round sends it.
    return _clean_schema(args_model.model_json_schema())


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args_model: type[ToolArgs]
    func: ToolFunc
    needs_user: bool = True

    def schema(self) -> dict:
        """The OpenAI `tools` entry for this tool."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": _parameters_schema(self.args_model),
            },
        }

    def run(self, context: ToolContext, raw_arguments: str | dict | None) -> str:
        """Parse, validate and run; always a text result capped at RESULT_MAX_CHARS."""
        if self.needs_user and context.user is None:
            return cap(f"Error: {self.name} is only available to signed-in users.")
        try:
            arguments = parse_arguments(raw_arguments)
        except ValueError:
            return f"Error: the arguments for {self.name} must be a JSON object."
        try:
            args = self.args_model.model_validate(arguments)
        except ValidationError as exc:
            return cap(f"Error: invalid arguments for {self.name}: {_validation_text(exc)}")
        return cap(self.func(context, args))


def parse_arguments(raw: str | dict | None) -> dict:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, dict):
        return raw
    value = json_loads(raw)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


def cap(text: str) -> str:
    text = str(text)
    if len(text) <= RESULT_MAX_CHARS:
        return text
    return text[: RESULT_MAX_CHARS - len(TRUNCATED_NOTE)] + TRUNCATED_NOTE


def _validation_text(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in error.get("loc", ())) or "arguments"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def _clean_schema(node: Any) -> Any:
    """Pydantic's JSON schema, trimmed to what function calling needs: no titles, and optional
    fields as their plain type (they are simply left out of `required`)."""
    if isinstance(node, list):
        return [_clean_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: value for key, value in node.items() if key != "title"}
    any_of = node.get("anyOf")
    if isinstance(any_of, list):
        non_null = [option for option in any_of if option != {"type": "null"}]
        if len(non_null) == 1 and len(non_null) < len(any_of):
            node.pop("anyOf")
            if node.get("default", ...) is None:
                node.pop("default")
            node = {**non_null[0], **node}
    if "properties" in node:
        node["properties"] = {name: _clean_schema(value) for name, value in node["properties"].items()}
        node.setdefault("required", [])
    return {key: _clean_schema(value) if key != "properties" else value for key, value in node.items()}


# --- registry -------------------------------------------------------------------------------

_TOOLS: dict[str, Tool] = {}


def register_tool(tool: Tool) -> Tool:
    if tool.name in _TOOLS and _TOOLS[tool.name] is not tool:
        raise ValueError(f"A tool named {tool.name!r} is already registered")
    _TOOLS[tool.name] = tool
    return tool


def tool(
    *, name: str, description: str, args: type[ToolArgs] = ToolArgs, needs_user: bool = True
) -> Callable[[ToolFunc], Tool]:
    """Decorator: register `func(context, args) -> str` as a tool."""

    def decorate(func: ToolFunc) -> Tool:
        return register_tool(
            Tool(name=name, description=description, args_model=args, func=func, needs_user=needs_user)
        )

    return decorate


def get_tool(name: str) -> Tool | None:
    return _TOOLS.get(name)
