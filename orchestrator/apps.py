from django.apps import AppConfig


class OrchestratorConfig(AppConfig):
    name = "orchestrator"
    verbose_name = "AI orchestrator"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_delete, post_save

        from orchestrator.checks import llm_model_check, spend_settings_check
        from orchestrator.models import AIConfig
        from orchestrator.selectors import ai_config_changed

        # The agents and tools (pydantic with them) register when orchestrator.agents is first
        # imported, by the code that routes a turn: a web process that serves no AI turn never loads them.
        # A save of the AI settings reaches this process's next turn at once (orchestrator.selectors).
        post_save.connect(ai_config_changed, sender=AIConfig, dispatch_uid="orchestrator.ai_config_saved")
        post_delete.connect(ai_config_changed, sender=AIConfig, dispatch_uid="orchestrator.ai_config_deleted")
        checks.register(llm_model_check)
        checks.register(spend_settings_check)
