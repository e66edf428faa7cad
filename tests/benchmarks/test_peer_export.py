"""The benchmark's Datasette peer serves exactly the case studies the public catalogue serves."""

import sqlite3
from contextlib import closing

import pytest

from benchmarks.peer import COLUMNS, INDEXED, export_case_studies
from catalogue.models import CaseStudy, Status
from catalogue.synthetic import generate_synthetic
from tests.factories import make_case_study


def read_flat(path) -> tuple[list[dict], set[str]]:
    with closing(sqlite3.connect(path)) as connection:
        connection.row_factory = sqlite3.Row
        rows = [dict(row) for row in connection.execute("SELECT * FROM cases ORDER BY id")]
        indexes = {
            row["name"]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases'"
            )
        }
    return rows, indexes


@pytest.mark.django_db
def test_peer_table_has_one_row_per_published_case_study_and_no_drafts(tmp_path):
    generate_synthetic(count=50, seed=7)
    draft = make_case_study(title="Not public yet", status=Status.DRAFT)

    written = export_case_studies(tmp_path / "catalogue.db")

    rows, _ = read_flat(tmp_path / "catalogue.db")
    published = CaseStudy.objects.published()
    assert written == len(rows) == published.count() == 50
    assert [row["id"] for row in rows] == sorted(published.values_list("pk", flat=True))
    assert draft.pk not in {row["id"] for row in rows}


@pytest.mark.django_db
def test_peer_rows_carry_what_datasette_filters_and_searches_on(tmp_path):
    generate_synthetic(count=50, seed=7)

    export_case_studies(tmp_path / "catalogue.db")

    rows, indexes = read_flat(tmp_path / "catalogue.db")
    case_study = CaseStudy.objects.get(pk=rows[0]["id"])
    first_area = case_study.service_areas.order_by("name").first()
    first_council = case_study.councils.order_by("name").first()
    assert list(rows[0]) == COLUMNS
    assert rows[0]["slug"] == case_study.slug
    assert rows[0]["title"] == case_study.title
    assert rows[0]["summary"] == case_study.summary
    assert rows[0]["response_type"] == case_study.response
    assert rows[0]["year"] == case_study.start_year
    assert rows[0]["service_area"] == first_area.name
    assert rows[0]["council"] == first_council.name
    assert rows[0]["region"] == first_council.get_region_display()
    assert {f"idx_cases_{column}" for column in INDEXED} <= indexes
