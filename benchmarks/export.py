"""Throughput and peak memory of the CSV and JSON exports on N synthetic case studies.

    .venv/bin/python benchmarks/export.py                 # 100,000 rows, throwaway SQLite file
    .venv/bin/python benchmarks/export.py --rows 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/EMPTY_DB .venv/bin/python benchmarks/export.py
    DATABASE_URL=... .venv/bin/python benchmarks/export.py --existing   # measure data as it is

Without DATABASE_URL it creates a SQLite file in a temporary directory and deletes it after.
With DATABASE_URL it migrates that database and fills it, so give it an empty, throwaway one:
it refuses a database that already holds case studies. The rows it writes are SYNTHETIC
("Synthetic case study 000001", slugs `synthetic-000001`, example.org sources), made with
bulk_create and not added to the search index, which exports without `q` do not use.

Each measurement runs in a fresh child process, so its peak RSS is the export's own: it asks
for /case-studies/export.csv or .json through Django's test client (the whole view, no network)
and reads the StreamingHttpResponse chunk by chunk, keeping only counts. It reports rows per
second, megabytes, the queries run, the growth of peak RSS (resource.getrusage) over a warmed-up
process, and in a second run the tracemalloc peak (tracing slows Python, so it is not timed).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key-not-used-anywhere-else-3f9a")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

BATCH = 5_000
URLS = {"csv": "/case-studies/export.csv", "json": "/case-studies/export.json"}
WORDS = [
    "council", "partners", "residents", "prevention", "budget", "pooled", "care", "health",
    "housing", "library", "youth", "service", "community", "shared", "outcomes", "demand",
    "funding", "neighbourhood", "volunteers", "commissioning",
]  # fmt: skip


def text(seed: int, words: int) -> str:
    return " ".join(WORDS[(seed * 7 + n * 3) % len(WORDS)] for n in range(words))


def setup() -> None:
    import django

    django.setup()


def generate(rows: int) -> None:
    """Write `rows` synthetic published case studies with councils, partners, outcomes, sources."""
    from django.core.management import call_command
    from django.db import transaction

    from catalogue.models import CaseStudy, Outcome, ResponseType, ServiceArea, Source, Status
    from partnerships.models import (
        Council,
        CouncilType,
        Governance,
        Membership,
        Nation,
        Organisation,
        Partnership,
        Region,
        Sector,
    )

    call_command("migrate", verbosity=0)
    if CaseStudy.objects.exists():
        sys.exit("This database already holds case studies; give the benchmark an empty one.")
    started = time.perf_counter()
    with transaction.atomic():
        councils = Council.objects.bulk_create(
            Council(
                name=f"Synthetic council {n:03}",
                slug=f"synthetic-council-{n:03}",
                council_type=CouncilType.values[n % len(CouncilType.values)],
                nation=Nation.ENGLAND,
                region=Region.values[n % 9],
            )
            for n in range(400)
        )
        areas = ServiceArea.objects.bulk_create(
            ServiceArea(name=f"Synthetic area {n:02}", slug=f"synthetic-area-{n:02}")
            for n in range(24)
        )
        organisations = Organisation.objects.bulk_create(
            Organisation(
                name=f"Synthetic partner {n:03}",
                slug=f"synthetic-partner-{n:03}",
                sector=Sector.values[n % len(Sector.values)],
            )
            for n in range(200)
        )
        partnerships = Partnership.objects.bulk_create(
            Partnership(
                name=f"Synthetic partnership {n:04}",
                slug=f"synthetic-partnership-{n:04}",
                governance=Governance.values[n % len(Governance.values)],
            )
            for n in range(2_000)
        )
        Membership.objects.bulk_create(
            Membership(
                partnership=partnership,
                organisation=organisations[(n * 3 + k) % len(organisations)],
                role=text(n + k, 8),
            )
            for n, partnership in enumerate(partnerships)
            for k in range(3)
        )
    first_published = datetime(2020, 1, 1, tzinfo=UTC)
    for start in range(0, rows, BATCH):
        numbers = range(start, min(start + BATCH, rows))
        with transaction.atomic():
            case_studies = CaseStudy.objects.bulk_create(
                CaseStudy(
                    title=f"Synthetic case study {n:06}: {text(n, 6)}",
                    slug=f"synthetic-{n:06}",
                    summary=f"SYNTHETIC benchmark data, not a real case study. {text(n, 60)}",
                    body=text(n, 300),
                    response=ResponseType.values[n % 4],
                    start_year=2010 + n % 15,
                    partnership=partnerships[n % len(partnerships)] if n % 3 else None,
                    status=Status.PUBLISHED,
                    published_at=first_published + timedelta(minutes=n),
                )
                for n in numbers
            )
            CaseStudy.councils.through.objects.bulk_create(
                CaseStudy.councils.through(casestudy=cs, council=councils[(n * 7 + k) % 400])
                for n, cs in zip(numbers, case_studies, strict=True)
                for k in (0, 200)
            )
            CaseStudy.service_areas.through.objects.bulk_create(
                CaseStudy.service_areas.through(casestudy=cs, servicearea=areas[(n + k) % 24])
                for n, cs in zip(numbers, case_studies, strict=True)
                for k in (0, 5)
            )
            Outcome.objects.bulk_create(
                Outcome(
                    case_study=cs,
                    description=text(n + k, 20),
                    kind=("achieved", "projected", "context")[k],
                    figure=(n % 500) / 10 if k != 2 else None,
                    unit="£m" if k != 2 else "",
                    period="2015–2020" if k == 0 else "",
                    evidence=("reported", "monitored", "independently-evaluated")[(n + k) % 3],
                )
                for n, cs in zip(numbers, case_studies, strict=True)
                for k in range(3)
            )
            Source.objects.bulk_create(
                Source(
                    case_study=cs,
                    title=text(n + k, 7),
                    publisher="Synthetic publisher",
                    year=2018,
                    url=f"https://example.org/synthetic/{n}/{k}",
                )
                for n, cs in zip(numbers, case_studies, strict=True)
                for k in range(2)
            )
    print(f"  generated {rows:,} synthetic case studies in {time.perf_counter() - started:.0f} s")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def measure(kind: str, trace: bool) -> dict:
    """Stream one export through the test client, in this (fresh) process."""
    setup()
    from django.db import connection
    from django.test import Client

    client = Client()
    for _chunk in client.get(URLS[kind] + "?year_from=2100").streaming_content:  # warm up
        pass
    baseline = peak_rss_mb()
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    if trace:
        tracemalloc.start()
    size = rows = 0
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        response = client.get(URLS[kind])
        assert response.status_code == 200, response.status_code
        for chunk in response.streaming_content:
            size += len(chunk)
            rows += chunk.count(b"\r\n") if kind == "csv" else chunk.count(b'\n{"id": ')
    seconds = time.perf_counter() - started
    result = {
        "rows": rows - (1 if kind == "csv" else 0),  # the CSV header
        "seconds": seconds,
        "megabytes": size / 1_000_000,
        "queries": queries,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak_rss_mb(),
    }
    if trace:
        result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1_000_000
    return result


def in_child(*args: str) -> str:
    """Run this script with `args` in a fresh process and return what it prints.

    The parent never loads Django, so a child's peak RSS starts from a small process: Linux
    carries the peak across fork and exec.
    """
    command = [sys.executable, __file__, *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", action="store_true", help="measure the data already there")
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=URLS, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        setup()
        generate(args.rows)
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.trace)))
        return

    with tempfile.TemporaryDirectory(prefix="export-bench-") as directory:
        if not os.environ.get("DATABASE_URL"):
            os.environ["DATABASE_URL"] = f"sqlite:///{directory}/bench.sqlite3"
        print(f"database: {os.environ['DATABASE_URL']}")
        if not args.existing:
            print(in_child("--generate", "--rows", str(args.rows)).splitlines()[-1])
        print(
            f"{'export':<6} {'rows':>8} {'seconds':>8} {'rows/s':>8} {'MB':>7} {'queries':>7} "
            f"{'RSS before':>10} {'RSS peak':>9} {'RSS growth':>10} {'tracemalloc':>11}"
        )
        for kind in URLS:
            timed = json.loads(in_child("--measure", kind).splitlines()[-1])
            traced = json.loads(in_child("--measure", kind, "--trace").splitlines()[-1])
            growth = timed["peak_rss_mb"] - timed["baseline_rss_mb"]
            print(
                f"{kind:<6} {timed['rows']:>8,} {timed['seconds']:>8.1f} "
                f"{timed['rows'] / timed['seconds']:>8,.0f} {timed['megabytes']:>7.1f} "
                f"{timed['queries']:>7,} {timed['baseline_rss_mb']:>7.0f} MB "
                f"{timed['peak_rss_mb']:>6.0f} MB {growth:>7.0f} MB "
                f"{traced['tracemalloc_peak_mb']:>8.1f} MB"
            )


if __name__ == "__main__":
    main()
