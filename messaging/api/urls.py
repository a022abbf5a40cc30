"""Literal `/messages/...` segments come before `messages/<int:message_id>`."""

from core.urls import slash_optional_path
from messaging.api import views

urlpatterns = [
    *slash_optional_path("messages", views.MessagesView.as_view(), "messages"),
    *slash_optional_path("messages/sent", views.SentView.as_view(), "messages-sent"),
    *slash_optional_path("messages/received", views.ReceivedView.as_view(), "messages-received"),
    *slash_optional_path("messages/unread/count", views.UnreadCountView.as_view(), "messages-unread-count"),
    *slash_optional_path("messages/read-all", views.ReadAllView.as_view(), "messages-read-all"),
    *slash_optional_path("messages/history", views.HistoryView.as_view(), "messages-history"),
    *slash_optional_path("messages/history/clear", views.HistoryClearView.as_view(), "messages-history-clear"),
    *slash_optional_path("messages/ai", views.AiMessageView.as_view(), "messages-ai"),
    *slash_optional_path("messages/ai/twilio", views.AiMessageView.as_view(), "messages-ai-twilio"),
    *slash_optional_path("messages/<int:message_id>", views.MessageDetailView.as_view(), "message"),
    *slash_optional_path("messages/<int:message_id>/read", views.MessageReadView.as_view(), "message-read"),
    *slash_optional_path("auth/conversations", views.ConversationsView.as_view(), "conversations"),
    *slash_optional_path(
        "auth/conversations/<text:conversation_id>/messages",
        views.ConversationMessagesView.as_view(),
        "conversation-messages",
    ),
    *slash_optional_path(
        "auth/conversations/<text:conversation_id>/read", views.ConversationReadView.as_view(), "conversation-read"
    ),
]
