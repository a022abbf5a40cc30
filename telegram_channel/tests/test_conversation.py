"""A chat with the bot through the webhook: text and captions in, media kept as references and
answered "text only", the /start, /stop and /help commands, and "human"/"bot"."""

import pytest

from messaging.enums import ConversationMode
from messaging.models import Message
from telegram_channel.channel import HELP_TEXT
from telegram_channel.tests.conftest import CHAT_ID, message_update, texts_sent

pytestmark = pytest.mark.django_db

PHOTO = [{"file_id": "small-id", "width": 90}, {"file_id": "large-id", "width": 1280}]


def inbound(update_id: int) -> Message:
    return Message.objects.get(channel="telegram", external_id=str(update_id))


def test_a_text_is_stored_and_answered_in_the_chat(telegram_post, echo, bot_api):
    telegram_post(message_update(1, "Hello there"))
    message = inbound(1)
    assert (message.content, message.participant_number, message.direction) == ("Hello there", str(CHAT_ID), "inbound")
    assert texts_sent(bot_api) == ["Echo: Hello there"]
    reply = Message.objects.get(in_reply_to=message)
    assert (reply.channel, reply.status, reply.participant_number) == ("telegram", "sent", str(CHAT_ID))


def test_a_caption_is_the_text_and_the_photo_a_reference(telegram_post, echo, bot_api):
    telegram_post(message_update(2, None, caption="Look at this leak", photo=PHOTO))
    message = inbound(2)
    assert message.content == "Look at this leak"
    assert message.media == [{"kind": "photo", "ref": "large-id"}]
    assert texts_sent(bot_api) == ["Echo: Look at this leak"]


@pytest.mark.parametrize(
    ("field", "value", "ref"),
    [
        ("photo", PHOTO, {"kind": "photo", "ref": "large-id"}),
        (
            "voice",
            {"file_id": "voice-id", "duration": 3, "mime_type": "audio/ogg"},
            {"kind": "voice", "ref": "voice-id"},
        ),
        (
            "document",
            {"file_id": "doc-id", "file_name": "plan.pdf", "mime_type": "application/pdf"},
            {"kind": "document", "ref": "doc-id", "file_name": "plan.pdf"},
        ),
    ],
)
def test_media_alone_is_kept_and_answered_text_only(telegram_post, echo, bot_api, field, value, ref):
    from inbox.services.answer import MEDIA_UNSUPPORTED

    telegram_post(message_update(3, None, **{field: value}))
    message = inbound(3)
    assert message.content == ""
    assert {key: message.media[0][key] for key in ref} == ref
    assert texts_sent(bot_api) == [str(MEDIA_UNSUPPORTED)]
    assert "text only" in str(MEDIA_UNSUPPORTED)


@pytest.mark.parametrize("command", ["/help", "/start", "/help@ai_messaging_test_bot"])
def test_start_and_help_answer_with_the_help_text(telegram_post, echo, bot_api, command):
    telegram_post(message_update(4, command))
    assert texts_sent(bot_api) == [str(HELP_TEXT)]


def test_stop_opts_out_then_a_send_is_refused_locally_and_start_opts_back_in(telegram_post, echo, bot_api):
    from inbox.models import Contact
    from inbox.services.replies import channel_send

    telegram_post(message_update(5, "/stop"))
    contact = Contact.objects.get(channel="telegram", address=str(CHAT_ID))
    assert contact.opted_out
    telegram_post(message_update(6, "Are you there?"))
    refused = channel_send(channel="telegram", address=str(CHAT_ID), text="A staff note")
    assert refused.status == "failed"
    assert bot_api.sent == []  # no reply to /stop nor after it, and the staff send never left

    telegram_post(message_update(7, "/start"))
    contact.refresh_from_db()
    assert not contact.opted_out
    telegram_post(message_update(8, "Back again"))
    assert texts_sent(bot_api)[-1] == "Echo: Back again"


def test_human_and_bot_switch_the_mode(telegram_post, echo, bot_api):
    telegram_post(message_update(9, "human"))
    conversation = inbound(9).conversation
    assert conversation.mode == ConversationMode.HUMAN
    telegram_post(message_update(10, "Anyone?"))
    answered = len(bot_api.sent)
    telegram_post(message_update(11, "bot"))
    conversation.refresh_from_db()
    assert conversation.mode == ConversationMode.AI
    telegram_post(message_update(12, "Hi again"))
    assert len(bot_api.sent) == answered + 2 and texts_sent(bot_api)[-1] == "Echo: Hi again"


def in_language(update: dict, code: str) -> dict:
    update["message"]["from"]["language_code"] = code
    return update


def test_help_and_text_only_answer_in_the_users_language(telegram_post, echo, bot_api):
    from inbox.services.answer import MEDIA_UNSUPPORTED

    telegram_post(in_language(message_update(13, "/help"), "pl"))
    telegram_post(in_language(message_update(14, None, photo=PHOTO), "pl-PL"))
    assert texts_sent(bot_api) == [
        "Jestem asystentem AI: napisz pytanie, a odpowiem. /help pokazuje ten tekst, /stop wyłącza moje "
        'wiadomości (/start je przywraca). Napisz "human", aby porozmawiać z człowiekiem, i "bot", aby wrócić '
        "do mnie. Aby pozwolić mi działać na Twoim koncie, użyj opcji Połącz Telegram na stronie profilu.",
        "Na razie czytam tylko tekst. Napisz, proszę, wiadomość tekstem.",
    ]
    # A language the site does not speak: the default (English), not the Polish of before.
    telegram_post(in_language(message_update(15, "/help"), "de"))
    telegram_post(in_language(message_update(16, None, photo=PHOTO), "en"))
    assert texts_sent(bot_api)[2:] == [str(HELP_TEXT), str(MEDIA_UNSUPPORTED)]
    assert "text only" in texts_sent(bot_api)[-1]
