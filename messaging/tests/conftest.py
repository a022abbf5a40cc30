import types

import pytest

from accounts.tests.factories import UserFactory
from messaging.bot import bot_responder
from tests.helpers import client_for


@pytest.fixture
def ai_task_calls(monkeypatch) -> list[tuple]:
    """Records the AI turns queued for messages to the bot instead of running them."""
    calls: list[tuple] = []
    fake = types.SimpleNamespace(delay=lambda *args: calls.append(args))
    monkeypatch.setattr(bot_responder(), "turn_task", fake)
    return calls


@pytest.fixture
def fake_ai_reply(monkeypatch):
    """A stand-in for the blocking AI turn that stores a canned reply, so the M11/M12 wiring can
    be tested without an LLM (the orchestrator's own tests cover the reply)."""
    from messaging.enums import ReplyState
    from messaging.models import Message

    def reply_now(*, message_id: int) -> Message:
        incoming = Message.objects.get(pk=message_id)
        incoming.reply_state = ReplyState.DONE
        incoming.save(update_fields=["reply_state", "updated_at"])
        return Message.objects.create(
            conversation=incoming.conversation,
            sender_id=-1,
            recipient_id=incoming.sender_id,
            content="canned reply",
            channel=incoming.channel,
            in_reply_to=incoming,
        )

    monkeypatch.setattr(bot_responder(), "reply_now", reply_now)
    return reply_now


@pytest.fixture
def third_user(db):
    return UserFactory()


@pytest.fixture
def third_client(third_user):
    return client_for(third_user)
