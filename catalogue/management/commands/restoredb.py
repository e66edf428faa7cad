from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.backup import BackupError, restore_database


class Command(BaseCommand):
    help = "Replace the database's contents with a backup made by `backupdb`."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path, help="The backup file to restore.")
        parser.add_argument("--no-input", action="store_true", help="Do not ask to confirm.")

    def handle(self, *args, path: Path, no_input: bool, **options) -> None:
        if not no_input:
            answer = input(f"Replace everything in the database with {path}? Type 'yes': ")
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled; nothing was changed.")
        try:
            restore_database(path=path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Restored the database from {path}"))
