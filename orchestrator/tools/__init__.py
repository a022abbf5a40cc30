"""Tool registry. Importing this package registers the built-in tools."""

from orchestrator.tools import handoff, knowledge, reports  # noqa: F401  (registration side effect)
from orchestrator.tools.base import (
    RESULT_MAX_CHARS,
    Tool,
    ToolArgs,
    ToolContext,
    get_tool,
    register_tool,
    tool,
)

__all__ = [
    "RESULT_MAX_CHARS",
    "Tool",
    "ToolArgs",
    "ToolContext",
    "get_tool",
    "register_tool",
    "tool",
]
