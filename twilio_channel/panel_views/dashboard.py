"""The dashboard `/` for staff: `?tab=` picks the tab, each rendered by its page's module."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from twilio_channel.panel_views.access import staff_required
from twilio_channel.panel_views.ai_tab import ai_page
from twilio_channel.panel_views.auto_reply_tab import auto_reply_page
from twilio_channel.panel_views.handoff import handoff_page
from twilio_channel.panel_views.insights_tab import insights_page
from twilio_channel.panel_views.knowledge_tab import gaps_page, knowledge_page
from twilio_channel.panel_views.messages_tab import messages_page
from twilio_channel.panel_views.simulator import simulator_page

TABS = ["messages", "auto-reply", "ai", "handoff", "insights", "simulator", "knowledge", "gaps"]
# The configuration tabs, the simulator and the knowledge base: superusers only; an agent sees the
# messages, the handoff inbox and the insights.
SUPERUSER_TABS = {"auto-reply", "ai", "simulator", "knowledge", "gaps"}
PAGES = {
    "messages": messages_page,
    "auto-reply": auto_reply_page,
    "ai": ai_page,
    "handoff": handoff_page,
    "insights": insights_page,
    "simulator": simulator_page,
    "knowledge": knowledge_page,
    "gaps": gaps_page,
}


@staff_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """`/` for staff (core.views.root calls it through STAFF_HOME_VIEW); `?tab=` picks the tab."""
    tab = request.GET.get("tab", "messages")
    tab = tab if tab in TABS else "messages"
    if tab in SUPERUSER_TABS and not request.user.is_superuser:
        raise PermissionDenied
    return PAGES[tab](request)
