"""Files into documents, for `manage.py knowledge_import` and the demo corpus. A document is known by
its source (the path as given); re-importing a changed file replaces its passages, an unchanged one
is skipped. Folders are walked for the supported extensions."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from core.exceptions import ApplicationError
from knowledge.chunking import HEADING
from knowledge.extraction import FORMATS, text_from_file
from knowledge.services import document_upsert_by_source

logger = logging.getLogger("knowledge")

DEMO_FILES = ("README.md", "docs")


def files_under(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FORMATS))
        else:
            found.append(path)
    return found


def title_of(path: Path, text: str) -> str:
    """The first heading of the text, else the file's name."""
    for line in text.splitlines()[:50]:
        match = HEADING.match(line)
        if match:
            return match.group("title").strip()[:200]
    return path.stem.replace("_", " ").replace("-", " ").strip()[:200] or path.name[:200]


def import_files(paths: Iterable[Path], *, base: Path | None = None) -> tuple[Counter, list[str]]:
    """Counts of `created`, `updated`, `unchanged` and `failed`, and one line per failure."""
    counts: Counter = Counter(created=0, updated=0, unchanged=0, failed=0)
    failures: list[str] = []
    for path in files_under(paths):
        source = str(path.relative_to(base)) if base is not None else str(path)
        try:
            text = text_from_file(name=path.name, data=path.read_bytes())
            _document, outcome = document_upsert_by_source(title=title_of(path, text), text=text, source=source)
        except (ApplicationError, OSError) as exc:
            counts["failed"] += 1
            failures.append(f"{source}: {getattr(exc, 'message', None) or type(exc).__name__}")
            continue
        counts[outcome] += 1
    return counts, failures


def demo_paths() -> list[Path]:
    return [settings.BASE_DIR / name for name in DEMO_FILES if (settings.BASE_DIR / name).exists()]
