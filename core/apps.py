from pathlib import Path

from django.apps import AppConfig
from django.conf import settings

FILESYSTEM_BROKER_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


def runtime_folders() -> list[Path]:
    """The folders that the configured local backends write into but do not create: the SQLite
    database's, the filesystem broker's (kombu: "Both directories must be created manually") and
    the one of beat's schedule file."""
    folders = [Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).parent]
    for database in settings.DATABASES.values():
        name = str(database.get("NAME") or "")
        a_file_path = name not in ("", ":memory:") and not name.startswith("file:")  # URIs are left alone
        if database["ENGINE"] == "django.db.backends.sqlite3" and a_file_path:
            folders.append(Path(name).parent)
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        folders += [Path(options[key]) for key in FILESYSTEM_BROKER_FOLDERS if options.get(key)]
    return folders


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Loading the settings creates nothing. Every process that sets Django up makes these
        # first: manage.py (migrate before its first connection), the WSGI app, and Celery's worker
        # and beat, whose Django fixup runs django.setup() before the consumer or the scheduler starts.
        for folder in runtime_folders():
            folder.mkdir(parents=True, exist_ok=True)
