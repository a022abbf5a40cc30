from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.phones import E164_RE, normalize_contact
from orchestrator.enums import AIEnabledSource
from orchestrator.model_names import MODEL_MAX_LENGTH, validate_model_name
from orchestrator.secrets import secret_decrypt, secret_encrypt, secret_mask

TEMPERATURE_MIN, TEMPERATURE_MAX = 0.0, 2.0
TEMPERATURE_FALLBACK = 0.7  # when the environment's AI_LLM_TEMPERATURE is out of range
TEMPERATURE_OUT_OF_RANGE = "Temperature must be in the range 0-2."


def temperature_default() -> float:
    """The environment's temperature (0.7 unless AI_LLM_TEMPERATURE says otherwise), so that creating
    the row changes no reply; 0.7 if that lies outside 0..2."""
    value = float(settings.AI_LLM_TEMPERATURE)
    return value if TEMPERATURE_MIN <= value <= TEMPERATURE_MAX else TEMPERATURE_FALLBACK


def target_normalize(raw: str | None) -> str:
    """The conversation partner's number as `normalize_contact` gives it, or "" when that is
    no phone number (a name, a `client:` address, nothing)."""
    number = normalize_contact(raw)
    return number if E164_RE.match(number) else ""


class AIConfig(models.Model):
    """Singleton (pk=1): the AI layer's settings, which override the environment's where they are set,
    and the AI auto-reply switch the Twilio channel reads.

    An untouched row changes nothing: `model` "" means LITELLM_MODEL, no key means LITELLM_API_KEY,
    the temperature starts as the environment's. (A model default here would silently
    replace the operator's LITELLM_MODEL the moment the panel first saves the row.) The API key is
    stored encrypted (`orchestrator.secrets`) and only ever shown masked (`api_key_preview`)."""

    enabled = models.BooleanField(default=False, help_text="AI auto-reply mode")
    api_key_encrypted = models.TextField(blank=True, default="", editable=False)
    system_prompt = models.TextField(blank=True, default="")
    target_number = models.CharField(max_length=64, blank=True, default="")
    target_number_normalized = models.CharField(max_length=32, blank=True, default="", editable=False)
    model = models.CharField(
        max_length=MODEL_MAX_LENGTH,
        blank=True,
        default="",
        validators=[validate_model_name],
        help_text="A model name (gpt-4o, anthropic/claude-...), never a URL. Empty: LITELLM_MODEL",
    )
    temperature = models.FloatField(default=temperature_default)
    enabled_source = models.CharField(max_length=8, choices=AIEnabledSource.choices, default=AIEnabledSource.DB)
    enabled_since = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "AI configuration"
        verbose_name_plural = "AI configuration"
        constraints = [
            models.CheckConstraint(
                condition=Q(temperature__gte=TEMPERATURE_MIN) & Q(temperature__lte=TEMPERATURE_MAX),
                name="ai_config_temperature_range",
                violation_error_message=TEMPERATURE_OUT_OF_RANGE,
            ),
            models.CheckConstraint(condition=Q(id=1), name="ai_config_singleton"),
        ]

    def __str__(self) -> str:
        return "AI auto-reply " + ("on" if self.enabled else "off")

    def save(self, *args, **kwargs) -> None:
        self.pk = 1
        self.target_number_normalized = target_normalize(self.target_number)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "target_number" in update_fields:
            kwargs["update_fields"] = {*update_fields, "target_number_normalized"}
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> AIConfig:
        config, _ = cls.objects.get_or_create(pk=1)
        return config

    # The key in clear only through these: never a field, so no form, serializer or repr shows it.
    @property
    def api_key(self) -> str:
        return secret_decrypt(self.api_key_encrypted)

    @api_key.setter
    def api_key(self, value: str) -> None:
        self.api_key_encrypted = secret_encrypt((value or "").strip())

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key)

    @property
    def api_key_preview(self) -> str | None:
        key = self.api_key
        return secret_mask(key) if key else None


# Costs in USD (litellm's price map), to the billionth of a dollar: a one-token call of a cheap model.
COST_DECIMAL_PLACES = 9
NANO = Decimal(1).scaleb(-COST_DECIMAL_PLACES)
GLOBAL_SCOPE = "global"


class AISpend(models.Model):
    """The AI's spend of one UTC day in one scope: `global` (every turn) or a contact's
    (`contact:…`, orchestrator.services.spend.contact_scope). A call reserves its ceiling in
    `reserved` before it is made, by a conditional UPDATE that holds only while spent + reserved
    stays within the cap, and moves its real cost to `spent` afterwards (or gives it back).
    Amounts are whole billionths of a USD: integers, so the check is exact on SQLite too (which
    computes decimal columns in floating point)."""

    day = models.DateField()
    scope = models.CharField(max_length=120)
    spent_nano = models.BigIntegerField(default=0)
    reserved_nano = models.BigIntegerField(default=0)
    calls = models.IntegerField(default=0)  # settled calls
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "AI spend"
        verbose_name_plural = "AI spend"
        ordering = ["-day", "scope"]
        constraints = [models.UniqueConstraint(fields=["day", "scope"], name="ai_spend_day_scope")]

    def __str__(self) -> str:
        return f"{self.scope} {self.day}"

    @property
    def spent(self) -> Decimal:
        return self.spent_nano * NANO

    @property
    def reserved(self) -> Decimal:
        return self.reserved_nano * NANO
