"""Conversations and messages in the superuser console: handoff mode, reply state, AI usage."""

from datetime import timedelta
from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from messaging.enums import Channel, ConversationMode, ModeReason
from messaging.keys import channel_of_key
from messaging.models import Conversation, Message
from messaging.selectors.usage import ai_token_usage_daily
from messaging.services.conversations import conversation_mode_set

TOKEN_REPORT_DAYS = 30


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
    list_display = ["key", "channel", "kind", "user", "participant_number", "mode", "last_agent", "last_message_at"]
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

    @admin.display(description="channel")
    def channel(self, obj: Conversation) -> str:
        """The external channel whose key space the conversation is in (SMS, WhatsApp, Telegram, ...),
        else a conversation of the web and the API."""
        channel = channel_of_key(obj.key)
        return Channel(channel).label if channel in Channel.values else "Web / API"

    def _set_mode(self, request, queryset, mode: str) -> None:
        changed = sum(
            conversation_mode_set(
                conversation=conversation, mode=mode, reason=ModeReason.STAFF, source=f"admin {request.user.pk}"
            )
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
        "reply_state", "agent", "model", "prompt_tokens", "completion_tokens", "ai_cost",
    ]  # fmt: skip
    list_filter = ["channel", "direction", "reply_state", "agent", "is_read"]
    search_fields = ["conversation__key", "external_id", "participant_number"]
    list_select_related = ["conversation"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Message._meta.fields]
    change_list_template = "admin/messaging/message/change_list.html"  # adds the token report's link

    def get_urls(self):
        report = path(
            "token-usage/", self.admin_site.admin_view(self.token_usage_view), name="messaging_message_token_usage"
        )
        return [report, *super().get_urls()]

    def token_usage_view(self, request):
        """AI tokens per day and model over the last TOKEN_REPORT_DAYS days."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        since = timezone.now() - timedelta(days=TOKEN_REPORT_DAYS)
        rows = ai_token_usage_daily(since=since)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"AI token usage per day and model (last {TOKEN_REPORT_DAYS} days)",
            "rows": rows,
            "totals": {
                "replies": sum(row.replies for row in rows),
                "prompt_tokens": sum(row.prompt_tokens for row in rows),
                "completion_tokens": sum(row.completion_tokens for row in rows),
                "total_tokens": sum(row.total_tokens for row in rows),
                "cost": sum((row.cost for row in rows if row.cost is not None), Decimal(0)),
            },
        }
        return TemplateResponse(request, "admin/messaging/message/token_usage.html", context)

    def has_add_permission(self, request) -> bool:
        return False  # messages are written by the API, the webhooks and the AI, with their rules

    def has_change_permission(self, request, obj=None) -> bool:
        return False
