"""The benchmark's Datasette peer answers the same questions as the public catalogue: the same
case studies for a filter or a search, and the same cells in a CSV."""

import csv
import io
import json
import sqlite3
from contextlib import closing

import pytest
from django.http import QueryDict

from benchmarks.peer import BASE_URL, export_case_studies, metadata_path
from catalogue import exports
from catalogue.filters import CaseStudyFilter
from catalogue.models import CaseStudy, Status
from catalogue.synthetic import generate_synthetic
from tests.factories import make_case_study


def query(path, sql: str, params=()) -> list[sqlite3.Row]:
    with closing(sqlite3.connect(path)) as connection:
        connection.row_factory = sqlite3.Row
        return connection.execute(sql, params).fetchall()


def our_ids(text: str) -> set[int]:
    filterset = CaseStudyFilter(QueryDict(text), queryset=CaseStudy.objects.published())
    assert filterset.is_valid()
    return set(filterset.result_ids()[:])


@pytest.fixture
def peer(tmp_path, db):
    generate_synthetic(count=60, seed=7)
    make_case_study(title="Not public yet about flooding", status=Status.DRAFT)
    path = tmp_path / "catalogue.db"
    written = export_case_studies(path)
    return path, written


def test_one_row_per_published_case_study_and_no_drafts(peer):
    path, written = peer
    ids = [row["id"] for row in query(path, "SELECT id FROM cases ORDER BY id")]
    published = sorted(CaseStudy.objects.published().values_list("pk", flat=True))
    assert written == len(ids) == 60
    assert ids == published


def test_a_two_filter_list_selects_the_same_case_studies(peer):
    path, _ = peer
    area = CaseStudy.objects.published().first().service_areas.first()
    response = "collaborate"
    # What Datasette runs for ?response=...&_through={case_service_areas, service_area, ...}
    theirs = {
        row["id"]
        for row in query(
            path,
            "SELECT id FROM cases WHERE response = ? AND id IN "
            "(SELECT case_id FROM case_service_areas WHERE service_area = ?)",
            [response, area.slug],
        )
    }
    assert theirs == our_ids(f"response={response}&service={area.slug}")
    assert theirs  # a filter that matched nothing would prove nothing


def test_a_search_matches_the_same_case_studies(peer):
    path, _ = peer
    word = "flooding"
    # What Datasette runs for ?_search=flooding with fts_table cases_fts, fts_pk id.
    theirs = {
        row["id"]
        for row in query(
            path,
            "SELECT id FROM cases WHERE id IN (SELECT rowid FROM cases_fts WHERE cases_fts "
            "MATCH ?)",
            [f'"{word}"'],
        )
    }
    assert theirs == our_ids(f"q={word}")
    assert theirs


def test_every_csv_cell_is_ours_but_service_areas_as_a_json_array(peer):
    path, _ = peer
    rows = query(path, "SELECT * FROM cases WHERE response = 'adapt' ORDER BY id")
    ours = exports.csv_stream(
        case_studies=CaseStudy.objects.published().filter(response="adapt").order_by("pk"),
        base_url=BASE_URL,
    )
    records = list(csv.DictReader(io.StringIO(b"".join(ours).decode("utf-8-sig"))))
    assert len(records) == len(rows) > 0
    for record, row in zip(records, rows, strict=True):
        # sqlite3.Row iterates over its values: its keys() are the column names.
        theirs = {key: "" if row[key] is None else str(row[key]) for key in row.keys()}  # noqa: SIM118
        assert json.loads(theirs.pop("service_areas")) == record.pop("service_areas").split(" | ")
        assert theirs == record


def test_datasette_is_told_where_the_search_index_is(peer):
    path, _ = peer
    metadata = json.loads(metadata_path(path).read_text())
    assert metadata["databases"]["catalogue"]["tables"]["cases"] == {
        "fts_table": "cases_fts",
        "fts_pk": "id",
    }
