"""Two deliveries of one (channel, external id) at the same moment, on PostgreSQL: one row, one
answer over the channel (the unique pair decides, not a lookup first)."""

import pytest

from inbox.inbound import InboundMessage
from inbox.services.receive import receive
from messaging.enums import Direction
from messaging.models import Message
from tests.helpers import at_once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_external_id_make_one_row_and_one_answer(recorded, settings):
    settings.CHAT_MODE = "echo"
    settings.UNKNOWN_CONTACT_REPLY = "chat"
    inbound = InboundMessage(channel="test", external_id="update:1", address="chat-1", text="Twice at once")
    created = at_once([lambda: receive(inbound)[1]] * 4)  # answers on commit: eager tasks in each thread

    assert sorted(created) == [False, False, False, True]
    assert Message.objects.filter(channel="test", external_id="update:1").count() == 1
    assert Message.objects.filter(direction=Direction.OUTBOUND, channel="test").count() == 1
    assert [message.content for message in recorded.sent] == ["Echo: Twice at once"]
