"""The AIConfig row (CONTRACT §1.9): the singleton, its key encrypted at rest and never shown, and
the LLM settings it overrides (§9.4 point 1), down to what the loopback LLM receives."""

import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction

from orchestrator import selectors
from orchestrator.enums import AIEnabledSource
from orchestrator.llm import chat_completion, llm_settings
from orchestrator.models import AIConfig, target_normalize
from orchestrator.secrets import secret_decrypt, secret_encrypt, secret_mask
from orchestrator.services.turns import ai_reply_process
from orchestrator.tests.helpers import send_to_bot

pytestmark = pytest.mark.django_db

KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz-1234"


def stored_column() -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT api_key_encrypted FROM {AIConfig._meta.db_table} WHERE id = 1")
        return cursor.fetchone()[0]


# --- the row ------------------------------------------------------------------------------------


def test_load_creates_the_singleton_with_defaults_that_change_nothing(settings):
    settings.AI_LLM_TEMPERATURE = 0.4
    config = AIConfig.load()
    assert config.pk == 1 and AIConfig.load().pk == 1 and AIConfig.objects.count() == 1
    assert (config.enabled, config.model, config.system_prompt, config.target_number) == (False, "", "", "")
    assert config.temperature == 0.4  # the environment's, so creating the row changes no reply
    assert (config.enabled_source, config.enabled_since) == (AIEnabledSource.DB, None)
    assert (config.has_api_key, config.api_key_preview, config.api_key) == (False, None, "")


def test_an_environment_temperature_outside_the_range_gives_the_default(settings):
    settings.AI_LLM_TEMPERATURE = 3.5
    assert AIConfig.load().temperature == 0.7


def test_a_second_row_is_refused_by_the_database():
    AIConfig.load()
    with pytest.raises(IntegrityError), transaction.atomic():
        AIConfig.objects.bulk_create([AIConfig(id=2)])


def test_the_temperature_is_checked_in_the_database_and_in_full_clean():
    AIConfig.load()
    with pytest.raises(IntegrityError), transaction.atomic():
        AIConfig.objects.filter(pk=1).update(temperature=2.5)
    with pytest.raises(ValidationError) as raised:
        AIConfig(temperature=-0.1).full_clean()
    assert raised.value.messages == ["Temperature must be in the range 0-2."]


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("+48 123 456 789", "+48123456789"),
        ("whatsapp:+48123456789", "+48123456789"),
        ("0048 (123) 456-789", "+48123456789"),
        ("48123456789", "+48123456789"),
        ("", ""),
        ("alice", ""),
        ("client:alice", ""),
        ("+12", ""),
    ],
)
def test_the_target_is_normalised_on_save(raw, normalized):
    assert target_normalize(raw) == normalized
    config = AIConfig.load()
    config.target_number = raw
    config.save()
    config.refresh_from_db()
    assert (config.target_number, config.target_number_normalized) == (raw, normalized)


def test_saving_only_the_target_keeps_its_normalised_form_in_step():
    config = AIConfig.load()
    config.target_number = "+48 600 700 800"
    config.save(update_fields=["target_number"])
    assert AIConfig.objects.get(pk=1).target_number_normalized == "+48600700800"


# --- the key: encrypted at rest, never shown ----------------------------------------------------


def test_the_database_column_never_holds_the_key():
    config = AIConfig.load()
    config.api_key = f"  {KEY}  "
    config.save()

    column = stored_column()
    assert KEY not in column and "abcdefghijklmnop" not in column
    assert column.startswith("gAAAAA")  # a Fernet token
    assert AIConfig.objects.get(pk=1).api_key == KEY  # trimmed on the way in
    assert not AIConfig.objects.filter(api_key_encrypted__contains="abcdefgh").exists()


def test_the_same_key_encrypts_differently_each_time():
    assert secret_encrypt(KEY) != secret_encrypt(KEY)
    assert secret_decrypt(secret_encrypt(KEY)) == KEY
    assert (secret_encrypt(""), secret_decrypt("")) == ("", "")


def test_the_key_is_in_no_str_repr_or_model_dict():
    config = AIConfig(api_key=KEY, enabled=True)
    config.save()
    overrides = selectors.ai_config_overrides_get()
    shown = [str(config), repr(config), repr(config.__dict__), repr(llm_settings()), repr(overrides)]
    assert not [text for text in shown if KEY in text or KEY[-8:] in text]
    assert str(config) == "AI auto-reply on"


@pytest.mark.parametrize(
    ("value", "masked"),
    [("", ""), ("abc", "•••"), ("abcd", "••••"), ("abcde", "•bcde"), ("sk-1234567890", "•••••••••7890")],
)
def test_the_preview_masks_all_but_the_last_four(value, masked):
    assert secret_mask(value) == masked


def test_the_row_shows_only_the_masked_preview():
    config = AIConfig.load()
    config.api_key = KEY
    config.save()
    assert config.has_api_key
    assert config.api_key_preview == "•" * (len(KEY) - 4) + "1234"


def test_a_key_encrypted_under_another_secret_reads_as_unset_with_a_warning(settings, orchestrator_log):
    config = AIConfig.load()
    config.api_key = KEY
    config.save()
    settings.SECRET_KEY = "another-secret-key-entirely-0123456789abcdef"

    config = AIConfig.objects.get(pk=1)
    assert (config.api_key, config.has_api_key, config.api_key_preview) == ("", False, None)
    warnings = [r.getMessage() for r in orchestrator_log.records if r.levelno == logging.WARNING]
    assert warnings and "could not be decrypted" in warnings[0]
    assert not [text for text in warnings if KEY in text]
    assert llm_settings().api_key == ""  # and the turn goes on with the environment's key


def test_a_dedicated_encryption_key_still_reads_keys_stored_under_secret_key(settings):
    config = AIConfig.load()
    config.api_key = KEY
    config.save()
    old_token = stored_column()
    settings.AI_CONFIG_ENCRYPTION_KEY = "a-dedicated-encryption-secret-0123456789"

    assert AIConfig.objects.get(pk=1).api_key == KEY
    new_token = secret_encrypt(KEY)
    settings.AI_CONFIG_ENCRYPTION_KEY = ""
    assert secret_decrypt(old_token) == KEY
    assert secret_decrypt(new_token) == ""  # made under the dedicated key only


# --- the LLM settings it overrides --------------------------------------------------------------


def test_without_a_row_the_environment_applies(settings):
    settings.LITELLM_API_KEY, settings.LITELLM_MODEL, settings.AI_LLM_TEMPERATURE = "sk-env", "gpt-env", 0.3
    settings.LITELLM_BASEURL = ""
    config = llm_settings()
    assert (config.api_key, config.model, config.temperature, config.system_prompt) == ("sk-env", "gpt-env", 0.3, "")
    assert not AIConfig.objects.exists()  # reading never creates the row


def test_an_untouched_row_changes_nothing(settings):
    settings.LITELLM_API_KEY, settings.LITELLM_MODEL, settings.AI_LLM_TEMPERATURE = "sk-env", "gpt-env", 0.3
    AIConfig.load()
    config = llm_settings()
    assert (config.api_key, config.model, config.temperature, config.system_prompt) == ("sk-env", "gpt-env", 0.3, "")


def test_the_row_overrides_key_model_temperature_and_prompt(settings):
    settings.LITELLM_API_KEY, settings.LITELLM_MODEL = "sk-env", "gpt-env"
    AIConfig.objects.create(api_key=KEY, model=" gpt-4o-mini ", temperature=1.3, system_prompt="Be terse.")
    config = llm_settings()
    assert (config.api_key, config.model, config.temperature, config.system_prompt) == (
        KEY,
        "gpt-4o-mini",
        1.3,
        "Be terse.",
    )


@pytest.mark.parametrize(
    ("row_key", "env_key", "base_url", "configured"),
    [
        (KEY, "", "", True),  # a stored key alone configures the AI (§9.4 point 1)
        ("", "sk-env", "", True),
        ("", "", "http://127.0.0.1:5678", True),
        ("", "", "", False),
    ],
)
def test_configured_means_a_key_from_the_row_or_env_or_a_base_url(settings, row_key, env_key, base_url, configured):
    settings.LITELLM_API_KEY, settings.LITELLM_BASEURL = env_key, base_url
    AIConfig.objects.create(api_key=row_key)
    assert llm_settings().configured is configured


def test_the_llm_receives_the_rows_model_temperature_and_key(fake_llm):
    AIConfig.objects.create(api_key=KEY, model="gpt-4o-mini", temperature=1.25)
    chat_completion(messages=[{"role": "user", "content": "ping"}])
    assert fake_llm.requests[-1]["model"] == "gpt-4o-mini"
    assert fake_llm.requests[-1]["temperature"] == 1.25
    assert fake_llm.headers[-1]["authorization"] == f"Bearer {KEY}"


def test_with_an_empty_row_the_llm_receives_the_environments_settings(fake_llm, settings):
    settings.AI_LLM_TEMPERATURE = 0.2
    AIConfig.load()
    chat_completion(messages=[{"role": "user", "content": "ping"}])
    assert fake_llm.requests[-1]["model"] == "gpt-3.5-turbo-1106"
    assert fake_llm.requests[-1]["temperature"] == 0.2
    assert fake_llm.headers[-1]["authorization"] == "Bearer sk-fake-llm-placeholder"


def test_an_ai_turn_uses_the_rows_system_prompt_for_the_general_agent(user, fake_llm):
    AIConfig.objects.create(system_prompt="You are Ola, the caretaker's assistant.", model="gpt-4o-mini")
    fake_llm.reply("Hi, Ola here.")
    reply = ai_reply_process(message_id=send_to_bot(user, "hello").pk)
    assert reply.content == "Hi, Ola here."
    sent = fake_llm.requests[-1]
    assert sent["model"] == "gpt-4o-mini"
    assert sent["messages"][0]["content"].startswith("You are Ola, the caretaker's assistant.")


def test_an_unreadable_row_leaves_the_environments_settings(settings, monkeypatch, orchestrator_log):
    settings.LITELLM_MODEL = "gpt-env"

    def broken():
        raise OperationalError("database is locked")

    monkeypatch.setattr(selectors, "ai_config_get", broken)
    assert llm_settings().model == "gpt-env"
    assert "AI config could not be read (OperationalError)" in orchestrator_log.text


# --- the per-process cache ----------------------------------------------------------------------


@pytest.fixture
def cached(settings):
    settings.AI_CONFIG_CACHE_S = 5.0
    selectors.ai_config_cache_clear()
    yield
    selectors.ai_config_cache_clear()


def test_a_fresh_read_costs_no_query(cached, django_assert_num_queries):
    AIConfig.objects.create(model="gpt-4o-mini")
    with django_assert_num_queries(1):
        assert llm_settings().model == "gpt-4o-mini"
    with django_assert_num_queries(0):
        assert llm_settings().model == "gpt-4o-mini"


def test_a_save_in_this_process_is_seen_at_once(cached):
    config = AIConfig.objects.create(model="gpt-4o-mini")
    assert llm_settings().model == "gpt-4o-mini"
    config.model = "gpt-4.1"
    config.save()
    assert llm_settings().model == "gpt-4.1"
    config.delete()
    assert llm_settings().model == "gpt-3.5-turbo-1106"


def test_a_change_without_a_signal_shows_when_the_cache_expires(cached, monkeypatch):
    AIConfig.objects.create(model="gpt-4o-mini")
    assert llm_settings().model == "gpt-4o-mini"
    AIConfig.objects.filter(pk=1).update(model="gpt-4.1")  # another process, in effect
    assert llm_settings().model == "gpt-4o-mini"
    clock = selectors.time.monotonic() + 5.1
    monkeypatch.setattr(selectors.time, "monotonic", lambda: clock)
    assert llm_settings().model == "gpt-4.1"


def test_a_read_that_raced_a_save_is_not_cached(cached, monkeypatch):
    AIConfig.objects.create(model="gpt-4o-mini")
    original = selectors.ai_config_get

    def read_then_save_elsewhere():
        row = original()
        selectors.ai_config_cache_clear()  # a save landed while this read was under way
        return row

    monkeypatch.setattr(selectors, "ai_config_get", read_then_save_elsewhere)
    llm_settings()
    assert selectors._cached is None
