"""Human handoff: a conversation is in `ai` or `human` mode; in human
mode the AI stays silent and staff answer. Switched by the `handoff_to_human` tool, by the user's
`human`/`agent`/`bot` commands, and (Twilio issue) by staff from the panel."""

from messaging.enums import ConversationMode

TO_HUMAN_COMMANDS = frozenset({"human", "agent"})
TO_AI_COMMANDS = frozenset({"bot"})

HANDOFF_ACK = "OK, a human agent will take over this conversation. Type BOT to return to the AI assistant."
BACK_TO_AI_ACK = "You're back with the AI assistant. How can I help?"


def mode_command(text: str) -> str | None:
    """The mode a whole-message command asks for (`human`/`agent` → human, `bot` → ai), else None.
    Only the whole trimmed body counts: "I need a human" is an ordinary message."""
    word = (text or "").strip().lower()
    if word in TO_HUMAN_COMMANDS:
        return ConversationMode.HUMAN
    if word in TO_AI_COMMANDS:
        return ConversationMode.AI
    return None


def burst_switch(texts: list[str]) -> tuple[int, str] | None:
    """The last mode command among a burst's texts (oldest first): (its index, the mode it asks
    for), else None. It takes effect as on a message of its own (issue 27): what came before it is
    answered by its acknowledgement, what follows is read in the mode it set."""
    for index in range(len(texts) - 1, -1, -1):
        if (mode := mode_command(texts[index])) is not None:
            return index, mode
    return None
