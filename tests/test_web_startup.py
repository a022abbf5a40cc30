"""A web process under the production settings starts without what a plain request never uses: the
AI agents and their tools (with pydantic) load with the first AI turn, the rotating-file log handler
only when LOG_TO_FILES asks for it, the password rules (the common-password list) with the first
password to check, numpy with the first vector of the knowledge base."""

from tests.helpers import json_printed
from tests.test_deploy import run_production, strong_secret

LAZY = ["concurrent_log_handler", "numpy", "orchestrator.agents", "orchestrator.tools", "portalocker", "pydantic"]
LOADED = "import json, sys; print(json.dumps(sorted(m for m in {lazy} if m in sys.modules)))"


def loaded_after(code: str, **env: str) -> list[str]:
    result = run_production(
        ["-c", f"{code}; {LOADED.format(lazy=LAZY)}"],
        DJANGO_SECRET_KEY=strong_secret(),
        REDIS_URL="redis://127.0.0.1:6379/2",
        **env,
    )
    return json_printed(result)


def test_the_web_application_loads_none_of_them():
    assert loaded_after("from config.wsgi import application") == []


def test_the_first_turn_registers_the_agents():
    code = "from config.wsgi import application; from orchestrator import agents; print(sorted(agents._AGENTS))"
    result = run_production(["-c", code], DJANGO_SECRET_KEY=strong_secret(), REDIS_URL="redis://127.0.0.1:6379/2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "['general', 'report_agent']"


def test_log_files_load_their_handler(tmp_path):
    loaded = loaded_after(
        "from config.wsgi import application; import logging; logging.getLogger('messages').info('x')",
        LOG_TO_FILES="true",
        LOGS_FOLDER=str(tmp_path),  # absolute: replaces the folder under the project
    )
    assert "concurrent_log_handler" in loaded


PASSWORD_RULES_BUILT = (
    "from django.contrib.auth.password_validation import get_default_password_validators as rules; "
    "print(rules.cache_info().currsize)"
)


def test_the_password_rules_load_with_the_first_password_to_check():
    code = f"from config.wsgi import application; {PASSWORD_RULES_BUILT}"
    checked = (
        "from config.wsgi import application; from accounts.passwords import password_check; "
        f"password_check(password='a-Str0ng-passphrase', field='password'); {PASSWORD_RULES_BUILT}"
    )
    for source, built in ((code, "0"), (checked, "1")):
        result = run_production(["-c", source], DJANGO_SECRET_KEY=strong_secret(), REDIS_URL="redis://127.0.0.1:6379/2")
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stdout.strip().splitlines()[-1] == built
