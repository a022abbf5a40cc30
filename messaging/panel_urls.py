"""The panel's conversation pages, under `/app/`."""

from django.urls import path
from django.views.generic import RedirectView

from messaging import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="panel:conversations"), name="panel"),
    path("conversations/", views.conversation_list, name="conversations"),
    path("conversations/new/", views.conversation_new, name="conversation-new"),
    path("conversations/recipients/", views.recipient_options, name="recipient-options"),
    path("conversations/read-all/", views.read_all, name="read-all"),
    path("conversations/assistant/mode/", views.ai_mode, name="ai-mode"),
    path("conversations/assistant/clear/", views.ai_clear, name="ai-clear"),
    path("conversations/<text:conversation_key>/", views.conversation_detail, name="conversation"),
    path("conversations/<text:conversation_key>/messages/", views.conversation_messages, name="conversation-messages"),
    path("conversations/<text:conversation_key>/send/", views.conversation_send, name="conversation-send"),
    path("conversations/<text:conversation_key>/read/", views.conversation_read, name="conversation-read"),
    path("messages/<int:message_id>/edit/", views.message_edit, name="message-edit"),
    path("messages/<int:message_id>/delete/", views.message_delete, name="message-delete"),
]
