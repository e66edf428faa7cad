"""The Datasette peer's data: the app's published case studies with the same meaning as ours.

    DATABASE_URL=sqlite:////tmp/bench/20k.sqlite3 .venv/bin/python benchmarks/peer.py OUT.db

A comparison counts only when both sides answer the same question (../shared/bench/README.md,
"Same meaning on both sides"), so the peer gets what our catalogue has, laid out the way
Datasette serves it best:

- `cases`: one row per published case study, with the same ids, and one column per column of
  our CSV export holding exactly the text of our CSV cell (built by `catalogue.exports`), so
  Datasette's CSV of a filter carries what ours carries. `service_areas` holds the areas as a
  JSON array instead, for Datasette's array facet (`_facet_array=service_areas`).
- `case_service_areas`: the many-to-many table (case id, service area), indexed both ways, for
  filtering by service area with Datasette's `_through`, an indexed lookup.
- `cases_fts`: an FTS5 index over the same four weighted texts our search indexes
  (`catalogue.search.search_document`: title; summary with councils, partners and service
  areas; body; outcomes), with the same tokenizer, declared to Datasette in `metadata.json`
  (`fts_table`, `fts_pk`). So a search matches exactly the case studies ours matches.
- Plain indexes on the columns the scenarios filter and facet on.

`metadata.json` is written next to OUT.db. Needs only Django and the standard library.
"""

import argparse
import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

TABLE = "cases"
THROUGH = "case_service_areas"
FTS = "cases_fts"
# What our FTS5 table uses (catalogue/migrations/0002_search.py).
TOKENIZE = "porter unicode61 remove_diacritics 2"
INTEGER_COLUMNS = {"id", "start_year", "outcome_count"}
INDEXED = ["response", "start_year"]
CHUNK = 1000
BASE_URL = "https://catalogue.example"
# Bumped when the layout changes, so the harness rebuilds a peer file of an older layout.
LAYOUT = 2


def export_columns() -> list[str]:
    from catalogue.exports import COLUMNS

    return [column.name for column in COLUMNS]


def case_rows() -> Iterator[tuple[tuple, list[str]]]:
    """(the row for `cases`, its service area slugs) per published case study, by id."""
    from catalogue.exports import COLUMNS, cell, rows
    from catalogue.models import CaseStudy

    found = rows(
        case_studies=CaseStudy.objects.published().order_by("pk"),
        base_url=BASE_URL,
        chunk_size=CHUNK,
    )
    for row in found:
        areas = [area.slug for area in row.service_areas]
        values = []
        for column in COLUMNS:
            if column.name == "service_areas":
                values.append(json.dumps(areas))
            elif column.name in INTEGER_COLUMNS:
                values.append(column.get(row))
            else:
                values.append(cell(column.get(row)))
        yield tuple(values), areas


def search_rows(ids: list[int]) -> Iterator[tuple]:
    from catalogue.search import documents

    for start in range(0, len(ids), CHUNK):
        for pk, texts in documents(ids[start : start + CHUNK]):
            yield (pk, *texts)


def export_case_studies(path: Path) -> int:
    """Write the peer's tables to a new SQLite file at `path`, and its metadata.json beside it.

    Reads through the configured Django database; returns the number of case studies written.
    """
    path = Path(path)
    path.unlink(missing_ok=True)
    columns = export_columns()
    definitions = ", ".join(
        f"{name} INTEGER PRIMARY KEY" if name == "id"
        else f"{name} INTEGER" if name in INTEGER_COLUMNS
        else f"{name} TEXT"
        for name in columns
    )  # fmt: skip
    connection = sqlite3.connect(path)
    try:
        connection.execute(f"CREATE TABLE {TABLE} ({definitions})")
        connection.execute(
            f"CREATE TABLE {THROUGH} (case_id INTEGER NOT NULL REFERENCES {TABLE}(id), "
            "service_area TEXT NOT NULL, PRIMARY KEY (case_id, service_area))"
        )
        connection.execute(
            f"CREATE VIRTUAL TABLE {FTS} USING fts5(title, people, body, outcomes, "
            f"tokenize = '{TOKENIZE}')"
        )
        placeholders = ", ".join("?" for _ in columns)
        insert = f"INSERT INTO {TABLE} ({', '.join(columns)}) VALUES ({placeholders})"
        ids = []
        for values, areas in case_rows():
            connection.execute(insert, values)
            connection.executemany(
                f"INSERT INTO {THROUGH} VALUES (?, ?)", [(values[0], area) for area in areas]
            )
            ids.append(values[0])
        connection.executemany(
            f"INSERT INTO {FTS} (rowid, title, people, body, outcomes) VALUES (?, ?, ?, ?, ?)",
            search_rows(ids),
        )
        for column in INDEXED:
            connection.execute(f"CREATE INDEX idx_{TABLE}_{column} ON {TABLE} ({column})")
        connection.execute(f"CREATE INDEX idx_{THROUGH}_area ON {THROUGH} (service_area, case_id)")
        connection.execute(f"PRAGMA user_version = {LAYOUT}")
        connection.commit()
        connection.execute("ANALYZE")
        (written,) = connection.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
    finally:
        connection.close()
    metadata_path(path).write_text(json.dumps(metadata(path), indent=2))
    return written


def metadata_path(path: Path) -> Path:
    return Path(path).with_name("metadata.json")


def metadata(path: Path) -> dict:
    """Datasette's metadata: the FTS table of `cases` (it holds its own copy of the texts)."""
    database = Path(path).stem
    if database.endswith(".partial"):
        database = database.removesuffix(".partial")
    return {"databases": {database: {"tables": {TABLE: {"fts_table": FTS, "fts_pk": "id"}}}}}


def layout(path: Path) -> tuple[int, int]:
    """(the layout version, the number of case studies) of an existing peer file."""
    with sqlite3.connect(path) as connection:
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        try:
            (count,) = connection.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
        except sqlite3.DatabaseError:
            count = -1
    connection.close()
    return version, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the SQLite file to write (replaced)")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    written = export_case_studies(args.out)
    print(f"wrote {written} case studies to {args.out}")


if __name__ == "__main__":
    main()
