from django.apps import AppConfig


class OrchestratorConfig(AppConfig):
    name = "orchestrator"
    verbose_name = "AI orchestrator"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from orchestrator.agents import register_default_agents
        from orchestrator.models import AIConfig
        from orchestrator.selectors import ai_config_changed

        # Agents and tools register here, once per process (seed 1's setup_orchestrator()).
        register_default_agents()
        # A save of the AI settings reaches this process's next turn at once (orchestrator.selectors).
        post_save.connect(ai_config_changed, sender=AIConfig, dispatch_uid="orchestrator.ai_config_saved")
        post_delete.connect(ai_config_changed, sender=AIConfig, dispatch_uid="orchestrator.ai_config_deleted")
