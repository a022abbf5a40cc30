"""System checks of the AI settings: said at every `manage.py` start (migrate, runserver), so an
operator sees a refused LITELLM_MODEL before the first AI turn fails over it."""

from django.conf import settings
from django.core.checks import CheckMessage, Warning
from django.core.exceptions import ImproperlyConfigured

from orchestrator.model_names import model_name_problem


def llm_model_check(app_configs, **kwargs) -> list[CheckMessage]:
    problem = model_name_problem(settings.LITELLM_MODEL)
    if problem is None:
        return []
    # A warning, not an error: the release step's migrate must still run; the turns refuse it.
    return [
        Warning(
            f"LITELLM_MODEL (or OPENAI_MODEL) is refused: {problem}",
            hint="Until it is a model name, AI turns that use it answer the fallback reply.",
            id="orchestrator.W001",
        )
    ]


SPEND_AMOUNTS = (
    "AI_PRICE_PER_1K_INPUT_TOKENS",
    "AI_PRICE_PER_1K_OUTPUT_TOKENS",
    "AI_CONTACT_DAILY_BUDGET",
    "AI_DAILY_BUDGET",
)


def spend_settings_check(app_configs, **kwargs) -> list[CheckMessage]:
    """The spend caps' settings (orchestrator.services.spend): a price or cap that does not read as
    a number fails every turn into the fallback reply, so it is said at start."""
    from orchestrator.pricing import amount_setting
    from orchestrator.services.spend import EXHAUSTED_ACTIONS

    problems: list[CheckMessage] = []
    for name in SPEND_AMOUNTS:
        try:
            amount_setting(name)
        except ImproperlyConfigured as exc:
            # A warning, as W001: migrate must still run; the turns answer the fallback meanwhile.
            problems.append(
                Warning(str(exc), hint="Until then AI turns answer the fallback reply.", id="orchestrator.W002")
            )
    action = (settings.AI_BUDGET_EXHAUSTED_ACTION or "").strip().lower()
    if action and action not in EXHAUSTED_ACTIONS:
        problems.append(
            Warning(
                f"AI_BUDGET_EXHAUSTED_ACTION must be one of {', '.join(EXHAUSTED_ACTIONS)}",
                hint="Until then a spent budget answers with the fallback text.",
                id="orchestrator.W003",
            )
        )
    return problems
