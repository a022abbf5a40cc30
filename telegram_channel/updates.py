"""A Telegram update as the channel reads it: the webhook and the poller parse it here, the same way."""

from dataclasses import dataclass, field
from typing import Any

from core.text import data_clean

MEDIA_KINDS = ("photo", "voice", "audio", "video", "video_note", "document", "sticker", "animation")


class UpdateInvalid(ValueError):
    """Not a Telegram update: `field` names what is missing or wrong."""

    def __init__(self, field_name: str):
        super().__init__(f"Field '{field_name}' is missing or invalid.")
        self.field = field_name


@dataclass(frozen=True)
class Update:
    update_id: int
    chat_id: str  # the chat's address on the channel
    text: str  # the text, or a media message's caption
    name: str = ""
    language: str = ""
    media: list[dict[str, str]] = field(default_factory=list)  # references (file ids), never the files
    member_status: str = ""  # a `my_chat_member` update: the bot's new status in the chat ("kicked": blocked)

    @property
    def command(self) -> tuple[str, str]:
        """("/start", "code") for `/start code` (and `/start@our_bot code`); ("", "") for a plain text."""
        if not self.text.startswith("/"):
            return "", ""
        head, _, rest = self.text.strip().partition(" ")
        return head.split("@", 1)[0].lower(), rest.strip()


def update_parse(data: Any) -> Update | None:
    """The update in `data` (decoded JSON); None for one that carries no private message we take
    (an edit, a group's or channel's post, a bot's message): acknowledged, not stored."""
    if not isinstance(data, dict):
        raise UpdateInvalid("update_id")
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        raise UpdateInvalid("update_id")
    if isinstance(data.get("my_chat_member"), dict):
        return _member_parse(update_id, data["my_chat_member"])
    message = data.get("message")
    if message is None:
        return None
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        raise UpdateInvalid("message.chat")
    message = data_clean(message)
    chat, sender = message["chat"], message.get("from") if isinstance(message.get("from"), dict) else {}
    if not isinstance(chat.get("id"), int) or chat.get("type") != "private" or sender.get("is_bot"):
        return None
    text = message.get("text") if isinstance(message.get("text"), str) else message.get("caption")
    name = " ".join(str(sender.get(key) or "") for key in ("first_name", "last_name")).strip()
    return Update(
        update_id=update_id,
        chat_id=str(chat["id"]),
        text=text if isinstance(text, str) else "",
        name=name[:100] or str(sender.get("username") or "")[:100],
        language=str(sender.get("language_code") or "")[:8],
        media=[ref for kind in MEDIA_KINDS if (ref := _media_ref(kind, message.get(kind))) is not None],
    )


def _member_parse(update_id: int, member: dict[str, Any]) -> Update | None:
    chat, new = member.get("chat"), member.get("new_chat_member")
    status = new.get("status") if isinstance(new, dict) else None
    if isinstance(chat, dict) and chat.get("type") == "private" and isinstance(chat.get("id"), int) and status:
        return Update(update_id, str(chat["id"]), text="", member_status=str(status))
    return None


def _media_ref(kind: str, value: Any) -> dict[str, str] | None:
    if isinstance(value, list):  # a photo comes in sizes: the largest is the last
        value = value[-1] if value else None
    if not isinstance(value, dict) or not isinstance(value.get("file_id"), str):
        return None
    ref = {"kind": kind, "ref": value["file_id"]}
    for key in ("mime_type", "file_name"):
        if isinstance(value.get(key), str):
            ref[key] = value[key][:200]
    return ref
