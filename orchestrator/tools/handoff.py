"""`handoff_to_human`: the model passes the conversation to staff."""

from pydantic import Field

from messaging.enums import ConversationMode, ModeReason
from messaging.services.conversations import conversation_mode_set
from orchestrator.tools.base import ToolArgs, ToolContext, tool


class HandoffArgs(ToolArgs):
    reason: str | None = Field(default=None, description="Why a human is needed, in a few words (optional)")


@tool(
    name="handoff_to_human",
    description=(
        "Hand this conversation over to a human staff member. Use it when the user asks for a person, "
        "or when you cannot help. After this call the AI stops answering until the user types BOT."
    ),
    args=HandoffArgs,
    needs_user=False,
)
def handoff_to_human(context: ToolContext, args: HandoffArgs) -> str:
    if context.conversation is None:
        return "Error: this conversation cannot be handed over."
    conversation_mode_set(
        conversation=context.conversation,
        mode=ConversationMode.HUMAN,
        reason=ModeReason.ASKED,
        source=f"{context.agent} tool",
        channel=context.channel,
    )
    return (
        "The conversation has been handed over to a human agent. Tell the user briefly that a person "
        "will reply here soon and that they can type BOT to come back to the AI assistant."
    )
