from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.backup import BackupError, backup_database, default_backup_path


class Command(BaseCommand):
    help = "Back up the whole database (pg_dump on PostgreSQL, a file copy on SQLite)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", type=Path, help="Where to write the backup.")

    def handle(self, *args, path: Path | None, **options) -> None:
        try:
            written = backup_database(path=path or default_backup_path())
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Backup written to {written}"))
