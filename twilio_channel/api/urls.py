"""The staff API under `/api/`, each route with and without a trailing slash.
Literal segments come before parameters; `/api/messages/<sid>` takes only Twilio SID shapes."""

from django.urls import include, path

from core.urls import slash_optional_path
from twilio_channel.api import insights_views, views

urlpatterns = [
    *slash_optional_path("health", views.HealthView.as_view(), "api-health"),
    *slash_optional_path("send-message", views.SendMessageView.as_view(), "api-send-message"),
    *slash_optional_path("messages", views.MessageListView.as_view(), "api-messages"),
    *slash_optional_path("messages/stats", views.MessageStatsView.as_view(), "api-messages-stats"),
    *slash_optional_path("messages/<int:message_id>/retry", views.MessageRetryView.as_view(), "api-message-retry"),
    *slash_optional_path("conversations", views.ConversationListView.as_view(), "api-conversations"),
    path("conversations/<path:participant>/mode", views.ConversationModeView.as_view(), name="api-conversation-mode"),
    path("conversations/<path:participant>", views.ConversationView.as_view(), name="api-conversation"),
    *slash_optional_path("insights", insights_views.InsightsView.as_view(), "api-insights"),
    *slash_optional_path("auto-reply/config", views.AutoReplyConfigView.as_view(), "api-auto-reply-config"),
    *slash_optional_path("ai/config", views.AIConfigView.as_view(), "api-ai-config"),
    # Twilio's own copy of the messages (sync, remote list, fetch, redact, delete).
    path("", include("twilio_channel.api.remote_urls")),
    # The AI helpers: test, conversation, generate-and-send, reply.
    path("", include("twilio_channel.api.ai_urls")),
]
