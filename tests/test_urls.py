"""Every family of URL reaches the same view by the same name, whatever the order of the includes
in config/urls.py (the public API is tried first because it is the hot path)."""

import pytest
from django.urls import Resolver404, get_resolver, resolve, reverse

# path -> (view name, view), as the URL configuration resolved them before the API moved first.
RESOLVED = {
    "/": ("root", "core.views.root"),
    "/health": ("health", "core.views.health"),
    "/ready": ("ready", "core.views.ready"),
    "/auth/login": ("auth-login", "accounts.api.views.LoginView"),
    "/auth/login/": ("accounts.api.views.LoginView", "accounts.api.views.LoginView"),
    "/messages": ("messages", "messaging.api.views.MessagesView"),
    "/messages/1": ("message", "messaging.api.views.MessageDetailView"),
    "/messages/unread/count": ("messages-unread-count", "messaging.api.views.UnreadCountView"),
    "/reports": ("reports", "reports.api.views.ReportsView"),
    "/reports/7/comment": ("report-comment", "reports.api.views.ReportCommentView"),
    "/auth/conversations/conv_1_2/messages": ("conversation-messages", "messaging.api.views.ConversationMessagesView"),
    "/api/v1/": ("core.api.views.ApiRootView", "core.api.views.ApiRootView"),
    "/api/v1/messages": ("v1:messages", "messaging.api.views.MessagesView"),
    "/api/messages": ("api-messages", "twilio_channel.api.views.MessageListView"),
    "/api/conversations/%2B48123456789": ("api-conversation", "twilio_channel.api.views.ConversationView"),
    "/twilio/inbound": ("twilio-inbound", "twilio_channel.views.inbound"),
    "/twilio_webhook": ("twilio-webhook", "twilio_channel.views.twilio_webhook"),
    "/twilio/status": ("twilio-status", "twilio_channel.views.status_callback"),
    "/app/conversations/": ("panel:conversations", "messaging.views.conversation_list"),
    "/chat/%2B48123456789": ("staff:chat", "twilio_channel.panel_views.chat.chat"),
    "/staff/send/": ("staff:send", "twilio_channel.panel_views.messages_tab.send"),
    "/admin/": ("admin:index", "django.contrib.admin.sites.index"),
    "/admin/messaging/message/1/change/": (
        "admin:messaging_message_change",
        "django.contrib.admin.options.change_view",
    ),
    "/api/schema/": ("schema", "drf_spectacular.views.SpectacularAPIView"),
    "/docs": ("docs", "drf_spectacular.views.SpectacularSwaggerSplitView"),
    "/i18n/setlang/": ("set_language", "django.views.i18n.set_language"),
    "/accounts/login/": ("login", "accounts.views.SessionLoginView"),
}


@pytest.mark.parametrize("path", RESOLVED)
def test_every_family_reaches_its_view(path):
    match = resolve(path)
    assert (match.view_name, match._func_path) == RESOLVED[path]


@pytest.mark.parametrize("path", ["/nope", "/auth/nope", "/messages/x"])
def test_unknown_paths_stay_unknown(path):
    with pytest.raises(Resolver404):
        resolve(path)


def test_names_reverse_to_the_same_paths():
    assert reverse("messages") == "/messages"
    assert reverse("v1:messages") == "/api/v1/messages"
    assert reverse("staff:messages") == "/staff/messages/"
    assert reverse("api-messages") == "/api/messages"
    assert reverse("admin:index") == "/admin/"


def test_the_webhooks_and_the_api_are_tried_before_the_panels_and_the_admin():
    patterns = get_resolver().url_patterns
    modules = [getattr(getattr(p, "urlconf_name", None), "__name__", None) for p in patterns]
    names = [getattr(p, "name", None) for p in patterns]
    public_api = modules.index("config.public_api_urls")  # the root mount (the /api/v1/ one is a tuple)
    assert modules.index("twilio_channel.urls") < public_api  # three patterns: Twilio waits on each answer
    assert public_api < names.index("schema")
    assert public_api < min(i for i, p in enumerate(patterns) if str(p.pattern) == "admin/")
    public_api_apps = [str(p.urlconf_name.__name__) for p in patterns[public_api].url_patterns]
    assert public_api_apps[0] == "messaging.api.urls"  # the message list and create try the fewest patterns
