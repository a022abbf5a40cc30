"""The inbox in the superuser console: contacts of every channel and their opt-out, the auto-reply
switch, and the AI auto-reply with its settings (orchestrator.AIConfig, registered here because
saving it goes through the inbox's services: turning the AI on turns the auto-reply off)."""

from django import forms
from django.contrib import admin, messages

from core.exceptions import ApplicationError
from inbox.enums import OptOutSource
from inbox.models import AutoReplyConfig, Contact
from inbox.services.contacts import contact_opt_in, contact_opt_out
from inbox.services.modes import (
    UNCHANGED,
    Unchanged,
    ai_config_clean,
    ai_config_set,
    auto_reply_config_set,
    auto_reply_text_clean,
)
from orchestrator.enums import AIEnabledSource
from orchestrator.models import AIConfig


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["address", "channel", "display_name", "user", "opted_out", "last_inbound_at", "window_expires_at"]
    list_filter = ["channel", "opted_out"]
    search_fields = ["address", "display_name", "user__username"]
    list_select_related = ["user"]
    readonly_fields = [
        "address", "channel", "display_name", "opted_out", "opted_out_at", "opt_out_source", "last_inbound_at",
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


class AIConfigForm(forms.ModelForm):
    """The API key is write-only: the field never shows the stored key (only the masked preview
    beside it does); leave it blank to keep the key, tick "clear" to remove it."""

    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave blank to keep the stored key. Without one, LITELLM_API_KEY applies.",
    )
    clear_api_key = forms.BooleanField(label="Remove the stored API key", required=False)

    class Meta:
        model = AIConfig
        fields = ["enabled", "target_number", "system_prompt", "model", "temperature"]

    def clean(self) -> dict:
        data = super().clean()
        if "temperature" in self.errors:
            return data  # not a number: the field says so
        stored = AIConfig.objects.filter(pk=1).first()
        try:
            change = ai_config_clean(
                config=stored,
                enabled=data.get("enabled", False),
                target_number=data.get("target_number", ""),
                system_prompt=data.get("system_prompt", ""),
                model=data.get("model", ""),
                temperature=data.get("temperature"),
                api_key=self.api_key_input(),
            )
        except ApplicationError as exc:
            field = exc.extra.get("field")
            raise forms.ValidationError({field if field in self.fields else None: exc.message}) from exc
        data.update(target_number=change.target_number, system_prompt=change.system_prompt, model=change.model)
        return data

    def api_key_input(self) -> str | Unchanged:
        if self.cleaned_data.get("clear_api_key"):
            return ""
        return self.cleaned_data.get("api_key") or UNCHANGED


@admin.register(AIConfig)
class AIConfigAdmin(admin.ModelAdmin):
    form = AIConfigForm
    list_display = ["__str__", "model", "temperature", "target_number", "enabled_source", "enabled_since", "updated_at"]
    fields = [
        "enabled", "target_number", "target_number_normalized", "system_prompt", "model", "temperature",
        "api_key_preview", "api_key", "clear_api_key", "enabled_source", "enabled_since", "updated_at",
    ]  # fmt: skip
    readonly_fields = ["target_number_normalized", "api_key_preview", "enabled_source", "enabled_since", "updated_at"]

    @admin.display(description="Stored API key")
    def api_key_preview(self, obj: AIConfig) -> str:
        return (obj.api_key_preview if obj.pk else None) or "(none)"

    def save_model(self, request, obj, form, change) -> None:
        saved = ai_config_set(
            enabled=form.cleaned_data.get("enabled", False),
            target_number=form.cleaned_data.get("target_number", ""),
            system_prompt=form.cleaned_data.get("system_prompt", ""),
            model=form.cleaned_data.get("model", ""),
            temperature=form.cleaned_data.get("temperature"),
            api_key=form.api_key_input(),
            source=AIEnabledSource.UI,
        )
        obj.pk, obj.enabled_since, obj.enabled_source = saved.pk, saved.enabled_since, saved.enabled_source

    def has_add_permission(self, request) -> bool:
        return not AIConfig.objects.exists()  # a singleton

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
