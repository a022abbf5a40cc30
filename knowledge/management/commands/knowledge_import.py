"""`manage.py knowledge_import PATH...` (files or folders) or `--demo` (the README and docs/)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from knowledge.importing import demo_paths, import_files


class Command(BaseCommand):
    help = "Import .txt, .md, .html and .pdf files into the knowledge base (a changed file replaces its passages)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="Files or folders.")
        parser.add_argument("--demo", action="store_true", help="Import the project's README and docs/.")

    def handle(self, *args, **options):
        if options["demo"]:
            paths, base = demo_paths(), Path(settings.BASE_DIR)
        else:
            paths, base = [Path(p) for p in options["paths"]], None
        if not paths:
            raise CommandError("Give one or more files or folders, or --demo.")
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"No such file or folder: {', '.join(missing)}")
        counts, failures = import_files(paths, base=base)
        for line in failures:
            self.stderr.write(f"Skipped {line}")
        self.stdout.write(
            f"Documents: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged, {counts['failed']} failed."
        )
        if failures and not (counts["created"] or counts["updated"] or counts["unchanged"]):
            raise CommandError("Nothing could be imported.")
