"""The Twilio channel in the superuser console: contacts and their opt-out, the status log, and
the auto-reply switch."""

from django import forms
from django.contrib import admin, messages

from core.exceptions import ApplicationError
from twilio_channel.enums import OptOutSource
from twilio_channel.models import AutoReplyConfig, Contact, MessageStatusEvent
from twilio_channel.services.contacts import contact_opt_in, contact_opt_out
from twilio_channel.services.modes import auto_reply_config_set, auto_reply_text_clean


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["number", "channel", "profile_name", "user", "opted_out", "last_inbound_at", "window_expires_at"]
    list_filter = ["channel", "opted_out"]
    search_fields = ["number", "profile_name", "user__username"]
    list_select_related = ["user"]
    readonly_fields = [
        "number", "channel", "profile_name", "opted_out", "opted_out_at", "opt_out_source", "last_inbound_at",
        "window_expires_at", "created_at", "updated_at",
    ]  # fmt: skip
    fields = ["user", *readonly_fields]
    actions = ["opt_out", "opt_in"]

    def has_add_permission(self, request) -> bool:
        return False  # contacts come from messages

    @admin.action(description="Opt the selected contacts out (no more messages)")
    def opt_out(self, request, queryset) -> None:
        changed = sum(contact_opt_out(contact=contact, source=OptOutSource.STAFF) for contact in queryset)
        self.message_user(request, f"{changed} contact(s) opted out.", messages.SUCCESS)

    @admin.action(description="Opt the selected contacts back in")
    def opt_in(self, request, queryset) -> None:
        changed = sum(contact_opt_in(contact=contact) for contact in queryset)
        self.message_user(request, f"{changed} contact(s) opted back in.", messages.SUCCESS)


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


class AutoReplyConfigForm(forms.ModelForm):
    class Meta:
        model = AutoReplyConfig
        fields = ["enabled", "message"]

    def clean(self) -> dict:
        data = super().clean()
        try:
            data["message"] = auto_reply_text_clean(enabled=data.get("enabled", False), message=data.get("message", ""))
        except ApplicationError as exc:
            raise forms.ValidationError({"message": exc.message}) from exc
        return data


@admin.register(AutoReplyConfig)
class AutoReplyConfigAdmin(admin.ModelAdmin):
    form = AutoReplyConfigForm
    list_display = ["__str__", "message", "enabled_since", "updated_at"]
    fields = ["enabled", "message", "enabled_since", "updated_at"]
    readonly_fields = ["enabled_since", "updated_at"]

    def save_model(self, request, obj, form, change) -> None:
        saved = auto_reply_config_set(enabled=obj.enabled, message=obj.message)
        obj.pk, obj.enabled_since = saved.pk, saved.enabled_since

    def has_add_permission(self, request) -> bool:
        return not AutoReplyConfig.objects.exists()  # a singleton

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
