"""The apps depend one way: core → accounts → messaging/reports → orchestrator → channels → config.
A module may import its own app and the apps below it, never one above it or beside it, so each
layer can be read, tested and replaced without the ones that build on it."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {
    "core": 0,
    "accounts": 1,
    "messaging": 2,
    "reports": 2,
    "orchestrator": 3,
    "twilio_channel": 4,
    "config": 5,
}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return {name.split(".")[0] for name in names} & LAYERS.keys()


def upward_imports(app: str) -> list[str]:
    found = []
    for path in sorted((ROOT / app).rglob("*.py")):
        if "tests" in path.relative_to(ROOT).parts:
            continue  # a lower app's tests may drive the stack above it end to end
        for other in imported_apps(path) - {app}:
            if LAYERS[other] >= LAYERS[app]:
                found.append(f"{path.relative_to(ROOT)} imports {other}")
    return found


@pytest.mark.parametrize("app", [app for app in LAYERS if (ROOT / app).is_dir()])
def test_no_app_imports_an_app_above_or_beside_it(app):
    assert upward_imports(app) == []


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    module = tmp_path / "messaging" / "bad.py"
    module.parent.mkdir()
    module.write_text("def f():\n    from orchestrator.tasks import process_ai_message\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert upward_imports("messaging") == ["messaging/bad.py imports orchestrator"]
