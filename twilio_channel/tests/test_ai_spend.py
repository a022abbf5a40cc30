"""Issue 27 point 3 over SMS and WhatsApp: the per-contact spend cap counts the phone number (one
contact on both channels), the reply sent records its cost once, and a spent budget sends the
fallback text through the channel without an LLM call."""

from decimal import Decimal

import pytest

from messaging.models import Message
from orchestrator.models import AISpend
from orchestrator.services.turns import FALLBACK_TEXT

pytestmark = pytest.mark.django_db

OUR_NUMBER = "+15550001111"
ANN = "+48123456789"
BOB = "+48600100200"


@pytest.fixture
def deliver(twilio_post, fake_twilio, django_capture_on_commit_callbacks):
    sids = iter(range(1, 100))

    def post(body: str, *, from_: str = ANN, to: str = OUR_NUMBER):
        form = {"From": from_, "To": to, "Body": body, "MessageSid": f"SM{next(sids):032x}", "SmsStatus": "received"}
        with django_capture_on_commit_callbacks(execute=True):
            return twilio_post("/twilio/inbound", form)

    return post


def test_the_contact_cap_counts_the_phone_number_across_channels(deliver, fake_llm, fake_twilio, ai_enabled, settings):
    settings.AI_PRICE_PER_1K_OUTPUT_TOKENS = "1"
    settings.AI_MAX_OUTPUT_TOKENS = 100
    settings.AI_CONTACT_DAILY_BUDGET = "0.2"  # two calls of 0.1
    fake_llm.state.prompt_tokens, fake_llm.state.completion_tokens = 40, 100

    deliver("Hi by SMS")
    deliver("Hi on WhatsApp", from_=f"whatsapp:{ANN}", to=f"whatsapp:{OUR_NUMBER}")
    deliver("And again")
    deliver("Hi, I am Bob", from_=BOB)

    assert len(fake_llm.requests) == 3  # Ann's third message made no call; Bob has his own budget
    assert [m["body"] for m in fake_twilio.created(to=ANN)] == ["OK", FALLBACK_TEXT]
    assert [m["body"] for m in fake_twilio.created(to=f"whatsapp:{ANN}")] == ["OK"]
    assert [m["body"] for m in fake_twilio.created(to=BOB)] == ["OK"]
    ann = AISpend.objects.get(scope=f"contact:number:{ANN}")
    assert (ann.spent, ann.reserved, ann.calls) == (Decimal("0.2"), 0, 2)
    costs = list(Message.objects.filter(direction="outbound", ai_cost__isnull=False).values_list("ai_cost", flat=True))
    assert costs == [Decimal("0.1")] * 3


def test_a_long_reply_records_its_cost_on_its_first_part_only(deliver, fake_llm, fake_twilio, ai_enabled, settings):
    settings.AI_PRICE_PER_1K_OUTPUT_TOKENS = "1"
    fake_llm.reply("A sentence that goes on. " * 200, completion_tokens=500)

    deliver("Tell me everything.")

    parts = list(Message.objects.filter(direction="outbound").order_by("id"))
    assert len(parts) > 1
    assert [part.ai_cost for part in parts] == [Decimal("0.5")] + [None] * (len(parts) - 1)
