"""Conversations and messages in the superuser console: handoff mode, reply state, AI usage (§8.5)."""

from django.contrib import admin, messages

from messaging.enums import ConversationMode
from messaging.models import Conversation, Message
from messaging.services import conversation_mode_set


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["created_at", "sender_id", "recipient_id", "content", "channel", "direction", "reply_state"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    extra = 0
    max_num = 0
    show_change_link = True
    can_delete = False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["key", "kind", "user", "participant_number", "mode", "last_agent", "last_message_at"]
    list_filter = ["kind", "mode"]
    search_fields = ["key", "user__username", "participant_number"]
    list_select_related = ["user"]
    readonly_fields = [
        "key", "kind", "user", "user_a", "user_b", "participant_number", "mode", "last_agent", "last_agent_at",
        "context_reset_at", "last_message_at", "ai_lease_until", "created_at", "updated_at",
    ]  # fmt: skip
    exclude = ["ai_lease_token"]
    inlines = [MessageInline]
    actions = ["hand_to_human", "hand_back_to_ai"]

    def has_add_permission(self, request) -> bool:
        return False  # conversations come from messages, never from a blank form

    def _set_mode(self, request, queryset, mode: str) -> None:
        changed = sum(
            conversation_mode_set(conversation=conversation, mode=mode, source=f"admin {request.user.pk}")
            for conversation in queryset
        )
        self.message_user(request, f"{changed} conversation(s) switched to {mode} mode.", messages.SUCCESS)

    @admin.action(description="Hand over to a human (the AI stays silent)")
    def hand_to_human(self, request, queryset) -> None:
        self._set_mode(request, queryset, ConversationMode.HUMAN)

    @admin.action(description="Hand back to the AI assistant")
    def hand_back_to_ai(self, request, queryset) -> None:
        self._set_mode(request, queryset, ConversationMode.AI)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "id", "created_at", "conversation", "sender_id", "recipient_id", "channel", "direction", "status",
        "reply_state", "agent", "model", "prompt_tokens", "completion_tokens",
    ]  # fmt: skip
    list_filter = ["channel", "direction", "reply_state", "agent", "is_read"]
    search_fields = ["conversation__key", "twilio_sid", "participant_number"]
    list_select_related = ["conversation"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Message._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # messages are written by the API, the webhooks and the AI, with their rules

    def has_change_permission(self, request, obj=None) -> bool:
        return False
