"""System checks of the AI settings: said at every `manage.py` start (migrate, runserver), so an
operator sees a refused LITELLM_MODEL before the first AI turn fails over it."""

from django.conf import settings
from django.core.checks import CheckMessage, Warning

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
