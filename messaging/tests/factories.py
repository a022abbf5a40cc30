import factory

from messaging.enums import Channel, ConversationKind, Direction
from messaging.models import Conversation, Message


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"custom_{n}")
    kind = ConversationKind.CUSTOM


class MessageFactory(factory.django.DjangoModelFactory):
    """A web message between two users. Pass `sender`/`recipient` users (or the raw ids); the
    conversation defaults to the pair's `conv_{min}_{max}` key, as the API would pick it."""

    class Meta:
        model = Message

    class Params:
        sender = None
        recipient = None

    sender_id = factory.LazyAttribute(lambda o: o.sender.pk if o.sender is not None else None)
    recipient_id = factory.LazyAttribute(lambda o: o.recipient.pk if o.recipient is not None else None)
    content = factory.Sequence(lambda n: f"message {n}")
    channel = Channel.WEB
    direction = Direction.INTERNAL
    conversation = factory.SubFactory(
        ConversationFactory,
        key=factory.LazyAttribute(
            lambda c: (
                f"conv_{min(c.factory_parent.sender_id, c.factory_parent.recipient_id)}_"
                f"{max(c.factory_parent.sender_id, c.factory_parent.recipient_id)}"
            )
        ),
        kind=ConversationKind.DIRECT,
    )
