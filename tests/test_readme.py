"""The README works as written (issue 28 point 4): every `manage.py` command in it names a real
command whose options parse (the read-only ones run for real), every one is typed the same way, and
its links to files and sections lead somewhere."""

import io
import re
import shlex
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command, get_commands, load_command_class

ROOT = Path(settings.BASE_DIR)
README = (ROOT / "README.md").read_text(encoding="utf-8")

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"`([^`\n]+(?:\n[^`\n]+)?)`")  # inline code may wrap onto a second line
LINK = re.compile(r"\]\(([^)\s]+)\)")
# What runs manage.py: the project's virtualenv (or inside a container, `docker compose run`).
INTERPRETER = re.compile(r"(?:^|\s)(\S*python\S*)\s+manage\.py\b")
# Commands that only read, safe to run for real against the test database.
READ_ONLY = {"check", "list_users"}


def _prose(text: str) -> str:
    return FENCE.sub("", text)


def _snippets(text: str) -> list[str]:
    """Code blocks' lines (continuations joined) and inline code spans (wraps joined)."""
    snippets = []
    for block in FENCE.findall(text):
        snippets += block.replace("\\\n", " ").splitlines()
    snippets += [" ".join(span.split()) for span in INLINE.findall(_prose(text))]
    return snippets


def manage_py_commands(text: str) -> list[tuple[str, list[str], str]]:
    """(command, arguments, the line it came from) for each `manage.py ...` in `text`."""
    found = []
    for snippet in _snippets(text):
        for part in re.split(r"&&|;|\|", snippet):
            _, sep, rest = part.partition("manage.py")
            if not sep:
                continue
            words = shlex.split(rest, comments=True)
            if words:
                found.append((words[0], words[1:], snippet))
    return found


def test_the_extractor_finds_block_and_inline_commands():
    text = (
        "Run `.venv/bin/python manage.py set_user_role --username alice\n--role agent` once.\n\n"
        '```bash\n.venv/bin/python manage.py send --to +48123456789 \\\n  --body "Hi there"  # a comment\n```\n'
    )
    assert [(name, args) for name, args, _ in manage_py_commands(text)] == [
        ("send", ["--to", "+48123456789", "--body", "Hi there"]),
        ("set_user_role", ["--username", "alice", "--role", "agent"]),
    ]
    assert manage_py_commands("`manage.py` and `manage.py check`/`migrate`")[0][:2] == ("check", [])


README_COMMANDS = manage_py_commands(README)


def test_the_readme_documents_the_operator_commands():
    names = {name for name, _, _ in README_COMMANDS}
    for name in ("createsuperuser", "list_users", "set_user_phone", "set_user_role", "devserver"):
        assert name in names, name


@pytest.mark.parametrize(("name", "args", "line"), README_COMMANDS, ids=[line for _, _, line in README_COMMANDS])
def test_each_command_exists_and_its_options_parse(name, args, line):
    commands = get_commands()
    assert name in commands, f"{line!r}: no management command {name!r}"
    command = load_command_class(commands[name], name)
    # The command's own parser; a wrong or missing option raises CommandError here.
    command.create_parser("manage.py", name).parse_args(args)


@pytest.mark.parametrize("snippet", sorted({line for _, _, line in README_COMMANDS}))
def test_each_command_is_typed_to_run_from_the_project_root(snippet):
    # `.venv/bin/python manage.py ...` everywhere, the container's own `python` after `docker compose run`;
    # a bare `manage.py check` names a command without running it.
    for interpreter in INTERPRETER.findall(snippet):
        assert interpreter == ".venv/bin/python" or "docker compose run" in snippet, snippet


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "args"),
    sorted({(name, tuple(args)) for name, args, line in README_COMMANDS if name in READ_ONLY and "=" not in line}),
)
def test_the_read_only_commands_run(name, args):
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)  # a failure raises (CommandError, SystemCheckError)
    assert out.getvalue() or err.getvalue()


def _slug(heading: str) -> str:
    # GitHub's anchors: lower case, punctuation dropped (hyphens kept), spaces to hyphens.
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_links_lead_somewhere():
    anchors = {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", _prose(README), re.M)}
    targets = LINK.findall(README)
    assert targets
    for target in targets:
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        if path:
            assert (ROOT / path).exists(), target
        elif anchor:
            assert anchor in anchors, target


def test_the_files_it_names_exist():
    # An inline `path/to/file.py` is something to open; a rename must take the README along.
    named = [
        span
        for span in INLINE.findall(_prose(README))
        if re.fullmatch(r"[\w.-]+(?:/[\w.-]+)+\.(?:py|md|po|mo|toml|yml|txt|sh|in)", span)
    ]
    assert named
    missing = [span for span in named if not (ROOT / span).exists()]
    assert missing == []
