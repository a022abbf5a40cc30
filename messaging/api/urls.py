"""Literal `/messages/...` segments come before `messages/<int:message_id>` (CONTRACT §0.3.7)."""

from core.urls import seed_path
from messaging.api import views

urlpatterns = [
    *seed_path("messages", views.MessagesView.as_view(), "messages"),
    *seed_path("messages/sent", views.SentView.as_view(), "messages-sent"),
    *seed_path("messages/received", views.ReceivedView.as_view(), "messages-received"),
    *seed_path("messages/unread/count", views.UnreadCountView.as_view(), "messages-unread-count"),
    *seed_path("messages/read-all", views.ReadAllView.as_view(), "messages-read-all"),
    *seed_path("messages/history", views.HistoryView.as_view(), "messages-history"),
    *seed_path("messages/history/clear", views.HistoryClearView.as_view(), "messages-history-clear"),
    *seed_path("messages/ai", views.AiMessageView.as_view(), "messages-ai"),
    *seed_path("messages/ai/twilio", views.AiMessageView.as_view(), "messages-ai-twilio"),
    *seed_path("messages/<int:message_id>", views.MessageDetailView.as_view(), "message"),
    *seed_path("messages/<int:message_id>/read", views.MessageReadView.as_view(), "message-read"),
    *seed_path("auth/conversations", views.ConversationsView.as_view(), "conversations"),
    *seed_path(
        "auth/conversations/<text:conversation_id>/messages",
        views.ConversationMessagesView.as_view(),
        "conversation-messages",
    ),
    *seed_path(
        "auth/conversations/<text:conversation_id>/read", views.ConversationReadView.as_view(), "conversation-read"
    ),
]
