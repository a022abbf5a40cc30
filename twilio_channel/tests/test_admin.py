"""The Twilio channel in the Django admin: the auto-reply switch, contacts' opt-out, the status log."""

import pytest
from django.urls import reverse

from inbox.models import AutoReplyConfig, Contact
from twilio_channel.models import MessageStatusEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_web(client, superuser):
    client.force_login(superuser)
    return client


def test_enabling_the_auto_reply_needs_its_text(admin_web):
    response = admin_web.post(reverse("admin:inbox_autoreplyconfig_add"), {"enabled": "on", "message": "  "})
    assert response.status_code == 200
    assert "Auto-reply text is required when the feature is enabled." in response.content.decode()
    assert not AutoReplyConfig.objects.exists()


def test_enabling_sets_since_and_disabling_clears_it(admin_web):
    url = reverse("admin:inbox_autoreplyconfig_add")
    assert admin_web.post(url, {"enabled": "on", "message": "  We are closed today.  "}).status_code == 302
    config = AutoReplyConfig.objects.get(pk=1)
    assert (config.enabled, config.message) == (True, "We are closed today.")
    since = config.enabled_since
    assert since is not None

    change = reverse("admin:inbox_autoreplyconfig_change", args=[1])
    assert admin_web.post(change, {"enabled": "on", "message": "New text"}).status_code == 302
    config.refresh_from_db()
    assert (config.message, config.enabled_since) == ("New text", since)  # still on: kept

    assert admin_web.post(change, {"message": "New text"}).status_code == 302
    config.refresh_from_db()
    assert (config.enabled, config.enabled_since) == (False, None)


def test_a_text_over_640_characters_is_refused(admin_web):
    url = reverse("admin:inbox_autoreplyconfig_add")
    response = admin_web.post(url, {"enabled": "on", "message": "x" * 641})
    assert response.status_code == 200
    assert not AutoReplyConfig.objects.exists()


def test_staff_opt_a_contact_out_and_back_in(admin_web):
    contact = Contact.objects.create(number="+48123456789", channel="sms")
    url = reverse("admin:inbox_contact_changelist")
    admin_web.post(url, {"action": "opt_out", "_selected_action": [contact.pk]})
    contact.refresh_from_db()
    assert (contact.opted_out, contact.opt_out_source) == (True, "staff")
    admin_web.post(url, {"action": "opt_in", "_selected_action": [contact.pk]})
    contact.refresh_from_db()
    assert (contact.opted_out, contact.opted_out_at) == (False, None)


def test_the_status_log_is_read_only(admin_web):
    event = MessageStatusEvent.objects.create(twilio_sid="SM" + "1" * 32, status="sent")
    assert admin_web.get(reverse("admin:twilio_channel_messagestatusevent_changelist")).status_code == 200
    assert (
        admin_web.post(
            reverse("admin:twilio_channel_messagestatusevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert MessageStatusEvent.objects.count() == 1
