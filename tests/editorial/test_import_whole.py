"""Importing whole case studies: the JSON export back in, workbooks with one sheet per kind,
bulk writes, and workbooks that try to hurt the server."""

import io
import json
import tracemalloc
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from catalogue import history
from catalogue.imports import import_case_studies
from catalogue.models import CaseStudy, Outcome, Source, Status
from partnerships.models import Membership, Organisation, Sector
from tests.editorial.test_import import upload
from tests.factories import (
    make_council,
    make_editor,
    make_organisation,
    make_outcome,
    make_partnership,
    make_publisher,
    make_ready_case_study,
    make_service_area,
)


@pytest.fixture
def register(db):
    make_council(name="Wigan", slug="wigan", gss_code="E08000010")
    make_council(name="Bolton", slug="bolton", gss_code="E08000001")
    make_service_area(slug="libraries")
    make_service_area(slug="back-office")


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for values in rows:
            sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


CASE_COLUMNS = ["slug", "title", "summary", "response", "service_areas", "councils",
                "partnership", "partnership_governance", "source_url"]  # fmt: skip


def whole_case_workbook(slugs: list[str]) -> bytes:
    """Each case study with two outcomes, three sources, two councils and two partners."""
    cases = [CASE_COLUMNS] + [
        [slug, f"Title of {slug}", "What happened.", "collaborate", "libraries; back-office",
         "wigan", f"Partnership for {slug}", "alliance", ""]
        for slug in slugs
    ]  # fmt: skip
    outcomes = [["case_study", "description", "kind", "evidence", "figure", "unit"]]
    sources = [["case_study", "url", "title", "publisher", "year"]]
    councils = [["case_study", "council"]]
    partners = [["case_study", "name", "sector", "role"]]
    for slug in slugs:
        outcomes += [[slug, "Visits rose", "achieved", "monitored", 12, "%"],
                     [slug, "Costs fell", "projected", "reported", 0.4, "£m"]]  # fmt: skip
        sources += [[slug, f"https://example.org/{slug}/{n}", f"Report {n}", "LGA", 2018]
                    for n in range(3)]  # fmt: skip
        councils.append([slug, "Bolton"])  # by name
        partners += [[slug, "Wigan Library Friends", "voluntary-community", "Runs the volunteers"],
                     [slug, "Existing Trust", "", "Hosts the service"]]  # fmt: skip
    return xlsx_bytes({"Case studies": cases, "outcomes": outcomes, "sources": sources,
                       "councils": councils, "partners": partners})  # fmt: skip


@pytest.mark.django_db
def test_a_workbook_carries_a_whole_case_study_and_a_second_import_changes_nothing(register):
    make_organisation(name="Existing Trust", sector=Sector.HOUSING_ASSOCIATION)
    content = whole_case_workbook(["reading-together"])
    editor = make_editor()

    report = import_case_studies(content=content, filename="cases.xlsx", dry_run=False, by=editor)

    assert report.problems == [] and report.imported
    case_study = CaseStudy.objects.get(slug="reading-together")
    assert case_study.status == Status.DRAFT
    assert {c.name for c in case_study.councils.all()} == {"Wigan", "Bolton"}
    assert [o.figure_text for o in case_study.outcomes.order_by("pk")] == ["12%", "£0.4m"]
    assert case_study.sources.count() == 3
    partnership = case_study.partnership
    assert (partnership.name, partnership.governance) == ("Partnership for reading-together",
                                                          "alliance")  # fmt: skip
    roles = {(m.organisation.name, m.organisation.sector, m.role)
             for m in partnership.memberships.select_related("organisation")}  # fmt: skip
    assert roles == {
        ("Wigan Library Friends", "voluntary-community", "Runs the volunteers"),
        ("Existing Trust", "housing-association", "Hosts the service"),  # matched by name
    }
    assert Organisation.objects.filter(name="Existing Trust").count() == 1
    version = history.versions(case_study).get()  # one version, not one per row
    assert version.history_user == editor
    assert "Visits rose" in history.contents(version)["Outcomes"]
    assert "Bolton" in history.contents(version)["Councils"]

    again = import_case_studies(content=content, filename="cases.xlsx", dry_run=False)

    assert (len(again.new), len(again.updated), len(again.unchanged)) == (0, 0, 1)
    assert again.summary(done=True).startswith("Nothing to import")
    assert history.versions(case_study).count() == 1
    assert (Outcome.objects.count(), Source.objects.count(), Membership.objects.count()) == (
        2, 3, 2,
    )  # fmt: skip


@pytest.mark.django_db
def test_problems_on_any_sheet_name_the_sheet_row_and_field(register):
    content = xlsx_bytes({
        "Case studies": [CASE_COLUMNS[:6], ["a-case", "T", "S", "adapt", "libraries", "wigan"]],
        "outcomes": [["case_study", "description", "kind", "evidence"],
                     ["a-case", "Fewer visits", "miracle", "reported"],
                     ["no-such-case", "x", "achieved", "reported"]],
        "partners": [["case_study", "name", "sector"], ["a-case", "Brand New Charity", ""]],
        "sources": [["case_study", "url"], ["a-case", "ftp://example.org/x"]],
    })  # fmt: skip

    report = import_case_studies(content=content, filename="cases.xlsx", dry_run=False)

    assert report.problems == [
        "outcomes row 2 (a-case): unknown outcome kind 'miracle' (use 'achieved' or "
        "'projected' or 'context' or 'contested').",
        "sources row 2 (a-case): the source URL 'ftp://example.org/x' is not a web address "
        "starting https://.",
        "partners row 2 (a-case): 'Brand New Charity' is a new organisation, and no sector to "
        f"create it with (use {', '.join(Sector.values)}).",
        "Case studies row 2 (a-case): partners need a partnership: give its name in the "
        "partnership column.",
        "outcomes row 3 (no-such-case): no case study with the slug 'no-such-case' on the "
        "sheet 'Case studies'.",
    ]
    assert not CaseStudy.objects.exists() and not Organisation.objects.exists()


@pytest.mark.django_db
def test_export_edit_import_round_trips_to_the_right_case_study(client, register):
    partnership = make_partnership(
        name="Library Alliance", partners={make_organisation(name="Friends"): "Volunteers"}
    )
    kept = make_ready_case_study(status=Status.PUBLISHED, partnership=partnership)
    edited = make_ready_case_study(status=Status.PUBLISHED, title="Before the edit")
    make_outcome(case_study=edited, description="Second outcome", figure=3, unit="£m")
    response = client.get("/case-studies/export.json")
    exported = json.loads(b"".join(response.streaming_content))
    edited_versions = history.versions(edited).count()

    # Exported unchanged, it imports as "nothing to do", published case studies included.
    unchanged = import_case_studies(
        content=json.dumps(exported).encode(), filename="export.json", dry_run=False
    )
    assert unchanged.problems == [] and len(unchanged.unchanged) == 2
    assert history.versions(edited).count() == edited_versions
    kept_versions = history.versions(kept).count()

    record = next(r for r in exported["case_studies"] if r["slug"] == edited.slug)
    record["title"] = "After the edit"
    record["outcomes"][1]["figure"] = 4.5
    record["confidence"], record["start_year_estimated"] = "low", True
    content = json.dumps(exported).encode()
    # Published: refused, so that nothing goes live without a Publisher.
    refused = import_case_studies(content=content, filename="export.json", dry_run=False)
    assert refused.problems == [
        f"Case study {exported['case_studies'].index(record) + 1} ({edited.slug}): published: "
        "edit it in the admin so a Publisher can review the change (the file changes its "
        "title, start year is an estimate, research confidence, outcomes)."
    ]
    edited.unpublish(by=make_publisher())

    report = import_case_studies(
        content=content, filename="export.json", dry_run=False, by=make_editor()
    )

    assert report.problems == [] and [plan.slug for plan in report.updated] == [edited.slug]
    edited.refresh_from_db()
    assert edited.title == "After the edit"
    assert (edited.confidence, edited.start_year_estimated) == ("low", True)
    assert [o.figure_text for o in edited.outcomes.order_by("pk")] == ["", "£4.5m"]
    assert edited.sources.count() == 1 and edited.councils.count() == 1
    assert history.versions(edited).first().history_change_reason == "Imported from export.json"
    kept.refresh_from_db()
    assert kept.title != "After the edit" and history.versions(kept).count() == kept_versions
    assert list(kept.partnership.memberships.values_list("role", flat=True)) == ["Volunteers"]


@pytest.mark.django_db
def test_an_import_claims_the_version_it_checked(register):
    draft = make_ready_case_study()
    record = {"slug": draft.slug, "title": "From the file"}
    content = json.dumps({"case_studies": [record]}).encode()
    report = import_case_studies(content=content, filename="x.json", dry_run=True)
    assert report.updated[0].changes == ["title"]

    draft.title = "An editor's save in between"
    draft.save()
    from catalogue import imports

    with pytest.raises(imports.EditedMeanwhile):
        imports.update_case_studies(report.updated, {}, now=None)


def count_queries(content: bytes) -> int:
    with CaptureQueriesContext(connection) as queries:
        report = import_case_studies(content=content, filename="cases.xlsx", dry_run=False)
    assert report.imported, report.problems[:3]
    return len(queries)


@pytest.mark.django_db
def test_import_queries_do_not_grow_with_the_rows(register, django_assert_max_num_queries):
    make_organisation(name="Existing Trust", sector=Sector.NHS)
    small = count_queries(whole_case_workbook([f"small-{n}" for n in range(5)]))
    with django_assert_max_num_queries(small):
        count_queries(whole_case_workbook([f"large-{n}" for n in range(150)]))
    assert CaseStudy.objects.count() == 155 and Outcome.objects.count() == 310
    # 45, then the version's log (0010) and the export lines (0011) and pages (0012) it stales
    assert small <= 48


# -- workbooks that try to hurt the server ----------------------------------------------------


def rewritten(content: bytes, name: str, change) -> bytes:
    """The workbook with one member's bytes changed by `change`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            target.writestr(member, change(data) if member.filename == name else data)
    return out.getvalue()


def small_workbook() -> bytes:
    return xlsx_bytes({"Case studies": [CASE_COLUMNS[:6], ["a", "T", "S", "adapt", "x", "y"]]})


SHEET = "xl/worksheets/sheet1.xml"
HOSTILE = {
    "entity expansion in a DTD": lambda: rewritten(
        small_workbook(), SHEET, lambda data: data.replace(
            b"<worksheet", b"<!DOCTYPE w [<!ENTITY a \"aa\"><!ENTITY b \"&a;&a;\">]><worksheet", 1
        ),
    ),
    "an external DTD in the sheet list": lambda: rewritten(
        small_workbook(), "xl/workbook.xml", lambda data: data.replace(
            b"<workbook", b"<!DOCTYPE workbook SYSTEM 'http://example.org/x.dtd'><workbook", 1
        ),
    ),
    "malformed sheet XML": lambda: rewritten(small_workbook(), SHEET, lambda d: d[: len(d) // 2]),
    "malformed workbook XML": lambda: rewritten(
        small_workbook(), "xl/workbook.xml", lambda data: b"<workbook><sheets>"
    ),
    "no workbook inside": lambda: rewritten(small_workbook(), "xl/workbook.xml", lambda d: b""),
}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_or_broken_workbooks_are_not_readable_workbooks(client, register, case):
    client.force_login(make_editor())

    response = upload(client, HOSTILE[case](), "cases.xlsx")

    assert response.status_code == 400
    assert "This is not a readable Excel workbook" in response.content.decode()
    assert not CaseStudy.objects.exists()


def zip_of_zeros(megabytes: int) -> bytes:
    """A small upload whose one member inflates to `megabytes` MB, written in pieces."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open(SHEET, "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(bytes(2**20))
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("megabytes", [2, 100])  # 2 MB of zeros: a ratio of about 1,000
def test_a_workbook_that_expands_too_far_is_refused_before_it_is_parsed(client, megabytes):
    content = zip_of_zeros(megabytes)
    assert len(content) < 2**20
    client.force_login(make_editor())

    tracemalloc.start()
    try:
        response = upload(client, content, "cases.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 400
    assert "This workbook would expand to more than 60 MB" in response.content.decode()
    assert peak < 10 * 2**20  # nothing was inflated
