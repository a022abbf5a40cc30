import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from tests.fakes.channel import sender as test_sender


@pytest.fixture
def recorded():
    """What the test channel's sender sent (tests/fakes/channel.py), cleared around each test."""
    test_sender.reset()
    yield test_sender
    test_sender.reset()


@pytest.fixture
def deliver(django_capture_on_commit_callbacks, settings):
    """A message of the test channel handed to the inbox, its queued work run as workers would."""
    from inbox.inbound import InboundMessage
    from inbox.services.receive import receive

    settings.CHAT_MODE = "echo"
    settings.UNKNOWN_CONTACT_REPLY = "chat"
    ids = iter(range(1, 10_000))

    def post(text: str, *, address: str = "chat-1", external_id: str | None = None, **fields):
        inbound = InboundMessage(
            channel="test", external_id=external_id or f"u{next(ids)}", address=address, text=text, **fields
        )
        with django_capture_on_commit_callbacks(execute=True):
            return receive(inbound)

    return post


@pytest.fixture
def staff_client(db):
    """A superuser's browser session: the staff pages."""
    client = Client()
    client.force_login(UserFactory(is_superuser=True, username="operator"))
    return client
