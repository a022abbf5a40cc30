"""What of a conversation is the model's context (issue 28 point 6): only what people and the model
said. Replies the server put in the model's place are marked, so the history leaves them out by a
rule, never by their text: the fallback reply of a failed turn (its message is `failed`) and every
reply of the chat engine (`agent` CHAT_ENGINE_AGENT: echo, keywords, "AI is not configured")."""

from django.db.models import Q

from messaging.enums import ReplyState

# The `agent` of a reply the rule-based chat engine wrote (orchestrator.chat_engine): the AI turn
# without an LLM, and the Twilio channel's answer to a stranger with both AI and auto-reply off.
CHAT_ENGINE_AGENT = "chat_engine"

NOT_MODEL_CONTEXT = Q(in_reply_to__reply_state=ReplyState.FAILED) | Q(agent=CHAT_ENGINE_AGENT)
