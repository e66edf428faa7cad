from django.core.management.base import BaseCommand, CommandError

from catalogue.seed import SeedError, load_seed


class Command(BaseCommand):
    help = (
        "Load the real seed data (council register, service areas, case studies) from "
        "fixtures/. Safe to run again: existing records are left as editors left them."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--update",
            action="store_true",
            help="Rewrite seeded case studies, their partnerships and the renamed organisations "
            "from the files, replacing editors' changes, and give councils already in the "
            "register the names, end years and successors the files add.",
        )

    def handle(self, *args, update: bool, **options) -> None:
        try:
            report = load_seed(update=update)
        except SeedError as error:
            raise CommandError(
                "The seed files have problems; nothing was loaded:\n  "
                + "\n  ".join(error.problems)
            ) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Seed data loaded: {report.councils_created} councils, "
                f"{report.service_areas_created} service areas, "
                f"{report.organisations_created} organisations, "
                f"{report.partnerships_created} partnerships and "
                f"{report.case_studies_created} case studies added; "
                f"{report.councils_updated} councils brought up to date, "
                f"{report.partnerships_updated} partnerships and "
                f"{report.case_studies_updated} case studies updated, "
                f"{report.case_studies_unchanged} already present and left unchanged."
            )
        )
