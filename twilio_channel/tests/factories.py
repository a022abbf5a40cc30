import factory

from messaging.enums import Channel, Direction
from messaging.models import Message


class OutboundMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    direction = Direction.OUTBOUND
    channel = Channel.SMS
    from_number = "+15550001111"
    to_number = "+48123456789"
    participant_number = "+48123456789"
    content = "hello"
    status = "queued"
    twilio_sid = factory.Sequence(lambda n: f"SM{n:032x}")
