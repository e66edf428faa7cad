from django.core.management.base import BaseCommand

from catalogue.models import Source
from catalogue.source_checks import questionable_sources


class Command(BaseCommand):
    help = (
        "List sources whose addresses need checking: staging or test sites, document-sharing "
        "sites given as the original, and sites unrelated to the publisher named."
    )

    def handle(self, *args, **options) -> None:
        findings = questionable_sources(Source.objects.all())
        for finding in findings:
            self.stdout.write(
                f"{finding.source.case_study.slug}: “{finding.source.title}”: {finding.problem}\n"
                f"    {finding.address}"
            )
        summary = f"{len(findings)} source address{'es' if len(findings) != 1 else ''} to check."
        self.stdout.write(self.style.WARNING(summary) if findings else self.style.SUCCESS(summary))
