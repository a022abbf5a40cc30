"""The staff panel's pages, namespace `staff:`. The dashboard itself is `/`
(core.views.root, through STAFF_HOME_VIEW); its forms and fragments live under `/staff/`, which
no API path uses, and the chat view is `/chat/<participant>` (literal endings before the bare
participant, which may hold `whatsapp:`)."""

from django.urls import path

from twilio_channel.panel_views import ai_tab, auto_reply_tab, chat, handoff, knowledge_tab, messages_tab, simulator

app_name = "staff"
urlpatterns = [
    path("chat/<path:participant>/messages", chat.chat_messages, name="chat-messages"),
    path("chat/<path:participant>/reply", chat.chat_reply, name="chat-reply"),
    path("chat/<path:participant>/mode", chat.chat_mode, name="chat-mode"),
    path("chat/<path:participant>", chat.chat, name="chat"),
    path("staff/messages/", messages_tab.messages_fragment, name="messages"),
    path("staff/messages/<int:message_id>/retry/", messages_tab.retry, name="retry"),
    path("staff/send/", messages_tab.send, name="send"),
    path("staff/auto-reply/", auto_reply_tab.auto_reply_save, name="auto-reply"),
    path("staff/ai/", ai_tab.ai_config_save, name="ai-config"),
    path("staff/ai/test/", ai_tab.ai_test_run, name="ai-test"),
    path("staff/simulator/", simulator.simulator_send, name="simulator"),
    path("staff/simulator/thread/", simulator.simulator_thread, name="simulator-thread"),
    path("staff/handoff/<int:conversation_id>/", handoff.handoff_conversation, name="handoff-conversation"),
    path("staff/handoff/<int:conversation_id>/answer/", handoff.handoff_answer, name="handoff-answer"),
    path("staff/handoff/<int:conversation_id>/mode/", handoff.handoff_mode, name="handoff-mode"),
    path("staff/knowledge/upload/", knowledge_tab.knowledge_upload, name="knowledge-upload"),
    path("staff/knowledge/paste/", knowledge_tab.knowledge_paste, name="knowledge-paste"),
    path("staff/knowledge/<int:document_id>/delete/", knowledge_tab.knowledge_delete, name="knowledge-delete"),
    path(
        "staff/knowledge/gaps/<int:gap_id>/resolve/", knowledge_tab.knowledge_gap_resolve, name="knowledge-gap-resolve"
    ),
]
