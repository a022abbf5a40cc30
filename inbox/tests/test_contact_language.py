"""A contact's language, when its channel says which it uses: kept when the site speaks it, and the
inbox's own answers ("text only" here) speak it; an unknown language falls back to the default."""

import pytest

from inbox.models import Contact

pytestmark = pytest.mark.django_db
PHOTO = [{"kind": "photo", "ref": "file-1"}]
# The test channel's 50 characters split the answer in two: its first parts.
POLISH = "(1/2) Na razie czytam tylko tekst."
ENGLISH = "(1/2) I can read text only for now."


def answers(recorded) -> list[str]:
    return [message.content for message in recorded.sent if message.content.startswith("(1/2)")]


def language() -> str:
    return Contact.objects.get(channel="test", address="chat-1").language


def test_the_text_only_answer_speaks_the_contacts_language(deliver, recorded):
    deliver("", media=PHOTO, language="pl-PL")
    assert language() == "pl"
    deliver("", media=PHOTO)  # the channel did not say this time: the language stays
    deliver("", media=PHOTO, language="de")  # one the site does not speak: the default
    assert language() == ""
    deliver("", media=PHOTO, language="en")
    assert answers(recorded) == [POLISH, POLISH, ENGLISH, ENGLISH]


def test_a_new_contact_of_another_address_keeps_its_own(deliver, recorded):
    deliver("Hello", address="chat-2", language="en")
    deliver("", media=PHOTO, language="pl")
    assert Contact.objects.get(address="chat-2").language == "en" and language() == "pl"
    assert answers(recorded) == [POLISH]
