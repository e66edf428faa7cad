"""How long a 2,000-case-study workbook takes to check (dry run) and to import.

    .venv/bin/python benchmarks/import_2000.py                # throwaway SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/EMPTY_DB \
        .venv/bin/python benchmarks/import_2000.py
    .venv/bin/python benchmarks/import_2000.py --rows 500

Without DATABASE_URL it works in a SQLite file in a temporary directory, deleted after. With
DATABASE_URL it migrates that database and imports into it, so give it an empty, throwaway
one: it refuses a database that already holds case studies. It makes 40 councils and 8 service
areas, then a workbook (generated, SYNTHETIC text) with ROWS case studies on the first sheet,
each with three outcomes, three sources, a second council and two partners (one new
organisation each, one shared) in a new partnership, under the 1 MB upload limit. It times the
dry run, the import, and the same file imported again (which must change nothing), each with
its query count, as the admin runs them (catalogue.imports.import_case_studies).
"""

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key-not-used-anywhere-else-3f9a")


def workbook(rows: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    cases = book.create_sheet("Case studies")
    cases.append(["slug", "title", "summary", "response", "service_areas", "councils",
                  "start_year", "partnership", "partnership_governance", "source_url",
                  "source_title", "source_publisher", "source_year"])  # fmt: skip
    outcomes = book.create_sheet("outcomes")
    outcomes.append(["case_study", "description", "kind", "evidence", "figure", "unit"])
    sources = book.create_sheet("sources")
    sources.append(["case_study", "url", "title", "publisher", "year"])
    councils = book.create_sheet("councils")
    councils.append(["case_study", "council"])
    partners = book.create_sheet("partners")
    partners.append(["case_study", "name", "sector", "role"])
    for n in range(rows):
        slug = f"bench-import-{n:05d}"
        cases.append([slug, f"Benchmark case study {n}", f"Synthetic summary number {n}.",
                      ["fight", "adapt", "exit", "collaborate"][n % 4], f"area-{n % 8}",
                      f"bench-council-{n % 40}", 2010 + n % 12, f"Bench partnership {n}",
                      "alliance", f"https://example.org/{n}/report", f"Report {n}",
                      "Synthetic", 2018])  # fmt: skip
        for k in range(3):
            outcomes.append([slug, f"Outcome {k} of {n}", "achieved", "reported", n + k, "%"])
        for k in range(2):
            sources.append([slug, f"https://example.org/{n}/more-{k}", f"More {k}", "Bench", 2019])
        councils.append([slug, f"Bench council {(n + 1) % 40}"])  # by name
        partners.append([slug, f"Bench organisation {n}", "voluntary-community", "Delivers"])
        partners.append([slug, "Bench shared trust", "nhs", "Funds"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    temporary = None
    if not os.environ.get("DATABASE_URL"):
        temporary = tempfile.TemporaryDirectory()
        os.environ["DATABASE_URL"] = f"sqlite:///{temporary.name}/import-benchmark.sqlite3"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalogue.imports import MAX_BYTES, import_case_studies
    from catalogue.models import CaseStudy, ServiceArea
    from partnerships.models import Council, CouncilType, Nation, Region

    call_command("migrate", verbosity=0)
    if CaseStudy.objects.exists():
        sys.exit("This database already holds case studies; give the benchmark an empty one.")
    Council.objects.bulk_create(
        Council(name=f"Bench council {n}", slug=f"bench-council-{n}", nation=Nation.ENGLAND,
                council_type=CouncilType.UNITARY, region=Region.NORTH_WEST)
        for n in range(40)
    )  # fmt: skip
    ServiceArea.objects.bulk_create(
        ServiceArea(slug=f"area-{n}", name=f"Area {n}") for n in range(8)
    )
    content = workbook(args.rows)
    print(f"{connection.vendor}: {args.rows} case studies, workbook {len(content) / 1024:.0f} KB"
          f" (limit {MAX_BYTES // 1024} KB)")  # fmt: skip
    for label, dry_run in [("dry run", True), ("import", False), ("same file again", False)]:
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            report = import_case_studies(content=content, filename="bench.xlsx", dry_run=dry_run)
        seconds = time.perf_counter() - started
        if report.problems:
            sys.exit(f"Problems: {report.problems[:5]}")
        print(f"  {label:16} {seconds:6.2f} s  {len(queries):4} queries  "
              f"new {len(report.new)}, updated {len(report.updated)}, "
              f"unchanged {len(report.unchanged)}")  # fmt: skip
    connection.close()
    if temporary:
        temporary.cleanup()


if __name__ == "__main__":
    main()
