"""The AI helpers under `/api/ai/`, each with and without a
trailing slash; `/api/ai/config` is in urls.py."""

from core.urls import slash_optional_path
from twilio_channel.api import ai_views

urlpatterns = [
    *slash_optional_path("ai/test", ai_views.AITestView.as_view(), "api-ai-test"),
    *slash_optional_path("ai/conversation", ai_views.AIConversationView.as_view(), "api-ai-conversation"),
    *slash_optional_path("ai/send", ai_views.AISendView.as_view(), "api-ai-send"),
    *slash_optional_path("ai/reply", ai_views.AIReplyView.as_view(), "api-ai-reply"),
]
