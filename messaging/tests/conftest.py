import importlib
import sys
import types

import pytest

from accounts.tests.factories import UserFactory
from conftest import client_for


def _orchestrator_module(monkeypatch, name: str) -> types.ModuleType:
    """The real orchestrator module when it exists, else an empty stand-in: either way the test
    swaps in a fake at the one seam the messaging views call."""
    try:
        module = importlib.import_module(name)
    except ImportError:
        module = types.ModuleType(name)
        monkeypatch.setitem(sys.modules, name, module)
    return module


@pytest.fixture
def ai_task_calls(monkeypatch) -> list[tuple]:
    """Records `process_ai_message.delay(...)` calls instead of running the AI."""
    calls: list[tuple] = []
    fake = types.SimpleNamespace(delay=lambda *args: calls.append(args))
    monkeypatch.setattr(
        _orchestrator_module(monkeypatch, "orchestrator.tasks"), "process_ai_message", fake, raising=False
    )
    return calls


@pytest.fixture
def fake_ai_reply(monkeypatch):
    """A stand-in for `orchestrator.services.ai_reply_sync` that stores a canned reply, so the
    M11/M12 wiring can be tested without an LLM (the orchestrator's own tests cover the reply)."""
    from messaging.enums import ReplyState
    from messaging.models import Message

    def ai_reply_sync(*, message_id: int) -> Message:
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

    monkeypatch.setattr(
        _orchestrator_module(monkeypatch, "orchestrator.services"), "ai_reply_sync", ai_reply_sync, raising=False
    )
    return ai_reply_sync


@pytest.fixture
def third_user(db):
    return UserFactory()


@pytest.fixture
def third_client(third_user):
    return client_for(third_user)
