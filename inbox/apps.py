from django.apps import AppConfig


class InboxConfig(AppConfig):
    """An app rather than a package of messaging: it owns models (contacts, the auto-reply switch)
    with their own migrations and admin, and it sits a floor above messaging and the orchestrator
    (it decides who answers: auto-reply, AI, chat engine, staff), which messaging must never import.
    The channel apps (twilio_channel, ...) sit on top of it: a webhook view, a client, a sender and
    an error classifier each."""

    name = "inbox"
    verbose_name = "Inbox (every channel)"

    def ready(self) -> None:
        from django.core import checks

        from accounts.signals import phone_link_changed
        from inbox.checks import channels_check
        from inbox.services.contacts import contacts_relink_on_signal

        phone_link_changed.connect(contacts_relink_on_signal, dispatch_uid="inbox.contacts_relink")
        checks.register(channels_check)
