from django import template

from inbox.models import Contact
from telegram_channel.channel import TELEGRAM

register = template.Library()


@register.simple_tag(takes_context=True)
def telegram_chats(context: template.Context) -> list[str]:
    """The names of the signed-in user's linked chats, for the profile's section."""
    return list(
        Contact.objects.filter(channel=TELEGRAM.name, user=context["user"]).values_list("display_name", flat=True)
    )
