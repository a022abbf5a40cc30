"""Every string the panel marks for translation has a Polish translation (issue 28.5: a new user
found English words on Polish pages). Pure Python, no gettext tools: the template strings come from
Django's own `templatize` (what `makemessages` feeds xgettext), the Python ones from the syntax
tree, and both are looked up in locale/pl/LC_MESSAGES/django.po, the file translators edit."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation.template import templatize

ROOT = Path(settings.BASE_DIR)
PO_FILE = ROOT / "locale" / "pl" / "LC_MESSAGES" / "django.po"
APPS = (
    "accounts",
    "config",
    "core",
    "inbox",
    "knowledge",
    "messaging",
    "orchestrator",
    "reports",
    "twilio_channel",
    "telegram_channel",
)
# name -> (position of the context, position of the singular, position of the plural), None: none.
CALLS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
Key = tuple[str | None, str]  # (msgctxt, msgid)


def po_entries(path: Path) -> dict[Key, list[str]]:
    """(msgctxt, msgid) -> its msgstr (one per plural form); fuzzy entries count as untranslated,
    as msgfmt leaves them out of the .mo."""
    entries: dict[Key, list[str]] = {}
    fields: dict[str, str] = {}
    flags = ""
    current = None

    def flush() -> None:
        if fields.get("msgid"):
            strings = [value for name, value in sorted(fields.items()) if name.startswith("msgstr")]
            entries[(fields.get("msgctxt"), fields["msgid"])] = [] if "fuzzy" in flags else strings

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = line.strip()
        if not line:
            flush()
            fields, flags, current = {}, "", None
        elif line.startswith("#,"):
            flags += line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            fields[current] += ast.literal_eval(line)
        else:
            current, _, value = line.partition(" ")
            fields[current] = ast.literal_eval(value)
    return entries


def _string_arguments(text: str) -> list[str]:
    """The string literals of a call's argument list, `text` starting just after its "("."""
    strings, depth = [], 0
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.STRING:
            strings.append(ast.literal_eval(token.string))
        elif token.string == "(":
            depth += 1
        elif token.string == ")":
            if depth == 0:
                return strings
            depth -= 1
        elif token.type == tokenize.NEWLINE:
            break
    return strings


def _keys(name: str, arguments: list[str]) -> list[Key]:
    context_at, singular_at, plural_at = CALLS[name]
    context = arguments[context_at] if context_at is not None else None
    keys = [(context, arguments[singular_at])]
    if plural_at is not None:
        keys.append((context, arguments[plural_at]))
    return keys


def template_msgids() -> dict[Key, str]:
    found: dict[Key, str] = {}
    # The project's templates and the apps' own (a channel's profile section).
    paths = [
        *(ROOT / "templates").rglob("*.html"),
        *(p for app in APPS for p in (ROOT / app / "templates").rglob("*.html")),
    ]
    for path in sorted(paths):
        source = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        for match in re.finditer(r"\b(npgettext|pgettext|ngettext|gettext)\(", source):
            for key in _keys(match.group(1), _string_arguments(source[match.end() :])):
                found.setdefault(key, str(path.relative_to(ROOT)))
    return found


def python_msgids() -> dict[Key, str]:
    found: dict[Key, str] = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if {"tests", "migrations"} & set(path.parts):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name not in CALLS:
                    continue
                if not all(isinstance(arg, ast.Constant) and isinstance(arg.value, str) for arg in node.args[:3]):
                    continue  # a variable (ngettext's count, a computed text): nothing to look up
                arguments = [arg.value for arg in node.args if isinstance(arg, ast.Constant)]
                for key in _keys(name, arguments):
                    found.setdefault(key, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _django_translates(context: str | None, msgid: str) -> bool:
    """Django's own catalogs translate it (the admin's "Django administration" a template falls back on)."""
    with translation.override("pl"):
        return (translation.pgettext(context, msgid) if context else translation.gettext(msgid)) != msgid


def _untranslated(found: dict[Key, str]) -> list[str]:
    catalog = po_entries(PO_FILE)
    missing = []
    for (context, msgid), where in sorted(found.items(), key=lambda item: item[1]):
        strings = catalog.get((context, msgid))
        if (not strings or not all(strings)) and not _django_translates(context, msgid):
            missing.append(f"{where}: {msgid!r}" + (f" (context {context!r})" if context else ""))
    return missing


def test_the_po_parser_reads_contexts_plurals_and_fuzzy_entries(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr "Language: pl\\n"\n\n'
        'msgctxt "verb"\nmsgid "Open"\nmsgstr "Otwórz"\n\n'
        'msgid "%(n)s unread"\nmsgid_plural "%(n)s unread"\nmsgstr[0] "a"\nmsgstr[1] ""\n\n'
        '#, fuzzy\nmsgid "Long"\nmsgstr ""\n"Dłu"\n"gi"\n',
        encoding="utf-8",
    )
    assert po_entries(po) == {("verb", "Open"): ["Otwórz"], (None, "%(n)s unread"): ["a", ""], (None, "Long"): []}


def test_the_extractors_find_each_kind_of_string():
    templates = template_msgids()
    assert (None, "Conversations") in templates  # {% translate %}
    assert (None, "%(counter)s unread") in templates  # {% blocktranslate count %}
    assert (None, "Too many failed login attempts. Try again later.") in python_msgids()


def test_every_template_string_has_a_polish_translation():
    missing = _untranslated(template_msgids())
    assert not missing, "no Polish translation in locale/pl/LC_MESSAGES/django.po for:\n" + "\n".join(missing)


def test_every_python_string_marked_for_translation_has_a_polish_translation():
    missing = _untranslated(python_msgids())
    assert not missing, "no Polish translation in locale/pl/LC_MESSAGES/django.po for:\n" + "\n".join(missing)
