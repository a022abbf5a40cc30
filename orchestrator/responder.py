"""The orchestrator as messaging's bot responder (`settings.MESSAGING_BOT_RESPONDER`)."""

from messaging.models import Message
from orchestrator.tasks import process_ai_message


class OrchestratorResponder:
    turn_task = process_ai_message

    def reply_now(self, *, message_id: int) -> Message:
        from orchestrator.services.turns import ai_reply_sync  # the turn imports agents and tools: load on use

        return ai_reply_sync(message_id=message_id)


responder = OrchestratorResponder()
