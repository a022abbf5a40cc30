"""The locked toolchain: a runtime lock for deployers and the image, a development lock on top of it,
both pinned with hashes by one lock tool; the git hooks run the locked ruff."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEV_TOOLS = {
    "pytest", "pytest-django", "pytest-timeout", "factory-boy", "faker", "ruff", "mypy", "django-stubs",
    "djangorestframework-stubs", "pre-commit", "uv",
}  # fmt: skip
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)(\[[^\]]*\])?==(?P<version>[^\s;\\]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock(filename: str) -> dict[str, tuple[str, int]]:
    """name -> (pinned version, number of hashes)."""
    pins: dict[str, tuple[str, int]] = {}
    name = ""
    for line in (ROOT / filename).read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            match = PIN.match(line)
            assert match, f"{filename}: not an exact pin: {line}"
            name = canonical(match["name"])
            pins[name] = (match["version"], 0)
        elif line.strip().startswith("--hash=sha256:"):
            pins[name] = (pins[name][0], pins[name][1] + 1)
    return pins


@pytest.mark.parametrize("filename", ["requirements.txt", "requirements-dev.txt"])
def test_each_lock_pins_every_package_with_hashes_and_says_how_to_regenerate_it(filename):
    pins = lock(filename)
    assert pins
    assert not [name for name, (_, hashes) in pins.items() if not hashes]
    header = (ROOT / filename).read_text().splitlines()[:3]
    source = filename.replace(".txt", ".in")
    assert any(re.search(rf"uv pip compile .*--generate-hashes .*{source} -o {filename}$", line) for line in header)


def test_the_runtime_lock_holds_no_development_tool():
    assert not DEV_TOOLS & set(lock("requirements.txt"))
    assert lock("requirements.txt")["litellm"][0] == "1.106.2"


def test_the_development_lock_holds_the_tools_at_the_runtime_versions():
    runtime, dev = lock("requirements.txt"), lock("requirements-dev.txt")
    assert set(dev) >= DEV_TOOLS
    assert "-c requirements.txt" in (ROOT / "requirements-dev.in").read_text().splitlines()
    assert {name: dev[name][0] for name in set(runtime) & set(dev)} == {
        name: runtime[name][0] for name in set(runtime) & set(dev)
    }


def test_the_tests_install_both_locks_and_the_image_only_the_runtime_one():
    test_sh = (ROOT / "scripts" / "test.sh").read_text()
    assert re.search(r"pip install .*-r requirements\.txt -r requirements-dev\.txt", test_sh)
    commands = [".venv/bin/ruff check", ".venv/bin/mypy", ".venv/bin/python -m pytest"]
    assert [test_sh.index(command) for command in commands] == sorted(test_sh.index(command) for command in commands)
    instructions = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if not line.startswith("#")]
    installs = [line for line in instructions if "pip install" in line]
    assert installs == [
        "RUN pip install --require-hashes -r requirements-pip.txt",
        "RUN pip install --require-hashes -r requirements.txt",
    ]
    assert not [line for line in instructions if "requirements-dev" in line]


@pytest.mark.parametrize("script", ["test.sh", "run.sh"])
def test_the_scripts_install_the_pinned_installer_before_the_locks(script):
    # An older pip than the pinned one refuses the hash-checked locks (litellm asks for httpx[http2]).
    text = (ROOT / "scripts" / script).read_text()
    installer = text.index("pip install --disable-pip-version-check -q --require-hashes -r requirements-pip.txt")
    assert installer < text.index("--require-hashes -r requirements.txt")
    assert set(lock("requirements-pip.txt")) == {"pip"}
    assert lock("requirements-pip.txt")["pip"][1] >= 1


def test_the_git_hooks_run_the_locked_ruff():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format"} <= set(hooks)
    ruff = f"ruff=={lock('requirements-dev.txt')['ruff'][0]}"
    for hook_id in ("ruff-check", "ruff-format"):
        assert hooks[hook_id]["additional_dependencies"] == [ruff]
