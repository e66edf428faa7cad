"""The CSV export reads each case study's stored line (ExportLine), made again after every change
to what it shows: the file is byte for byte the one made from the case studies themselves."""

import pytest
from django.db import transaction

from catalogue import exports
from catalogue.models import CaseStudy, ExportLine
from tests.catalogue.edits import EDITS, edit, small_catalogue
from tests.factories import (
    make_case_study,
    make_council,
)
from tests.outputs import body

URL = "/case-studies/export.csv"


def made_file(client, monkeypatch, url: str = URL) -> bytes:
    """The export as made from the case studies, every stored line ignored."""
    with monkeypatch.context() as patched:
        patched.setattr(exports, "line_layout", lambda: "no such layout")
        return body(client.get(url))


@pytest.fixture
def catalogue(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return small_catalogue()


def every_published_case_study_has_its_line() -> bool:
    published = set(CaseStudy.objects.published().values_list("pk", flat=True))
    stored = set(ExportLine.objects.values_list("case_study_id", flat=True))
    return published == stored


@pytest.mark.django_db
def test_an_export_reads_stored_lines_and_makes_none(client, catalogue, monkeypatch):
    assert every_published_case_study_has_its_line()
    expected = made_file(client, monkeypatch)
    monkeypatch.setattr(exports, "rows_for", lambda *a, **k: pytest.fail("made a line"))

    assert body(client.get(URL)) == expected
    assert b",http://testserver/" in expected  # each permalink has the site's own address


@pytest.mark.django_db
@pytest.mark.parametrize("kind", EDITS)
def test_after_any_edit_the_stored_lines_give_the_file_made_afresh(
    client, catalogue, monkeypatch, django_capture_on_commit_callbacks, kind
):
    before = body(client.get(URL))

    with django_capture_on_commit_callbacks(execute=True):
        edit(kind, catalogue)

    assert every_published_case_study_has_its_line()  # and no other: none left behind
    after = body(client.get(URL))
    assert after == made_file(client, monkeypatch)
    assert after != before  # the edit shows in the file


@pytest.mark.django_db
def test_a_change_deletes_the_lines_it_makes_stale_in_its_own_transaction(catalogue):
    first, second, _ = catalogue["cases"]

    with pytest.raises(RuntimeError), transaction.atomic():
        first.title = "Never saved"
        first.save()
        assert not ExportLine.objects.filter(case_study=first).exists()  # gone with the change
        assert ExportLine.objects.filter(case_study=second).exists()  # others are kept
        raise RuntimeError("the editor's save fails")

    assert b"Never saved" not in ExportLine.objects.get(case_study=first).line.encode()


@pytest.mark.django_db
def test_lines_made_by_other_code_or_missing_are_made_in_the_export_then_filled(
    client, catalogue, monkeypatch
):
    expected = made_file(client, monkeypatch)
    first, second, _ = catalogue["cases"]
    ExportLine.objects.filter(case_study=first).update(layout="yesterday", line="1,old,/x\r\n")
    ExportLine.objects.filter(case_study=second).delete()

    assert body(client.get(URL)) == expected

    assert exports.fill_missing_lines() == 2
    assert ExportLine.objects.get(case_study=first).layout == exports.line_layout()
    assert body(client.get(URL)) == expected


@pytest.mark.django_db
def test_an_export_with_stored_lines_reads_a_fixed_number_of_queries(
    client, catalogue, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(20):
            make_case_study(title=f"More {n}", service_areas=[catalogue["area"]])
    body(client.get(URL))  # builds the facet index

    # The catalogue version, the service areas' choices, the ids, the lines.
    with django_assert_max_num_queries(4):
        assert body(client.get(URL)).count(b"\r\n") == 1 + 23


@pytest.mark.django_db
def test_a_line_that_cannot_be_stored_is_made_for_each_export(client, catalogue, monkeypatch):
    """A slug that needs quoting (never made by the site, but possible in the database) moves
    the permalink out of its place: that line is not stored, and filling still ends."""
    first = catalogue["cases"][0]
    CaseStudy.objects.filter(pk=first.pk).update(slug="odd,slug")  # no signal: as by hand
    ExportLine.objects.filter(case_study=first).delete()

    assert exports.fill_missing_lines() == 0
    assert not ExportLine.objects.filter(case_study=first).exists()
    assert body(client.get(URL)) == made_file(client, monkeypatch)


@pytest.mark.django_db
def test_bulk_work_makes_its_lines_once_when_it_ends(
    client, catalogue, monkeypatch, django_capture_on_commit_callbacks
):
    """An import or a seed load changes hundreds of case studies, each many times."""
    stored = []
    store = exports.store_lines
    monkeypatch.setattr(exports, "store_lines", lambda ids: stored.append(set(ids)) or store(ids))

    with django_capture_on_commit_callbacks(execute=True):
        southby = make_council(name="Southby")
    with django_capture_on_commit_callbacks(execute=True), exports.lines_deferred():
        for case_study in catalogue["cases"]:
            case_study.title += " (revised)"
            case_study.save()
            case_study.councils.add(southby)
        assert not ExportLine.objects.exists()  # deleted as they went

    assert stored == [{case_study.pk for case_study in catalogue["cases"]}]
    assert every_published_case_study_has_its_line()
    assert body(client.get(URL)) == made_file(client, monkeypatch)
