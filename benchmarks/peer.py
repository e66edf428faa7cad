"""The Datasette peer's data: the app's published case studies as one flat SQLite table.

    DATABASE_URL=sqlite:////tmp/bench/20k.sqlite3 .venv/bin/python benchmarks/peer.py OUT.db \
        [--sqlite-utils benchmarks/.venv-peer/bin/sqlite-utils]

The table is laid out as ../shared/bench/make_cases_db.py lays out its `cases` table (one row
per case study: id, title, council, region, response_type, service_area, year, summary) plus
the slug, so Datasette serves exactly the case studies our catalogue serves, with the same ids.
A case study with several councils or service areas gets the first by name of each: a flat
table has one value per column, which is the point of the comparison.

`export_case_studies` needs only Django and the standard library's sqlite3 (the tests use it
as it is). The full-text index is added afterwards with sqlite-utils from the benchmark-only
virtualenv, `sqlite-utils enable-fts OUT.db cases title summary --fts5`, exactly as
../shared/bench/bench_datasette.sh does, so Datasette finds the index as it expects to.
"""

import argparse
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

TABLE = "cases"
COLUMNS = [
    "id",
    "slug",
    "title",
    "council",
    "region",
    "response_type",
    "service_area",
    "year",
    "summary",
]
# The filter and facet columns get plain indexes, as bench_datasette.sh gives them (same names
# as `sqlite-utils create-index` would choose).
INDEXED = ["response_type", "service_area", "region", "year", "council"]
CHUNK = 2000

CREATE_TABLE = f"""
CREATE TABLE {TABLE} (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    council TEXT NOT NULL,
    region TEXT NOT NULL,
    response_type TEXT NOT NULL,
    service_area TEXT NOT NULL,
    year INTEGER,
    summary TEXT NOT NULL
)
"""


def first_by_name(pairs: Iterator[tuple[int, str]]) -> dict[int, str]:
    """{case study id: the first name}, from (id, name) pairs sorted by id then name."""
    first: dict[int, str] = {}
    for case_study_id, name in pairs:
        first.setdefault(case_study_id, name)
    return first


def flat_rows() -> Iterator[tuple]:
    """One tuple per published case study, in COLUMNS order, by id."""
    from catalogue.models import CaseStudy
    from partnerships.models import Region

    published = CaseStudy.objects.published()
    councils = CaseStudy.councils.through.objects.filter(casestudy__in=published.values("pk"))
    areas = CaseStudy.service_areas.through.objects.filter(casestudy__in=published.values("pk"))
    council_names = first_by_name(
        councils.order_by("casestudy_id", "council__name")
        .values_list("casestudy_id", "council__name")
        .iterator(chunk_size=CHUNK)
    )
    region_of = first_by_name(
        councils.order_by("casestudy_id", "council__name")
        .values_list("casestudy_id", "council__region")
        .iterator(chunk_size=CHUNK)
    )
    area_names = first_by_name(
        areas.order_by("casestudy_id", "servicearea__name")
        .values_list("casestudy_id", "servicearea__name")
        .iterator(chunk_size=CHUNK)
    )
    regions = dict(Region.choices)
    rows = (
        published.order_by("pk")
        .values_list("pk", "slug", "title", "response", "start_year", "summary")
        .iterator(chunk_size=CHUNK)
    )
    for pk, slug, title, response, year, summary in rows:
        region = region_of.get(pk, "")
        yield (
            pk,
            slug,
            title,
            council_names.get(pk, ""),
            regions.get(region, region),
            response,
            area_names.get(pk, ""),
            year,
            summary,
        )


def export_case_studies(path: Path) -> int:
    """Write the flat `cases` table (and its column indexes) to a new SQLite file at `path`.

    Reads through the configured Django database; returns the number of rows written.
    """
    path = Path(path)
    if path.exists():
        path.unlink()
    connection = sqlite3.connect(path)
    try:
        connection.execute(CREATE_TABLE)
        placeholders = ", ".join("?" for _ in COLUMNS)
        connection.executemany(
            f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({placeholders})", flat_rows()
        )
        for column in INDEXED:
            connection.execute(f"CREATE INDEX idx_{TABLE}_{column} ON {TABLE} ({column})")
        connection.commit()
        (written,) = connection.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
    finally:
        connection.close()
    return written


def enable_fts(path: Path, sqlite_utils: Path) -> None:
    """The FTS5 index on title and summary, made by sqlite-utils as Datasette's docs describe."""
    subprocess.run(
        [str(sqlite_utils), "enable-fts", str(path), TABLE, "title", "summary", "--fts5"],
        check=True,
        timeout=1800,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the SQLite file to write (replaced)")
    parser.add_argument(
        "--sqlite-utils", type=Path, help="also add the FTS5 index with this sqlite-utils"
    )
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    written = export_case_studies(args.out)
    if args.sqlite_utils:
        enable_fts(args.out, args.sqlite_utils)
    print(f"wrote {written} case studies to {args.out}")


if __name__ == "__main__":
    main()
