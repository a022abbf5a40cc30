"""The apps depend one way: core → accounts → messaging/reports/knowledge → orchestrator → inbox → channels → config.
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
    "knowledge": 2,  # the organisation's documents: below the orchestrator, whose tool searches them
    "orchestrator": 3,
    "inbox": 4,
    "twilio_channel": 5,
    "telegram_channel": 5,
    "config": 6,
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


# --- No circle inside an app -----------------------------------------------------------------
# A function-level import that dodges a circular import still makes one: the modules depend on
# each other, so neither can be read or moved alone. Services call services, tasks call services,
# and a service queues a task by its name (core.tasks.enqueue_on_commit), so imports run one way.
ACYCLIC_APPS = ("twilio_channel", "telegram_channel")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_imports(path: Path, root: Path, known: set[str]) -> set[str]:
    """The modules of `known` that `path` imports, at its top level or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path, root).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path, root)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, one level up per extra dot
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import module` imports the module; `from module import name` the module
            found.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names)
    return found & known


def import_cycles(app: str, root: Path | None = None) -> list[str]:
    """Each circle of imports among the app's modules (tests aside), as `a → b → a`."""
    root = root or ROOT
    paths = [path for path in sorted((root / app).rglob("*.py")) if "tests" not in path.relative_to(root).parts]
    known = {module_name(path, root) for path in paths}
    graph = {module_name(path, root): sorted(module_imports(path, root, known)) for path in paths}
    cycles: list[str] = []
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> None:
        if module in trail:
            cycle = trail[trail.index(module) :]
            start = cycle.index(min(cycle))  # each circle once, from its first module by name
            text = " → ".join([*cycle[start:], *cycle[:start], min(cycle)])
            if text not in cycles:
                cycles.append(text)
            return
        if module in done:
            return
        for imported in graph[module]:
            visit(imported, [*trail, module])
        done.add(module)

    for module in graph:
        visit(module, [])
    return cycles


@pytest.mark.parametrize("app", ACYCLIC_APPS)
def test_no_import_cycle_inside_the_app(app):
    assert import_cycles(app) == []


def test_the_check_sees_a_cycle_through_a_function_level_import(tmp_path):
    package = tmp_path / "app"
    (package / "services").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "services" / "__init__.py").write_text("")
    (package / "services" / "sending.py").write_text("def send():\n    from app.tasks import send_message\n")
    (package / "tasks.py").write_text("from app.services import sending\n")
    (package / "models.py").write_text("from . import tasks\n")
    assert import_cycles("app", tmp_path) == ["app.services.sending → app.tasks → app.services.sending"]
