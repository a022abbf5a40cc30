"""The staff panel's pages (CONTRACT §5.1, §8.1), namespace `staff:`. The dashboard itself is `/`
(core.views.root, through STAFF_HOME_VIEW); its forms and fragments live under `/staff/`, which
no API path uses, and the chat view is `/chat/<participant>` (literal endings before the bare
participant, which may hold `whatsapp:`)."""

from django.urls import path

from twilio_channel import panel_views as views

app_name = "staff"
urlpatterns = [
    path("chat/<path:participant>/messages", views.chat_messages, name="chat-messages"),
    path("chat/<path:participant>/reply", views.chat_reply, name="chat-reply"),
    path("chat/<path:participant>/mode", views.chat_mode, name="chat-mode"),
    path("chat/<path:participant>", views.chat, name="chat"),
    path("staff/messages/", views.messages_fragment, name="messages"),
    path("staff/messages/<int:message_id>/retry/", views.retry, name="retry"),
    path("staff/send/", views.send, name="send"),
    path("staff/auto-reply/", views.auto_reply_save, name="auto-reply"),
    path("staff/ai/", views.ai_config_save, name="ai-config"),
    path("staff/ai/test/", views.ai_test_run, name="ai-test"),
    path("staff/simulator/", views.simulator_send, name="simulator"),
    path("staff/simulator/thread/", views.simulator_thread, name="simulator-thread"),
    path("staff/handoff/<int:conversation_id>/", views.handoff_conversation, name="handoff-conversation"),
    path("staff/handoff/<int:conversation_id>/answer/", views.handoff_answer, name="handoff-answer"),
    path("staff/handoff/<int:conversation_id>/mode/", views.handoff_mode, name="handoff-mode"),
]
