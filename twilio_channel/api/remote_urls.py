"""Twilio's own copy of the messages (T8–T11), each with and without a trailing slash. `remote`
comes before the SID routes, and `<twilio_sid:...>` takes only Twilio SID shapes,
so `/api/messages/<id>/retry` and `stats` never reach them."""

from django.urls import register_converter

from core.urls import slash_optional_path
from twilio_channel.api import remote_views


class TwilioSidConverter:
    """Two capital letters and 32 hex digits: SM…, MM…"""

    regex = "[A-Z]{2}[0-9a-fA-F]{32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TwilioSidConverter, "twilio_sid")

urlpatterns = [
    *slash_optional_path("messages/remote", remote_views.RemoteMessageListView.as_view(), "api-messages-remote"),
    *slash_optional_path(
        "messages/<twilio_sid:sid>/redact", remote_views.RemoteMessageRedactView.as_view(), "api-message-redact"
    ),
    *slash_optional_path("messages/<twilio_sid:sid>", remote_views.RemoteMessageView.as_view(), "api-message-remote"),
]
