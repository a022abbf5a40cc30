"""The dashboard's AI tab: the AI auto-reply's configuration and its connection test."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.api.errors import status_code_for
from core.exceptions import ApplicationError
from core.panel import add_validation_errors
from inbox.services.modes import UNCHANGED, ai_config_set, reply_mode
from orchestrator.models import AIConfig
from orchestrator.selectors import ai_config_get
from twilio_channel.forms import (
    AIConfigForm,
    AITestForm,
)
from twilio_channel.panel_views.access import superuser_required
from twilio_channel.panel_views.shared import (
    form_refusal,
    redirect_to_tab,
    render_tab,
)
from twilio_channel.services import ai_helpers

AI_HISTORY_LIMIT = 50


def _ai_context(form: AIConfigForm | None = None, test_form: AITestForm | None = None, **extra) -> dict:
    config = ai_config_get() or AIConfig()
    initial = {
        "enabled": config.enabled,
        "target_number": config.target_number,
        "system_prompt": config.system_prompt,
        "model": config.model,
        "temperature": config.temperature,
    }
    return {
        "ai": config,
        "ai_form": form or AIConfigForm(initial=initial, server_model=settings.LITELLM_MODEL),
        "ai_test_form": test_form or AITestForm(),
        "ai_history": ai_helpers.ai_conversation(limit=AI_HISTORY_LIMIT),
        **extra,
    }


def ai_page(
    request: HttpRequest,
    *,
    status: int = 200,
    ai_form: AIConfigForm | None = None,
    ai_test_form: AITestForm | None = None,
    **extra,
) -> HttpResponse:
    return render_tab(request, tab="ai", status=status, context=_ai_context(ai_form, ai_test_form, **extra))


@superuser_required
@require_POST
def ai_config_save(request: HttpRequest) -> HttpResponse:
    form = AIConfigForm(request.POST, server_model=settings.LITELLM_MODEL)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        # An empty key field keeps the saved key; only the box removes it.
        api_key = "" if data["clear_api_key"] else data["api_key"] or UNCHANGED
        auto_reply_was_on = reply_mode() == "auto_reply"
        try:
            ai_config_set(
                enabled=data["enabled"],
                target_number=data["target_number"],
                system_prompt=data["system_prompt"],
                model=data["model"],
                temperature=data["temperature"],
                api_key=api_key,
            )
        except ApplicationError as exc:
            status = form_refusal(form, exc)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("AI settings saved."))
            if data["enabled"] and auto_reply_was_on:
                messages.warning(request, _("Automatic replies were turned off: only one of them can answer."))
            return redirect_to_tab("ai")
    return ai_page(request, status=status, ai_form=form)


@superuser_required
@require_POST
def ai_test_run(request: HttpRequest) -> HttpResponse:
    """Test connection (T4): what the model would answer; nothing is sent or stored."""
    form = AITestForm(request.POST)
    status, result = 400, None
    if form.is_valid():
        try:
            result = ai_helpers.ai_test(
                participant=form.cleaned_data["participant"] or None,
                message=form.cleaned_data["message"] or None,
                api_key=form.cleaned_data["api_key"] or None,
                use_latest_message=True,
                participant_required=False,  # a connection test needs no thread
            )
        except ai_helpers.NoAIKey as exc:
            # The API's text names the API's fields; the page says it with the form's own labels.
            labels = {"test_key": form.fields["api_key"].label, "key": AIConfigForm.base_fields["api_key"].label}
            text = _("No API key: type one in “%(test_key)s” or save one in “%(key)s” above.") % labels
            form.add_error("api_key", text)
            status = status_code_for(exc)
        except ai_helpers.NoParticipant as exc:
            form.add_error(
                "participant",
                _("“%(label)s” is not a phone number: leave it empty or type one like +48123456789.")
                % {"label": form.fields["participant"].label},
            )
            status = status_code_for(exc)
        except ApplicationError as exc:
            status = form_refusal(form, exc)
        else:
            status = 200
    return ai_page(request, status=status, ai_test_form=form, ai_test_result=result)
