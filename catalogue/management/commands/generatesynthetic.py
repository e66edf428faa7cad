from django.core.management.base import BaseCommand, CommandError

from catalogue.synthetic import MixedDataError, generate_synthetic


class Command(BaseCommand):
    help = (
        "Add N synthetic case studies (slugs 'synthetic-…') for load and scale tests. Run it "
        "against a separate database (DATABASE_URL): it refuses one holding real case studies."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same catalogue.")

    def handle(self, *args, count: int, seed: int, **options) -> None:
        if count < 1:
            raise CommandError("--count must be at least 1.")
        try:
            report = generate_synthetic(count=count, seed=seed)
        except MixedDataError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {report.case_studies:,} synthetic case studies in {report.seconds:.1f} s."
            )
        )
