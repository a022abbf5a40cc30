"""The dashboard's auto-reply tab: the fixed answer to every inbound message."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError
from inbox.models import AutoReplyConfig
from inbox.services.modes import auto_reply_config_set, reply_mode
from twilio_channel.forms import (
    AutoReplyForm,
)
from twilio_channel.panel_views.access import superuser_required
from twilio_channel.panel_views.shared import (
    form_refusal,
    redirect_to_tab,
    render_tab,
)


def _auto_reply_context(form: AutoReplyForm | None = None) -> dict:
    config = AutoReplyConfig.objects.filter(pk=1).first() or AutoReplyConfig()
    return {
        "auto_reply": config,
        "auto_reply_form": form or AutoReplyForm(initial={"enabled": config.enabled, "message": config.message}),
    }


def auto_reply_page(
    request: HttpRequest, *, status: int = 200, auto_reply_form: AutoReplyForm | None = None
) -> HttpResponse:
    return render_tab(request, tab="auto-reply", status=status, context=_auto_reply_context(auto_reply_form))


@superuser_required
@require_POST
def auto_reply_save(request: HttpRequest) -> HttpResponse:
    form = AutoReplyForm(request.POST)
    status = 400
    if form.is_valid():
        enabled = form.cleaned_data["enabled"]
        ai_was_on = reply_mode() == "ai"
        try:
            auto_reply_config_set(enabled=enabled, message=form.cleaned_data["message"])
        except ApplicationError as exc:
            exc.extra.setdefault("field", "message")
            status = form_refusal(form, exc)
        else:
            messages.success(request, _("Auto-reply settings saved."))
            if enabled and ai_was_on:
                messages.warning(request, _("AI auto-reply was turned off: only one of them can answer."))
            return redirect_to_tab("auto-reply")
    return auto_reply_page(request, status=status, auto_reply_form=form)
