"""The Twilio channel in the superuser console: its message log with the status timeline. Contacts,
the auto-reply switch and the AI auto-reply are the inbox's (inbox.admin)."""

from django.contrib import admin, messages

from core.exceptions import ApplicationError
from twilio_channel.models import MessageStatusEvent, TwilioMessage
from twilio_channel.selectors import TWILIO_CHANNELS
from twilio_channel.services.staff_sends import outbound_retry


class StatusEventInline(admin.TabularInline):
    """The message's status timeline, as Twilio's callbacks reported it."""

    model = MessageStatusEvent
    fields = ["created_at", "status", "error_code", "error_message"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "status timeline"


@admin.register(TwilioMessage)
class TwilioMessageAdmin(admin.ModelAdmin):
    list_display = [
        "id", "created_at", "direction", "channel", "from_number", "to_number", "status", "reply_state", "error",
        "retry_of",
    ]  # fmt: skip
    list_filter = ["channel", "direction", "status", "reply_state"]
    search_fields = ["external_id", "participant_number", "from_number", "to_number"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in TwilioMessage._meta.fields]
    inlines = [StatusEventInline]
    actions = ["retry"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(channel__in=TWILIO_CHANNELS)

    def has_add_permission(self, request) -> bool:
        return False  # sends go through the send service (the panel, the API), never a blank form

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Retry the selected failed messages (a new message each)", permissions=["view"])
    def retry(self, request, queryset) -> None:
        retried, refused = [], []
        for message in queryset:
            try:
                retried.append(outbound_retry(message_id=message.pk).pk)
            except ApplicationError as exc:
                refused.append(f"{message.pk}: {exc.message}")
        if retried:
            self.message_user(request, f"Queued {len(retried)} retry message(s): {retried}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, f"Not retried, message {line}", messages.WARNING)


@admin.register(MessageStatusEvent)
class MessageStatusEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "twilio_sid", "status", "error_code", "message"]
    list_filter = ["status"]
    search_fields = ["twilio_sid"]
    readonly_fields = ["created_at", "twilio_sid", "status", "error_code", "error_message", "message"]

    def has_add_permission(self, request) -> bool:
        return False  # append-only: written by Twilio's callbacks

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
