"""The panel's conversation pages (`/app/conversations/...`): what a user sees and may do, through
the Django test client (the browser tests in tests/browser drive the same pages in Chromium)."""

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from messaging.enums import ConversationMode, ReplyState
from messaging.models import Conversation, Message
from messaging.selectors import lists as message_lists
from messaging.services.messages import message_send, staff_message_send

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html"}


def send(sender, recipient, content: str = "hello") -> Message:
    """A message stored as the panel and the API store one (the pair's conversation with its owners)."""
    return message_send(sender=sender, recipient_id=recipient.pk, content=content)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_visitors_are_sent_to_the_login_page():
    for path in ("/app/conversations/", "/app/conversations/conv_1_2/", "/app/conversations/new/", "/app/profile/"):
        response = Client().get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next="), path


def test_the_root_sends_each_visitor_to_their_panel(user):
    # Where staff land is the staff panel's (STAFF_HOME_VIEW); end users land here.
    assert Client().get("/", **HTML)["Location"] == "/accounts/login/?next=/"
    assert browser(user).get("/", **HTML)["Location"] == "/app/"
    assert browser(user).get("/app/")["Location"] == "/app/conversations/"
    assert Client().get("/").json() == {"message": "AI Messaging", "docs": "/docs"}


def test_the_list_pins_the_assistant_first_and_shows_unread_badges(user, other_user):
    send(other_user, user, "hello from the other side")
    text = browser(user).get("/app/conversations/").content.decode()
    assistant, other = text.index("AI Assistant"), text.index(other_user.username)
    assert assistant < other
    assert "hello from the other side" in text
    assert "1 unread" in text
    assert f'href="/app/conversations/conv_-1_{user.pk}/"' in text


def test_opening_a_thread_shows_it_oldest_first_and_marks_it_read(user, other_user):
    first = send(other_user, user, "alpha-one")
    send(user, other_user, "beta-two")
    text = browser(user).get(f"/app/conversations/{first.conversation.key}/").content.decode()
    assert text.index("alpha-one") < text.index("beta-two")
    assert other_user.username in text and "You" in text
    first.refresh_from_db()
    assert first.is_read
    other_view = browser(other_user).get("/app/conversations/").content.decode()
    assert other_view.count("1 unread") == 2  # the total and the thread: only what `user` sent them


def test_a_user_never_sees_another_users_thread(user, other_user, superuser):
    message = send(other_user, superuser, "private")
    key = message.conversation.key
    client = browser(user)
    assert client.get(f"/app/conversations/{key}/").status_code == 404
    assert client.get(f"/app/conversations/{key}/messages/").status_code == 404
    assert client.post(f"/app/conversations/{key}/send/", {"content": "let me in"}).status_code == 404
    assert client.get(f"/app/conversations/conv_-1_{other_user.pk}/").status_code == 404
    assert client.post(f"/app/messages/{message.pk}/edit/", {"content": "changed"}).status_code == 404
    assert client.post(f"/app/messages/{message.pk}/delete/").status_code == 404
    message.refresh_from_db()
    assert message.content == "private"
    assert not Message.objects.filter(content="let me in").exists()


def test_sending_in_a_thread_stores_the_message_for_the_other_user(user, other_user):
    key = send(other_user, user).conversation.key
    response = browser(user).post(f"/app/conversations/{key}/send/", {"content": "reply"})
    assert response.status_code == 302
    sent = Message.objects.get(content="reply")
    assert (sent.sender_id, sent.recipient_id, sent.conversation.key) == (user.pk, other_user.pk, key)


def test_an_htmx_send_answers_with_the_thread_and_clears_the_composer(user, other_user):
    key = send(other_user, user).conversation.key
    response = browser(user).post(f"/app/conversations/{key}/send/", {"content": "via htmx"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "message-sent"
    assert 'id="thread-messages"' in response.content.decode() and "via htmx" in response.content.decode()
    empty = browser(user).post(f"/app/conversations/{key}/send/", {"content": ""}, HTTP_HX_REQUEST="true")
    assert empty.status_code == 400
    assert empty["HX-Retarget"] == "#composer-errors"
    assert "Type a message first." in empty.content.decode()


def test_a_message_to_the_assistant_shows_it_typing_until_the_reply(
    user, ai_task_calls, django_capture_on_commit_callbacks
):
    key = f"conv_-1_{user.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        browser(user).post(f"/app/conversations/{key}/send/", {"content": "hi bot"})
    message = Message.objects.get(content="hi bot")
    assert ai_task_calls == [(message.pk,)]
    fragment = browser(user).get(f"/app/conversations/{key}/messages/").content.decode()
    assert "The assistant is typing" in fragment and 'hx-trigger="every 1s"' in fragment

    Message.objects.filter(pk=message.pk).update(reply_state=ReplyState.DONE)
    Message.objects.create(conversation=message.conversation, sender_id=-1, recipient_id=user.pk, content="hello human")
    fragment = browser(user).get(f"/app/conversations/{key}/messages/").content.decode()
    assert "hello human" in fragment
    assert "The assistant is typing" not in fragment and "hx-trigger" not in fragment  # polling stops


def test_a_reply_stored_while_the_thread_is_read_keeps_the_polling_until_it_is_shown(
    user, ai_task_calls, monkeypatch, django_capture_on_commit_callbacks
):
    """The worker may commit the reply between the page's reads. The fragment then either shows
    the reply or polls again; before, it showed neither, and the reply never appeared."""
    key = f"conv_-1_{user.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        browser(user).post(f"/app/conversations/{key}/send/", {"content": "hi bot"})
    message = Message.objects.get(content="hi bot")
    read_messages = message_lists.conversation_messages

    def read_then_reply(**kwargs):
        rows = read_messages(**kwargs)
        with transaction.atomic():  # the worker's commit lands right after the page read the thread
            Message.objects.filter(pk=message.pk).update(reply_state=ReplyState.DONE)
            Message.objects.create(
                conversation=message.conversation, sender_id=-1, recipient_id=user.pk, content="hello human"
            )
        return rows

    monkeypatch.setattr(message_lists, "conversation_messages", read_then_reply)
    fragment = browser(user).get(f"/app/conversations/{key}/messages/").content.decode()
    assert "hello human" in fragment or 'hx-trigger="every 1s"' in fragment
    monkeypatch.undo()
    fragment = browser(user).get(f"/app/conversations/{key}/messages/").content.decode()
    assert "hello human" in fragment and "hx-trigger" not in fragment


def test_a_message_that_arrives_while_the_thread_is_read_stays_unread_until_shown(user, other_user, monkeypatch):
    """Opening a thread marks read what it shows, not a message stored after the page read the
    thread: that one would count as read (its sender sees "Read") though nobody saw it."""
    shown = send(other_user, user, "shown")
    read_messages = message_lists.conversation_messages
    late: list[Message] = []

    def read_then_receive(**kwargs):
        rows = read_messages(**kwargs)
        late.append(send(other_user, user, "arrived meanwhile"))
        return rows

    monkeypatch.setattr(message_lists, "conversation_messages", read_then_receive)
    page = browser(user).get(f"/app/conversations/{shown.conversation.key}/").content.decode()
    assert "shown" in page and "arrived meanwhile" not in page
    shown.refresh_from_db()
    late[0].refresh_from_db()
    assert (shown.is_read, late[0].is_read) == (True, False)

    monkeypatch.undo()
    page = browser(user).get(f"/app/conversations/{shown.conversation.key}/").content.decode()
    assert "arrived meanwhile" in page
    late[0].refresh_from_db()
    assert late[0].is_read


def test_message_bodies_and_names_are_escaped(user, ai_task_calls):
    other = user.__class__.objects.create_user("<b>mallory</b>", "m@example.com", "secret123")
    send(other, user, "<script>alert(1)</script>")
    client = browser(user)
    listing = client.get("/app/conversations/").content.decode()
    thread = client.get(f"/app/conversations/conv_{user.pk}_{other.pk}/").content.decode()
    for text in (listing, thread):
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "<b>mallory</b>" not in text


def test_edit_and_delete_own_messages(user, other_user):
    mine = send(user, other_user, "typo")
    theirs = send(other_user, user, "theirs")
    client = browser(user)
    assert client.post(f"/app/messages/{mine.pk}/edit/", {"content": "fixed"}).status_code == 302
    mine.refresh_from_db()
    assert mine.content == "fixed"
    assert client.post(f"/app/messages/{theirs.pk}/edit/", {"content": "hacked"}).status_code == 404
    assert client.post(f"/app/messages/{mine.pk}/delete/").status_code == 302
    assert not Message.objects.filter(pk=mine.pk).exists()


def test_mark_read_and_mark_all_read(user, other_user, superuser):
    one = send(other_user, user)
    two = send(superuser, user)
    client = browser(user)
    client.post(f"/app/conversations/{one.conversation.key}/read/")
    one.refresh_from_db(), two.refresh_from_db()
    assert (one.is_read, two.is_read) == (True, False)
    client.post("/app/conversations/read-all/")
    two.refresh_from_db()
    assert two.is_read


def test_asking_for_a_human_and_handing_back(user):
    client = browser(user)
    client.post("/app/conversations/assistant/mode/", {"mode": "human"})
    conversation = Conversation.objects.get(key=f"conv_-1_{user.pk}")
    assert conversation.mode == ConversationMode.HUMAN
    text = client.get(f"/app/conversations/{conversation.key}/").content.decode()
    assert "Hand back to the AI" in text
    client.post("/app/conversations/assistant/mode/", {"mode": "ai"})
    conversation.refresh_from_db()
    assert conversation.mode == ConversationMode.AI


def test_clearing_the_assistants_history(user):
    page = browser(user).get(f"/app/conversations/conv_-1_{user.pk}/").content.decode()
    # The button asks first (panel.js reads data-confirm; tests/browser drives the dialog).
    assert 'action="/app/conversations/assistant/clear/" data-confirm="Clear the assistant' in page
    browser(user).post("/app/conversations/assistant/clear/")
    assert Conversation.objects.get(key=f"conv_-1_{user.pk}").context_reset_at is not None


def test_the_recipient_picker_finds_people_by_name_or_username(user, other_user):
    other_user.full_name = "Zofia Nowak"
    other_user.save()
    client = browser(user)
    by_name = client.get("/app/conversations/recipients/", {"q": "zofia"}).content.decode()
    assert f'value="{other_user.pk}"' in by_name and "AI Assistant" in by_name
    by_username = client.get("/app/conversations/recipients/", {"q": other_user.username[:4]}).content.decode()
    assert f'value="{other_user.pk}"' in by_username
    nobody = client.get("/app/conversations/recipients/", {"q": "no such person"}).content.decode()
    assert "Nobody matches" in nobody
    assert f'value="{user.pk}"' not in by_name  # never yourself


def test_a_new_message_opens_its_thread(user, other_user):
    response = browser(user).post("/app/conversations/new/", {"recipient": other_user.pk, "content": "hi there"})
    message = Message.objects.get(content="hi there")
    assert response["Location"] == f"/app/conversations/{message.conversation.key}/"
    missing = browser(user).post("/app/conversations/new/", {"content": "to nobody"})
    assert missing.status_code == 400 and "Choose a recipient." in missing.content.decode()
    unknown = browser(user).post("/app/conversations/new/", {"recipient": 999999, "content": "x"})
    assert unknown.status_code == 400 and "Recipient not found" in unknown.content.decode()


def test_the_pages_follow_the_browsers_language(user, other_user):
    send(other_user, user)
    text = browser(user).get("/app/conversations/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert '<html lang="pl">' in text
    assert "Rozmowy" in text and "Asystent AI" in text
    english = browser(user).get("/app/conversations/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Conversations" in english


def test_the_switcher_remembers_the_language(user):
    client = browser(user)
    response = client.post("/i18n/setlang/", {"language": "pl", "next": "/app/conversations/"})
    assert response["Location"] == "/app/conversations/"
    assert "Rozmowy" in client.get("/app/conversations/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_api_keeps_english_whatever_the_browsers_language(api_client):
    response = api_client.get("/messages", HTTP_ACCEPT_LANGUAGE="pl")
    assert response.json() == {"detail": "Not authenticated"}


def test_a_handed_over_assistant_thread_is_one_row_with_the_staff_answer(user, superuser):
    # Issue 28.5: the staff answer's sender is the agent, not the bot, so the thread was listed a
    # second time under "Human agent" while the pinned assistant kept its placeholder text.
    client = browser(user)
    client.post("/app/conversations/assistant/mode/", {"mode": "human"})
    thread = Conversation.objects.get(key=f"conv_-1_{user.pk}")
    client.post(f"/app/conversations/{thread.key}/send/", {"content": "a human please"})
    answer = staff_message_send(staff=superuser, conversation_id=thread.pk, content="Agent Smith here.")

    text = client.get("/app/conversations/").content.decode()
    assert text.count(f'data-key="{thread.key}"') == 1
    assert text.count('class="list-group-item') == 1
    assert "Agent Smith here." in text
    assert "Ask the assistant anything" not in text
    assert f'datetime="{timezone.localtime(answer.created_at).isoformat()[:19]}' in text
    assert "Human agent" in text


def test_a_handed_over_thread_polls_for_the_staff_answer(user, superuser):
    client = browser(user)
    client.post("/app/conversations/assistant/mode/", {"mode": "human"})
    thread = Conversation.objects.get(key=f"conv_-1_{user.pk}")
    page = client.get(f"/app/conversations/{thread.key}/").content.decode()
    assert f'hx-get="/app/conversations/{thread.key}/messages/"' in page
    staff_message_send(staff=superuser, conversation_id=thread.pk, content="Agent here.")
    fragment = client.get(f"/app/conversations/{thread.key}/messages/").content.decode()
    assert "Agent here." in fragment and 'hx-trigger="every' in fragment  # and it keeps polling
    client.post("/app/conversations/assistant/mode/", {"mode": "ai"})
    assert "hx-get" not in client.get(f"/app/conversations/{thread.key}/messages/").content.decode()


def test_a_long_last_message_is_previewed_to_a_whole_word_and_an_ellipsis(user, other_user):
    send(other_user, user, "word " * 15 + "supercalifragilistic expialidocious " * 3)
    text = browser(user).get("/app/conversations/").content.decode()
    preview = text.split('message-body">', 1)[1].split("</p>", 1)[0]
    assert preview.endswith("…") and len(preview) <= 81
    assert preview[:-1].split(" ")[-1] in {"word", "supercalifragilistic", "expialidocious"}
