"""The reply modes (CONTRACT §4.7): the AI auto-reply and the fixed auto-reply exclude each other,
T16's validation, `enabled_since`, which mode answers, the env bootstrap (§4.8) with its command and
post_migrate receiver, and the AIConfig admin."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models.signals import post_migrate
from django.urls import reverse

from config.env import optional_bool
from core.exceptions import ApplicationError
from inbox.models import AutoReplyConfig
from inbox.services.modes import (
    API_KEY_REQUIRED,
    TARGET_REQUIRED,
    TARGET_TOO_LONG,
    TEMPERATURE_NOT_A_NUMBER,
    ai_config_set,
    auto_reply_config_set,
    reply_mode,
)
from orchestrator.enums import AIEnabledSource
from orchestrator.llm import llm_settings
from orchestrator.model_names import MODEL_TOO_LONG
from orchestrator.models import AIConfig
from tests.helpers import capturing
from twilio_channel.bootstrap import (
    ai_config_bootstrap,
    ai_config_bootstrap_after_migrate,
    ai_config_bootstrap_from_env,
    ai_env_overrides,
)

pytestmark = pytest.mark.django_db

KEY = "sk-proj-0123456789abcdefghijklmnop-WXYZ"
TARGET = "+48 123 456 789"


@pytest.fixture(autouse=True)
def no_env_llm(settings):
    """No LLM reachable unless a test says so: the key rule of T16 is then visible."""
    settings.LITELLM_API_KEY = ""
    settings.LITELLM_BASEURL = ""


@pytest.fixture
def no_ai_env(settings):
    for name in ("AI_ENABLED", "AI_TARGET_NUMBER", "AI_SYSTEM_PROMPT", "AI_ENV_MODEL", "AI_ENV_TEMPERATURE"):
        setattr(settings, name, None)
    return settings


@pytest.fixture
def channel_log(caplog):
    with capturing(caplog, "twilio_webhook") as records:
        yield records


def ai_on(**changes) -> AIConfig:
    return ai_config_set(**{"enabled": True, "target_number": TARGET, "api_key": KEY, **changes})


def auto_reply_on() -> AutoReplyConfig:
    return auto_reply_config_set(enabled=True, message="We are closed today.")


# --- mutual exclusion ---------------------------------------------------------------------------


def test_enabling_the_ai_turns_the_auto_reply_off_and_clears_its_since():
    auto_reply_on()
    ai_on()
    auto_reply = AutoReplyConfig.objects.get(pk=1)
    assert (auto_reply.enabled, auto_reply.enabled_since) == (False, None)
    assert auto_reply.message == "We are closed today."  # its text is kept for next time
    assert reply_mode() == "ai"


def test_enabling_the_auto_reply_turns_the_ai_off_as_a_ui_decision():
    ai_on()
    auto_reply_on()
    config = AIConfig.objects.get(pk=1)
    assert (config.enabled, config.enabled_since, config.enabled_source) == (False, None, AIEnabledSource.UI)
    assert config.has_api_key and config.target_number == TARGET  # only the switch changes
    assert reply_mode() == "auto_reply"


def test_enabling_the_auto_reply_leaves_an_ai_that_was_off_as_it_was():
    assert auto_reply_on().enabled and not AIConfig.objects.exists()  # no row is made for it
    AIConfig.objects.create(enabled=False, enabled_source=AIEnabledSource.ENV)
    auto_reply_on()
    assert AIConfig.objects.get(pk=1).enabled_source == AIEnabledSource.ENV


def test_disabling_either_leaves_the_other_alone():
    auto_reply_on()
    ai_config_set(enabled=False, target_number="")
    assert AutoReplyConfig.objects.get(pk=1).enabled is True
    ai_on()
    auto_reply_config_set(enabled=False, message="")
    assert AIConfig.objects.get(pk=1).enabled is True


@pytest.mark.parametrize(
    ("ai", "auto_reply", "mode"),
    [(False, False, "off"), (False, True, "auto_reply"), (True, False, "ai"), (True, True, "ai")],
)
def test_reply_mode_and_the_ai_wins_if_both_are_somehow_on(ai, auto_reply, mode):
    AIConfig.objects.create(enabled=ai)
    AutoReplyConfig.objects.create(pk=1, enabled=auto_reply, message="Closed.")
    assert reply_mode() == mode


def test_reply_mode_without_rows_is_off():
    assert reply_mode() == "off"


# --- ai_config_set: values, the key, enabled_since, the source -----------------------------------


def test_ai_config_set_stores_the_settings_trimmed():
    config = ai_on(system_prompt="  Be brief.  ", model=" gpt-4o-mini ", temperature="1.5")
    config.refresh_from_db()
    assert (config.target_number, config.target_number_normalized) == (TARGET, "+48123456789")
    assert (config.system_prompt, config.model, config.temperature) == ("Be brief.", "gpt-4o-mini", 1.5)
    assert config.api_key == KEY and KEY not in config.api_key_encrypted
    assert config.enabled_source == AIEnabledSource.UI


def test_fields_left_out_keep_their_stored_values():
    ai_on(system_prompt="Be brief.", model="gpt-4o-mini", temperature=0.2)
    config = ai_config_set(enabled=True)
    assert (config.target_number, config.system_prompt, config.model, config.temperature) == (
        TARGET,
        "Be brief.",
        "gpt-4o-mini",
        0.2,
    )
    assert config.api_key == KEY


def test_the_key_absent_keeps_it_empty_clears_it_and_a_value_replaces_it():
    ai_on()
    assert ai_config_set(enabled=False).api_key == KEY
    assert ai_config_set(enabled=False, api_key="sk-new-key-5678").api_key == "sk-new-key-5678"
    config = ai_config_set(enabled=False, api_key="")
    assert (config.api_key, config.api_key_encrypted, config.has_api_key) == ("", "", False)


def test_an_empty_model_means_the_environments_model(settings):
    settings.LITELLM_MODEL = "gpt-env"
    ai_on(model="gpt-4o-mini")
    assert llm_settings().model == "gpt-4o-mini"
    assert ai_config_set(enabled=True, model="").model == ""
    assert llm_settings().model == "gpt-env"


def test_enabled_since_is_set_on_enabling_kept_while_on_and_cleared_on_disabling():
    since = ai_on().enabled_since
    assert since is not None
    assert ai_config_set(enabled=True, system_prompt="Changed.").enabled_since == since
    assert ai_config_set(enabled=False).enabled_since is None
    assert ai_on().enabled_since > since


def test_every_call_records_who_decided():
    AIConfig.objects.create(enabled_source=AIEnabledSource.ENV)
    assert ai_config_set(enabled=False).enabled_source == AIEnabledSource.UI  # unchanged switch, still ui
    assert ai_config_set(enabled=False, source=AIEnabledSource.DB).enabled_source == AIEnabledSource.DB
    with pytest.raises(ValueError, match="unknown enabled_source"):
        ai_config_set(enabled=False, source="cron")


def test_the_log_line_masks_the_number_and_never_has_the_key(channel_log):
    ai_on()
    text = channel_log.text
    assert "AI auto-reply enabled (source=ui" in text and "+48*****789" in text and "API key set" in text
    assert KEY not in text and "123456789" not in text


# --- T16's validation -----------------------------------------------------------------------------


@pytest.mark.parametrize("temperature", ["warm", "", [], {}, True, object()])
def test_a_temperature_that_is_no_number_is_refused(temperature):
    with pytest.raises(ApplicationError) as raised:
        ai_config_set(enabled=False, temperature=temperature)
    assert raised.value.message == TEMPERATURE_NOT_A_NUMBER == "Temperature must be a number."
    assert raised.value.extra == {"field": "temperature"}


@pytest.mark.parametrize("temperature", [-0.01, 2.01, 100, "3", float("nan"), float("inf")])
def test_a_temperature_outside_0_to_2_is_refused(temperature):
    with pytest.raises(ApplicationError, match=r"^Temperature must be in the range 0-2\.$"):
        ai_config_set(enabled=False, temperature=temperature)


@pytest.mark.parametrize("temperature", [0, 2, "0.7", 1])
def test_the_range_is_inclusive_and_numeric_text_counts(temperature):
    assert ai_config_set(enabled=False, temperature=temperature).temperature == float(temperature)


@pytest.mark.parametrize("target", [None, "", "   ", "alice", "client:alice", "+12"])
def test_enabling_needs_a_partner_number_that_normalises(target):
    with pytest.raises(ApplicationError) as raised:
        ai_config_set(enabled=True, target_number=target, api_key=KEY)
    assert raised.value.message == TARGET_REQUIRED == "Provide the conversation partner's number."
    assert raised.value.extra == {"field": "target_number"}


def test_disabled_any_target_is_stored_and_normalises_to_nothing():
    config = ai_config_set(enabled=False, target_number="alice")
    assert (config.target_number, config.target_number_normalized) == ("alice", "")


def test_a_stored_target_counts_when_none_is_given():
    ai_config_set(enabled=False, target_number="whatsapp:+48123456789")
    assert ai_config_set(enabled=True, api_key=KEY).target_number_normalized == "+48123456789"


def test_enabling_without_any_key_or_base_url_is_refused():
    with pytest.raises(ApplicationError) as raised:
        ai_config_set(enabled=True, target_number=TARGET)
    assert raised.value.message == API_KEY_REQUIRED == "Provide an API key to enable the AI integration."
    assert raised.value.extra == {"field": "api_key"}


def test_clearing_the_only_key_while_enabling_is_refused():
    ai_on()
    with pytest.raises(ApplicationError, match="Provide an API key"):
        ai_config_set(enabled=True, api_key="")
    with pytest.raises(ApplicationError, match="Provide an API key"):
        ai_config_set(enabled=True, api_key="   ")


@pytest.mark.parametrize(("env_key", "base_url"), [("sk-env", ""), ("", "http://127.0.0.1:5678")])
def test_an_env_key_or_a_base_url_counts_as_a_key(settings, env_key, base_url):
    settings.LITELLM_API_KEY, settings.LITELLM_BASEURL = env_key, base_url
    config = ai_config_set(enabled=True, target_number=TARGET)
    assert config.enabled and not config.has_api_key


def test_a_stored_key_counts_when_none_is_given():
    ai_config_set(enabled=False, api_key=KEY)
    assert ai_config_set(enabled=True, target_number=TARGET).enabled


def test_what_the_columns_cannot_hold_is_refused():
    with pytest.raises(ApplicationError, match=TARGET_TOO_LONG):
        ai_config_set(enabled=False, target_number="+" + "1" * 64)
    with pytest.raises(ApplicationError, match=MODEL_TOO_LONG):
        ai_config_set(enabled=False, model="m" * 101)


def test_a_refused_change_changes_nothing():
    auto_reply_on()
    ai_config_set(enabled=False, model="gpt-4o-mini", api_key=KEY)
    with pytest.raises(ApplicationError):
        ai_config_set(enabled=True, target_number="", model="gpt-4.1", api_key="")
    config = AIConfig.objects.get(pk=1)
    assert (config.enabled, config.model, config.api_key) == (False, "gpt-4o-mini", KEY)
    assert AutoReplyConfig.objects.get(pk=1).enabled is True


# --- the env bootstrap (§4.8) ---------------------------------------------------------------------


@pytest.fixture
def ai_env(no_ai_env):
    """Seed 2's variables, as config.settings.base reads them."""
    no_ai_env.AI_ENABLED = True
    no_ai_env.AI_TARGET_NUMBER = "whatsapp:+48600700800"
    no_ai_env.AI_SYSTEM_PROMPT = "You answer for the caretaker."
    no_ai_env.AI_ENV_MODEL = "gpt-4o-mini"
    no_ai_env.AI_ENV_TEMPERATURE = 0.3
    no_ai_env.LITELLM_API_KEY = "sk-env-key-never-logged"
    return no_ai_env


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        *[(word, True) for word in ("1", "true", "T", "yes", " Y ")],
        *[(word, False) for word in ("0", "false", "F", "no", "n")],
        *[(word, None) for word in (None, "", "maybe", "on", "2")],
    ],
)
def test_ai_enabled_reads_1_true_yes_and_0_false_no_only(raw, parsed):
    assert optional_bool(raw) is parsed


def test_nothing_set_does_nothing(no_ai_env):
    assert ai_env_overrides() == {}
    assert ai_config_bootstrap_from_env() is None
    assert not AIConfig.objects.exists()


def test_the_environment_is_applied_and_enabling_turns_the_auto_reply_off(ai_env, channel_log):
    auto_reply_on()
    config = ai_config_bootstrap_from_env()

    assert config is not None
    config.refresh_from_db()
    assert (config.enabled, config.enabled_source) == (True, AIEnabledSource.ENV)
    assert config.enabled_since is not None
    assert (config.target_number, config.target_number_normalized) == ("whatsapp:+48600700800", "+48600700800")
    assert (config.model, config.temperature) == ("gpt-4o-mini", 0.3)
    assert config.system_prompt == "You answer for the caretaker."
    assert not config.has_api_key  # the key stays in the environment and applies from there
    assert llm_settings().api_key == "sk-env-key-never-logged"
    assert AutoReplyConfig.objects.get(pk=1).enabled is False
    assert "AI config bootstrapped from env (enabled=True, model=gpt-4o-mini, target=+48*****800)" in channel_log.text
    assert "sk-env-key-never-logged" not in channel_log.text and "600700800" not in channel_log.text


def test_running_it_again_changes_nothing(ai_env):
    first = ai_config_bootstrap_from_env()
    assert first is not None
    again = ai_config_bootstrap()
    assert again.status == "unchanged" and again.changed == []
    config = AIConfig.objects.get(pk=1)
    assert (config.enabled_since, config.updated_at) == (first.enabled_since, first.updated_at)


def test_only_the_variables_that_are_set_are_applied(no_ai_env):
    ai_config_set(enabled=False, model="gpt-4.1", system_prompt="Keep me.", source=AIEnabledSource.DB)
    no_ai_env.AI_TARGET_NUMBER = "+48 600 700 800"
    outcome = ai_config_bootstrap()
    assert (outcome.status, outcome.changed) == ("applied", ["target_number"])
    config = AIConfig.objects.get(pk=1)
    assert (config.model, config.system_prompt, config.enabled, config.enabled_source) == (
        "gpt-4.1",
        "Keep me.",
        False,
        AIEnabledSource.DB,
    )


def test_ai_enabled_false_from_env_switches_the_ai_off(no_ai_env):
    AIConfig.objects.create(enabled=True, enabled_source=AIEnabledSource.ENV)
    no_ai_env.AI_ENABLED = False
    config = ai_config_bootstrap_from_env()
    assert config is not None
    assert (config.enabled, config.enabled_since, config.enabled_source) == (False, None, AIEnabledSource.ENV)


def test_once_the_ui_decided_the_environment_overlays_nothing(ai_env, channel_log):
    ai_config_set(enabled=False, model="gpt-4.1", system_prompt="From the panel.")
    auto_reply_on()
    assert ai_config_bootstrap_from_env() is None
    config = AIConfig.objects.get(pk=1)
    assert (config.enabled, config.model, config.system_prompt, config.target_number) == (
        False,
        "gpt-4.1",
        "From the panel.",
        "",
    )
    assert AutoReplyConfig.objects.get(pk=1).enabled is True
    assert "Skipping the AI env overrides (managed in UI" in channel_log.text


def test_the_auto_reply_switch_in_the_panel_also_stops_the_env_from_enabling_the_ai(ai_env):
    ai_config_bootstrap_from_env()
    auto_reply_on()  # the AI goes off, as a UI decision
    assert ai_config_bootstrap_from_env() is None
    assert reply_mode() == "auto_reply"


def test_an_out_of_range_temperature_from_env_is_ignored(no_ai_env, channel_log):
    no_ai_env.AI_ENV_TEMPERATURE = 2.5
    no_ai_env.AI_ENV_MODEL = "gpt-4o-mini"
    assert ai_env_overrides() == {"model": "gpt-4o-mini"}
    assert "Ignoring the temperature from env: 2.5 is outside 0-2" in channel_log.text


def test_enabled_from_env_without_a_way_to_the_llm_stays_on_with_a_warning(no_ai_env, channel_log):
    no_ai_env.AI_ENABLED = True
    config = ai_config_bootstrap_from_env()
    assert config is not None and config.enabled
    assert "without a conversation partner number" in channel_log.text
    assert "no API key or LITELLM_BASEURL is set" in channel_log.text


# --- where the bootstrap runs: after migrate, and the command -------------------------------------


def receivers_of(app_label: str) -> list:
    from django.apps import apps

    sync_receivers, async_receivers = post_migrate._live_receivers(apps.get_app_config(app_label))
    return [*sync_receivers, *async_receivers]


def test_the_receiver_is_connected_for_this_apps_post_migrate_only():
    assert ai_config_bootstrap_after_migrate in receivers_of("twilio_channel")
    assert ai_config_bootstrap_after_migrate not in receivers_of("messaging")


def test_the_test_databases_migrate_writes_no_row(ai_env):
    ai_env.AI_CONFIG_BOOTSTRAP_ON_MIGRATE = False  # as in config.settings.test
    call_command("migrate", verbosity=0)
    assert not AIConfig.objects.exists()


def test_migrate_applies_the_environment(ai_env):
    ai_env.AI_CONFIG_BOOTSTRAP_ON_MIGRATE = True
    call_command("migrate", verbosity=0)
    config = AIConfig.objects.get(pk=1)
    assert (config.enabled, config.enabled_source, config.model) == (True, AIEnabledSource.ENV, "gpt-4o-mini")


def test_the_command_says_what_it_did(ai_env):
    out = StringIO()
    call_command("bootstrap_ai_config", stdout=out)
    text = out.getvalue()
    summary = "enabled=True, model=gpt-4o-mini, temperature=0.3, target=+48*****800"
    assert f"AI config bootstrapped from env ({summary})" in text
    assert "changed: enabled, enabled_source, target_number, system_prompt, model, temperature." in text
    assert "The API key stays in the environment" in text and "sk-env" not in text

    out = StringIO()
    call_command("bootstrap_ai_config", stdout=out)
    assert "AI config already matches the environment" in out.getvalue()

    ai_config_set(enabled=False)
    out = StringIO()
    call_command("bootstrap_ai_config", stdout=out)
    assert "Skipped: the AI config is managed in the panel or the admin" in out.getvalue()


def test_the_command_with_nothing_set(no_ai_env):
    out = StringIO()
    call_command("bootstrap_ai_config", stdout=out)
    assert out.getvalue().startswith("Nothing to apply: none of AI_ENABLED, AI_TARGET_NUMBER")
    assert not AIConfig.objects.exists()


# --- the admin ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_web(client, superuser):
    client.force_login(superuser)
    return client


def admin_form(**changes) -> dict:
    return {"target_number": "", "system_prompt": "", "model": "", "temperature": "0.7", "api_key": "", **changes}


def test_the_admin_enables_the_ai_through_the_service(admin_web):
    auto_reply_on()
    url = reverse("admin:orchestrator_aiconfig_add")
    form = admin_form(enabled="on", target_number=TARGET, api_key=KEY, model="gpt-4o-mini", temperature="0.4")
    response = admin_web.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    config = AIConfig.objects.get(pk=1)
    assert (config.enabled, config.enabled_source, config.model, config.temperature) == (
        True,
        AIEnabledSource.UI,
        "gpt-4o-mini",
        0.4,
    )
    assert config.api_key == KEY and config.enabled_since is not None
    assert AutoReplyConfig.objects.get(pk=1).enabled is False
    assert not AIConfig.objects.filter(api_key_encrypted__contains="WXYZ").exists()


def test_the_admin_shows_the_masked_preview_and_never_the_key(admin_web):
    ai_on()
    page = admin_web.get(reverse("admin:orchestrator_aiconfig_change", args=[1])).content.decode()
    assert "•" * (len(KEY) - 4) + "WXYZ" in page
    assert KEY not in page and "0123456789abcdef" not in page
    assert AIConfig.objects.get(pk=1).api_key_encrypted not in page
    listing = admin_web.get(reverse("admin:orchestrator_aiconfig_changelist")).content.decode()
    assert KEY not in listing


def test_a_blank_key_field_keeps_the_key_and_clear_removes_it(admin_web):
    ai_on()
    url = reverse("admin:orchestrator_aiconfig_change", args=[1])
    assert admin_web.post(url, admin_form(enabled="on", target_number=TARGET)).status_code == 302
    assert AIConfig.objects.get(pk=1).api_key == KEY
    assert admin_web.post(url, admin_form(target_number=TARGET, clear_api_key="on")).status_code == 302
    assert AIConfig.objects.get(pk=1).has_api_key is False


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (admin_form(enabled="on", api_key=KEY), "Provide the conversation partner&#x27;s number."),
        (admin_form(enabled="on", target_number=TARGET), "Provide an API key to enable the AI integration."),
        (admin_form(temperature="2.5"), "Temperature must be in the range 0-2."),
        (admin_form(temperature="warm"), "Enter a number."),
    ],
)
def test_the_admin_shows_the_services_messages(admin_web, form, message):
    response = admin_web.post(reverse("admin:orchestrator_aiconfig_add"), form)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AIConfig.objects.exists()


def test_the_admin_keeps_one_row_and_no_delete(admin_web):
    AIConfig.load()
    assert admin_web.get(reverse("admin:orchestrator_aiconfig_add")).status_code == 403
    assert admin_web.post(reverse("admin:orchestrator_aiconfig_delete", args=[1]), {"post": "yes"}).status_code == 403
    assert AIConfig.objects.exists()


def test_enabling_the_auto_reply_in_the_admin_turns_the_ai_off(admin_web):
    ai_on()
    url = reverse("admin:inbox_autoreplyconfig_add")
    assert admin_web.post(url, {"enabled": "on", "message": "Closed."}).status_code == 302
    assert AIConfig.objects.get(pk=1).enabled is False
    assert reply_mode() == "auto_reply"
