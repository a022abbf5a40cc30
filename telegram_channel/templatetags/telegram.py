from django import template

from telegram_channel.linking import linked_chats

register = template.Library()


@register.simple_tag(takes_context=True)
def telegram_chats(context: template.Context) -> list[str]:
    """The names of the signed-in user's linked chats, for the profile's section."""
    return linked_chats(user=context["user"])
