from django.apps import AppConfig


class OrchestratorConfig(AppConfig):
    name = "orchestrator"
    verbose_name = "AI orchestrator"

    def ready(self) -> None:
        # Agents and tools register here, once per process (seed 1's setup_orchestrator()).
        from orchestrator.agents import register_default_agents

        register_default_agents()
