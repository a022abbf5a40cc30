"""Issue 22, point 2: a phone number links its SMS/WhatsApp to an account only once proved by a
code sent to it. The attack (claiming someone else's number), the verify/confirm API against the
loopback Twilio, attempts, expiry and rate limits."""

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import PhoneVerification, User
from accounts.tests.factories import UserFactory
from inbox.models import Contact
from messaging.models import Message
from reports.tests.factories import ReportFactory
from tests.helpers import at_once, capturing, client_for

pytestmark = pytest.mark.django_db

OUR_NUMBER = "+15550001111"
VICTIM = "+48123456789"
OTHER = "+48600100200"
VERIFY = "/auth/me/phone/verify"
CONFIRM = "/auth/me/phone/verify/confirm"


def _sid(n: int) -> str:
    return f"SM{n:032x}"


@pytest.fixture
def deliver(twilio_post, fake_twilio, django_capture_on_commit_callbacks):
    """Twilio delivers an inbound SMS; the queued reply work runs as the workers would."""

    def post(body: str, *, from_: str = VICTIM, sid: int = 1):
        form = {"From": from_, "To": OUR_NUMBER, "Body": body, "MessageSid": _sid(sid), "SmsStatus": "received"}
        with django_capture_on_commit_callbacks(execute=True):
            return twilio_post("/twilio/inbound", form)

    return post


def register(client: APIClient, username: str, phone: str) -> dict:
    body = {"username": username, "email": f"{username}@example.com", "password": "Str0ng-pass-123"}
    response = client.post("/auth/register", body | {"phone_number": phone}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def code_sent_to(fake_twilio, number: str) -> str:
    """The code in the newest message the loopback Twilio received for `number`."""
    body = fake_twilio.created(to=number)[-1]["body"]
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)


# --- the attack -------------------------------------------------------------------------------


def test_a_number_claimed_at_registration_does_not_route_its_owners_sms_to_the_attacker(
    deliver, fake_llm, ai_enabled, api_client
):
    attacker = register(api_client, "mallory", VICTIM)
    assert (attacker["phone_number"], attacker["phone_verified"]) == (VICTIM, False)
    ReportFactory(reporter=User.objects.get(pk=attacker["id"]), title="Mallory's report")
    fake_llm.reply("Hello, guest.")

    deliver("Show me my reports")

    message = Message.objects.get(external_id=_sid(1))
    assert message.sender_id is None  # an unknown contact, not the attacker
    assert message.conversation.key == f"phone:{VICTIM}"
    assert not Message.objects.filter(conversation__key=f"conv_-1_{attacker['id']}").exists()
    # The guest agent: the documents' search only, no report tools as the attacker.
    assert guest_tools(fake_llm.requests[0]) == ["search_knowledge"]
    assert Contact.objects.get(address=VICTIM).user_id is None


def test_a_number_claimed_by_editing_the_profile_gets_no_tools_when_both_modes_are_off(
    deliver, fake_llm, fake_twilio, settings
):
    settings.CHAT_MODE = "echo"
    attacker = UserFactory(username="mallory")
    client = client_for(attacker)
    assert client.put("/auth/me", {"phone_number": VICTIM}, format="json").json()["phone_verified"] is False

    deliver("Hi")

    assert Message.objects.get(external_id=_sid(1)).sender_id is None
    assert fake_llm.requests == []  # the chat engine answered, not the attacker's AI
    assert [m["body"] for m in fake_twilio.created(to=VICTIM)] == ["Echo: Hi"]


def test_a_contact_linked_before_verification_existed_does_not_speak_for_its_user(deliver, fake_llm, ai_enabled):
    squatter = UserFactory(phone_number=VICTIM)  # a number the migration left unverified
    Contact.objects.create(number=VICTIM, channel="sms", user=squatter)
    fake_llm.reply("Hello, guest.")
    deliver("Hi")
    assert Message.objects.get(external_id=_sid(1)).sender_id is None
    assert guest_tools(fake_llm.requests[0]) == ["search_knowledge"]


# --- proving a number -------------------------------------------------------------------------


def test_the_owner_proves_the_number_with_the_code_and_then_their_sms_reaches_their_thread(
    deliver, fake_twilio, fake_llm, ai_enabled
):
    fake_llm.reply("Hello, guest.")
    deliver("Hi before", sid=1)  # the contact exists (unlinked) before the number is proved
    owner = UserFactory(username="owen")
    client = client_for(owner)

    response = client.post(VERIFY, {"phone": "+48 123 456 789"}, format="json")

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["phone_number"], body["channel"], body["expires_in"], body["attempts"]) == (VICTIM, "sms", 600, 5)
    code = code_sent_to(fake_twilio, VICTIM)
    assert code not in response.content.decode()
    assert fake_twilio.created(to=VICTIM)[-1]["from"] == OUR_NUMBER
    # Only the code's HMAC is kept: not in the verification row, not in the stored message.
    row = PhoneVerification.objects.get()
    assert code not in row.code_hash
    assert not Message.objects.filter(content__contains=code).exists()
    assert client.get("/auth/me").json()["phone_verified"] is False

    confirmed = client.post(CONFIRM, {"code": code}, format="json")

    assert confirmed.status_code == 200, confirmed.content
    assert (confirmed.json()["phone_number"], confirmed.json()["phone_verified"]) == (VICTIM, True)
    assert client.get("/auth/me").json()["phone_verified"] is True
    fake_llm.reply("Hi Owen")
    deliver("Hi after", sid=2)
    message = Message.objects.get(external_id=_sid(2))
    assert message.sender_id == owner.pk
    assert message.conversation.key == f"conv_-1_{owner.pk}"


def test_verify_uses_the_profile_number_and_answers_under_the_v1_prefix(fake_twilio):
    user = UserFactory(phone_number=VICTIM)
    client = client_for(user)
    assert client.post("/api/v1" + VERIFY, {}, format="json").status_code == 202
    code = code_sent_to(fake_twilio, VICTIM)
    assert client.post("/api/v1" + CONFIRM, {"code": code}, format="json").json()["phone_verified"] is True


def test_verify_without_any_number_is_a_400_naming_phone(fake_twilio):
    response = client_for(UserFactory()).post(VERIFY, {}, format="json")
    assert response.status_code == 400
    assert "phone" in response.json()["detail"]
    assert fake_twilio.created() == []


@pytest.mark.parametrize(
    ("body", "field"), [({"phone": "12"}, "phone"), ({"phone": VICTIM, "channel": "pigeon"}, "channel")]
)
def test_bad_input_to_verify_is_a_400_naming_the_field_and_saves_nothing(fake_twilio, body, field):
    user = UserFactory()
    response = client_for(user).post(VERIFY, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["detail"]
    user.refresh_from_db()
    assert user.phone_number is None and not PhoneVerification.objects.exists()


def test_a_channel_the_server_does_not_offer_is_refused(fake_twilio, settings):
    settings.PHONE_VERIFICATION_CHANNELS = ["sms"]
    response = client_for(UserFactory()).post(VERIFY, {"phone": VICTIM, "channel": "whatsapp"}, format="json")
    assert response.status_code == 400 and "channel" in response.json()["detail"]
    assert fake_twilio.created() == []


def test_whatsapp_codes_go_with_the_prefix_when_the_window_is_open(deliver, fake_twilio, settings, twilio_post):
    settings.CHAT_MODE = "off"
    form = {"From": f"whatsapp:{VICTIM}", "To": f"whatsapp:{OUR_NUMBER}", "Body": "hi", "MessageSid": _sid(9)}
    twilio_post("/twilio/inbound", form)
    client = client_for(UserFactory())
    assert client.post(VERIFY, {"phone": VICTIM, "channel": "whatsapp"}, format="json").status_code == 202
    code = code_sent_to(fake_twilio, f"whatsapp:{VICTIM}")
    assert client.post(CONFIRM, {"code": code}, format="json").json()["phone_verified"] is True


def test_whatsapp_outside_the_window_uses_the_verification_template_or_is_refused(fake_twilio, settings):
    client = client_for(UserFactory())
    refused = client.post(VERIFY, {"phone": VICTIM, "channel": "whatsapp"}, format="json")
    assert refused.status_code == 409 and "SMS" in refused.json()["detail"]
    settings.PHONE_VERIFICATION_WHATSAPP_CONTENT_SID = "HX" + "1" * 32
    assert client.post(VERIFY, {"channel": "whatsapp"}, format="json").status_code == 202
    [sent] = fake_twilio.created(to=f"whatsapp:{VICTIM}")
    params = fake_twilio.create_params(sent["sid"])
    assert params["ContentSid"] == ["HX" + "1" * 32]
    code = json.loads(params["ContentVariables"][0])["1"]
    assert client.post(CONFIRM, {"code": code}, format="json").json()["phone_verified"] is True


def test_a_wrong_code_names_code_with_the_attempts_left_and_five_kill_it(fake_twilio):
    client = client_for(UserFactory())
    client.post(VERIFY, {"phone": VICTIM}, format="json")
    code = code_sent_to(fake_twilio, VICTIM)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        response = client.post(CONFIRM, {"code": wrong}, format="json")
        assert response.status_code == 400
        assert response.json()["detail"]["code"] == [f"Wrong code; {left} attempt(s) left."]
    assert "Too many wrong codes" in client.post(CONFIRM, {"code": wrong}, format="json").json()["detail"]["code"][0]
    dead = client.post(CONFIRM, {"code": code}, format="json")  # the right code, too late
    assert dead.status_code == 400 and "Too many wrong codes" in dead.json()["detail"]["code"][0]
    assert client.get("/auth/me").json()["phone_verified"] is False


def test_a_malformed_code_is_a_400_and_uses_no_attempt(fake_twilio):
    client = client_for(UserFactory())
    client.post(VERIFY, {"phone": VICTIM}, format="json")
    response = client.post(CONFIRM, {"code": "12ab"}, format="json")
    assert response.status_code == 400 and "code" in response.json()["detail"]
    assert PhoneVerification.objects.get().attempts == 0


def test_an_expired_code_is_refused(fake_twilio):
    client = client_for(UserFactory())
    client.post(VERIFY, {"phone": VICTIM}, format="json")
    code = code_sent_to(fake_twilio, VICTIM)
    # Eleven minutes pass.
    PhoneVerification.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.post(CONFIRM, {"code": code}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]["code"] == ["The code has expired; request a new one."]


def test_a_new_code_replaces_the_previous_one(fake_twilio):
    client = client_for(UserFactory())
    client.post(VERIFY, {"phone": VICTIM}, format="json")
    first = code_sent_to(fake_twilio, VICTIM)
    client.post(VERIFY, {}, format="json")
    second = code_sent_to(fake_twilio, VICTIM)
    if first != second:
        assert client.post(CONFIRM, {"code": first}, format="json").status_code == 400
    assert client.post(CONFIRM, {"code": second}, format="json").status_code == 200


def test_a_code_proves_only_the_number_it_went_to(fake_twilio):
    client = client_for(UserFactory())
    client.post(VERIFY, {"phone": VICTIM}, format="json")
    code = code_sent_to(fake_twilio, VICTIM)
    client.put("/auth/me", {"phone_number": OTHER}, format="json")
    response = client.post(CONFIRM, {"code": code}, format="json")
    assert response.status_code == 400 and "code" in response.json()["detail"]
    assert client.get("/auth/me").json() | {} == client.get("/auth/me").json()
    assert client.get("/auth/me").json()["phone_verified"] is False


def test_confirm_without_a_code_sent_is_a_400_naming_code():
    response = client_for(UserFactory()).post(CONFIRM, {"code": "123456"}, format="json")
    assert response.status_code == 400 and "code" in response.json()["detail"]


def test_an_already_verified_number_is_a_409(fake_twilio):
    client = client_for(UserFactory(phone_number=VICTIM, phone_verified=True))
    assert client.post(VERIFY, {}, format="json").status_code == 409
    assert fake_twilio.created() == []


def test_without_twilio_the_send_is_a_503_and_the_code_is_dead(settings):
    settings.TWILIO_ACCOUNT_SID = ""
    client = client_for(UserFactory())
    response = client.post(VERIFY, {"phone": VICTIM}, format="json")
    assert response.status_code == 503
    assert client.post(CONFIRM, {"code": "123456"}, format="json").status_code == 400


def test_a_number_only_claimed_by_another_account_goes_to_the_one_who_proves_it(fake_twilio, api_client):
    squatter = register(api_client, "mallory", VICTIM)
    owner = client_for(UserFactory(username="owen"))
    # The profile keeps refusing a number someone else holds (the contract's uniqueness)...
    assert owner.put("/auth/me", {"phone_number": VICTIM}, format="json").status_code == 400
    # ...but proving it wins over a claim.
    assert owner.post(VERIFY, {"phone": VICTIM}, format="json").status_code == 202
    assert owner.get("/auth/me").json()["phone_number"] is None  # not the owner's until proved
    confirmed = owner.post(CONFIRM, {"code": code_sent_to(fake_twilio, VICTIM)}, format="json").json()
    assert (confirmed["phone_number"], confirmed["phone_verified"]) == (VICTIM, True)
    assert User.objects.get(pk=squatter["id"]).phone_number is None


def test_a_number_another_account_proved_is_refused(fake_twilio):
    UserFactory(phone_number=VICTIM, phone_verified=True)
    response = client_for(UserFactory()).post(VERIFY, {"phone": VICTIM}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Phone number already registered"}
    assert fake_twilio.created() == []


# --- rate limits ------------------------------------------------------------------------------


def test_sends_per_account_are_limited_with_retry_after(fake_twilio):
    client = client_for(UserFactory())
    for number in ("+48600000001", "+48600000002", "+48600000003"):
        assert client.post(VERIFY, {"phone": number}, format="json").status_code == 202
    response = client.post(VERIFY, {"phone": "+48600000004"}, format="json")
    assert response.status_code == 429
    assert 3500 < int(response["Retry-After"]) <= 3601
    assert fake_twilio.created(to="+48600000004") == []
    # An hour later the account may ask again, and the rows of that hour are gone.
    PhoneVerification.objects.update(created_at=timezone.now() - timedelta(hours=1, seconds=1))
    assert client.post(VERIFY, {"phone": "+48600000004"}, format="json").status_code == 202
    assert list(PhoneVerification.objects.values_list("number", flat=True)) == ["+48600000004"]


def test_sends_to_one_number_are_limited_across_accounts(fake_twilio):
    for _ in range(3):
        assert client_for(UserFactory()).post(VERIFY, {"phone": VICTIM}, format="json").status_code == 202
    response = client_for(UserFactory()).post(VERIFY, {"phone": VICTIM}, format="json")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert len(fake_twilio.created(to=VICTIM)) == 3


# --- the number changes -----------------------------------------------------------------------


def test_changing_a_verified_number_unverifies_it_and_unlinks_the_old_number(deliver, fake_llm, ai_enabled):
    owner = UserFactory(phone_number=VICTIM, phone_verified=True)
    client = client_for(owner)
    same = client.put("/auth/me", {"phone_number": VICTIM, "full_name": "Owen"}, format="json").json()
    assert same["phone_verified"] is True  # the same number stays verified
    fake_llm.reply("Hi Owen")
    deliver("Hi", sid=1)
    assert Message.objects.get(external_id=_sid(1)).sender_id == owner.pk

    changed = client.put("/auth/me/phone", {"phone_number": OTHER}, format="json").json()

    assert (changed["phone_number"], changed["phone_verified"]) == (OTHER, False)
    assert Contact.objects.get(address=VICTIM).user_id is None
    fake_llm.reply("Hello, guest.")
    deliver("Hi again", sid=2)
    assert Message.objects.get(external_id=_sid(2)).sender_id is None


def test_the_endpoints_are_in_the_openapi_schema_with_their_bodies(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    verify = schema["paths"][VERIFY]["post"]
    confirm = schema["paths"][CONFIRM]["post"]
    assert verify["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/PhoneVerifyRequest")
    assert verify["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].endswith("/PhoneVerifySent")
    assert {"400", "409", "429", "503"} <= set(verify["responses"])
    assert confirm["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/PhoneConfirmRequest")
    assert confirm["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/UserOut")
    assert "phone_verified" in schema["components"]["schemas"]["UserOut"]["properties"]


def test_the_code_never_reaches_the_logs(fake_twilio, caplog):
    client = client_for(UserFactory())
    with capturing(caplog, "auth", "twilio_webhook", "messages", "django.request"):
        client.post(VERIFY, {"phone": VICTIM}, format="json")
        code = code_sent_to(fake_twilio, VICTIM)
        client.post(CONFIRM, {"code": f"{(int(code) + 1) % 1_000_000:06d}"}, format="json")
        client.post(CONFIRM, {"code": code}, format="json")
    assert caplog.records
    assert not [r for r in caplog.records if code in r.getMessage()]
    assert not [r for r in caplog.records if VICTIM in r.getMessage()]  # numbers are masked


# --- the profile page (/app/profile/) ---------------------------------------------------------


def browser(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_the_profile_page_sends_a_code_and_verifies_the_number(fake_twilio):
    user = UserFactory(phone_number=VICTIM)
    client = browser(user)
    page = client.get("/app/profile/").content.decode()
    assert "Not verified" in page and "Send code" in page

    sent = client.post("/app/profile/phone/verify/", {"channel": "sms"}, follow=True)

    assert "A code was sent to +48123456789. It expires in 10 minutes." in sent.content.decode()
    code = code_sent_to(fake_twilio, VICTIM)
    wrong = client.post("/app/profile/phone/confirm/", {"code": f"{(int(code) + 1) % 1_000_000:06d}"})
    assert wrong.status_code == 400 and "Wrong code; 4 attempt(s) left." in wrong.content.decode()
    done = client.post("/app/profile/phone/confirm/", {"code": code}, follow=True)
    text = done.content.decode()
    assert "Your phone number is verified." in text and "Not verified" not in text and "Verified" in text
    user.refresh_from_db()
    assert user.phone_verified


def test_the_profile_page_speaks_polish(fake_twilio):
    client = browser(UserFactory(phone_number=VICTIM), "pl")
    assert "Niezweryfikowany" in client.get("/app/profile/").content.decode()
    client.post("/app/profile/phone/verify/", {"channel": "sms"})
    wrong = client.post(
        "/app/profile/phone/confirm/", {"code": "000000" if code_sent_to(fake_twilio, VICTIM) != "000000" else "111111"}
    )
    assert "Błędny kod; pozostałe próby: 4." in wrong.content.decode()


def test_the_profile_page_answers_429_past_the_limit(fake_twilio, settings):
    settings.PHONE_VERIFICATION_SENDS_PER_USER = 1
    client = browser(UserFactory(phone_number=VICTIM))
    client.post("/app/profile/phone/verify/", {"channel": "sms"})
    response = client.post("/app/profile/phone/verify/", {"channel": "sms"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Too many codes requested. Try again later." in response.content.decode()
    assert len(fake_twilio.created(to=VICTIM)) == 1


def test_the_profile_page_hides_the_forms_once_verified():
    page = browser(UserFactory(phone_number=VICTIM, phone_verified=True)).get("/app/profile/").content.decode()
    assert "Verified" in page and "Send code" not in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_get_no_more_than_the_attempts(fake_twilio):
    user = UserFactory()
    client = client_for(user)
    client.post(VERIFY, {"phone": VICTIM}, format="json")
    code = code_sent_to(fake_twilio, VICTIM)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    token = client.tokens["access_token"]

    def guess() -> str:
        return bearer(token).post(CONFIRM, {"code": wrong}, format="json").json()["detail"]["code"][0]

    answers = at_once([guess] * 10)

    assert len(answers) == 10
    assert len([a for a in answers if a.startswith("Wrong code;")]) == 4  # 5 guesses checked, the 5th killed it
    assert PhoneVerification.objects.get().attempts == 5
    assert client.post(CONFIRM, {"code": code}, format="json").status_code == 400


def guest_tools(request: dict) -> list[str]:
    """The tools a turn offered the model: a guest's reads only the organisation's documents."""
    return [tool["function"]["name"] for tool in request.get("tools") or ()]
