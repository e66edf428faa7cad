from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.imports import ImportFileError, import_case_studies


class Command(BaseCommand):
    help = (
        "Import case studies from a CSV (UTF-8) or .xlsx file or the catalogue's JSON export; "
        "see docs/importing.md. All or nothing; new case studies are drafts, published ones "
        "are never changed, and a file imported twice changes nothing the second time."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check only; save nothing.")

    def handle(self, *args, path: Path, dry_run: bool, **options) -> None:
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        try:
            report = import_case_studies(content=content, filename=path.name, dry_run=dry_run)
        except ImportFileError as error:
            raise CommandError(f"{path.name}: {error}") from error
        if report.problems:
            raise CommandError(
                "Nothing was imported. Fix these and try again:\n  " + "\n  ".join(report.problems)
            )
        self.stdout.write(self.style.SUCCESS(report.summary(done=not dry_run)))
