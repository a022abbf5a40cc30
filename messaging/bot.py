"""Who answers a message to the AI bot. Messaging stores the message; the orchestrator, a layer
above, answers it. `settings.MESSAGING_BOT_RESPONDER` names the object that does (as
`EMAIL_BACKEND` names a mail backend), so no module of messaging imports the orchestrator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from messaging.models import Message


class BotResponder(Protocol):
    # A Celery task taking the message id: one AI turn, queued once the message is committed.
    turn_task: Any

    def reply_now(self, *, message_id: int) -> Message:
        """Answer the stored message inline (the blocking chat) and return the reply to show."""
        ...


def bot_responder() -> BotResponder:
    return import_string(settings.MESSAGING_BOT_RESPONDER)
