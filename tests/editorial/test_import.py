import base64
import csv
import io
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from catalogue import history
from catalogue.imports import NAMES, TEMPLATE, import_case_studies
from catalogue.models import CaseStudy, Outcome, Source, Status
from tests.factories import (
    make_council,
    make_editor,
    make_ready_case_study,
    make_service_area,
)

IMPORT_URL = reverse("admin:catalogue_casestudy_import")


@pytest.fixture
def register(db):
    """The councils and service areas the files below refer to."""
    make_council(name="Wigan", slug="wigan", gss_code="E08000010")
    make_council(name="Bolton", slug="bolton", gss_code="E08000001")
    make_council(name="Leeds", slug="leeds", gss_code="E08000035")
    for slug in ["regulatory-services", "back-office", "community-development", "libraries"]:
        make_service_area(slug=slug)


def row(slug: str, /, **values: str) -> dict[str, str]:
    return {
        "slug": slug,
        "title": f"Title of {slug}",
        "summary": "What happened and why.",
        "response": "collaborate",
        "service_areas": "libraries",
        "councils": "E08000010",
        "source_url": f"https://example.org/{slug}",
        **values,
    }


def csv_bytes(rows: list[dict[str, str]], columns: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or NAMES, extrasaction="ignore")
    writer.writeheader()
    for values in rows:
        writer.writerow(values)
    return out.getvalue().encode("utf-8")


def upload(client, content: bytes, name: str = "cases.csv"):
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content)})


def confirm(client, page: str):
    content = re.search(r'name="content" value="([^"]+)"', page).group(1)
    filename = re.search(r'name="filename" value="([^"]+)"', page).group(1)
    return client.post(
        IMPORT_URL, {"content": content, "filename": filename, "confirm": "Import"}, follow=True
    )


@pytest.fixture
def editor_client(client, register):
    client.force_login(make_editor())
    return client


@pytest.mark.django_db
def test_the_documented_template_checks_cleanly(register):
    report = import_case_studies(
        content=TEMPLATE.read_bytes(), filename="import-template.csv", dry_run=True
    )

    assert report.problems == []
    assert [plan.slug for plan in report.new] == [
        "example-bolton-wigan-shared-regulatory-team",
        "example-minimal-row",
    ]
    assert not CaseStudy.objects.exists()


@pytest.mark.django_db
def test_upload_previews_without_saving_then_confirm_imports_drafts(editor_client):
    content = csv_bytes(
        [
            row("first-case", councils="E08000010; bolton", start_year="2016"),
            row(
                "second-case",
                outcome_description="Visits rose",
                outcome_kind="achieved",
                outcome_evidence="monitored",
                outcome_figure="12",
                outcome_unit="%",
            ),
        ]
    )

    response = upload(editor_client, content)

    page = response.content.decode()
    assert response.status_code == 200
    assert "2 new case studies will be added as drafts; 0 will be updated." in page
    assert "first-case" in page and "second-case" in page
    assert not CaseStudy.objects.exists()  # a dry run saves nothing

    response = confirm(editor_client, page)

    assert (
        "Imported cases.csv: 2 new case studies added as drafts; 0 updated."
        in response.content.decode()
    )
    first = CaseStudy.objects.get(slug="first-case")
    assert first.status == Status.DRAFT
    assert {c.name for c in first.councils.all()} == {"Wigan", "Bolton"}
    assert first.start_year == 2016
    assert first.sources.get().url == "https://example.org/first-case"
    second = CaseStudy.objects.get(slug="second-case")
    assert second.outcomes.get().figure_text == "12%"
    version = history.versions(second).first()
    assert version.history_change_reason == "Imported from cases.csv"
    assert version.history_user.username.startswith("editor")
    assert "Visits rose" in history.contents(version)["Outcomes"]


@pytest.mark.django_db
def test_importing_the_same_file_twice_changes_nothing(editor_client):
    content = csv_bytes([row("case-a"), row("case-b")])
    confirm(editor_client, upload(editor_client, content).content.decode())
    before = [
        (cs.slug, cs.version, cs.updated_at, cs.history.count())
        for cs in CaseStudy.objects.order_by("slug")
    ]
    parts = (Outcome.objects.count(), Source.objects.count())

    page = upload(editor_client, content).content.decode()
    assert "Nothing to import: all 2 case studies are already in the catalogue" in page
    assert 'name="confirm"' not in page
    report = import_case_studies(content=content, filename="cases.csv", dry_run=False)

    assert (len(report.new), len(report.updated), len(report.unchanged)) == (0, 0, 2)
    after = [
        (cs.slug, cs.version, cs.updated_at, cs.history.count())
        for cs in CaseStudy.objects.order_by("slug")
    ]
    assert after == before
    assert (Outcome.objects.count(), Source.objects.count()) == parts


@pytest.mark.django_db
def test_a_published_case_study_is_never_changed_by_an_import(editor_client):
    published = make_ready_case_study(status=Status.PUBLISHED, title="An editor's careful work")
    content = csv_bytes([row("case-new"), row(published.slug, title="From the file")])

    response = upload(editor_client, content)

    page = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 400
    assert (
        f"Row 3 ({published.slug}): published: edit it in the admin so a Publisher can review "
        "the change (the file changes its title" in page
    )
    report = import_case_studies(content=content, filename="x.csv", dry_run=False)
    assert not report.imported
    published.refresh_from_db()
    assert published.title == "An editor's careful work"
    assert not CaseStudy.objects.filter(slug="case-new").exists()


@pytest.mark.django_db
def test_a_bad_row_in_the_middle_is_reported_in_plain_words_and_nothing_is_imported(
    editor_client,
):
    content = csv_bytes(
        [
            row("good-before"),
            row(
                "bad-middle",
                councils="E08000010; E0800999X",
                service_areas="libraries; social-care",
                start_year="20l5",
                source_url="",
            ),
            row("good-after"),
        ]
    )

    response = upload(editor_client, content)

    page = response.content.decode()
    assert response.status_code == 400
    assert "Nothing has been imported." in page
    for problem in [
        "Row 3 (bad-middle): unknown council &#x27;E0800999X&#x27;",
        "Row 3 (bad-middle): unknown service area &#x27;social-care&#x27;.",
        "Row 3 (bad-middle): the start year &#x27;20l5&#x27; is not a year",
        "Row 3 (bad-middle): no source: every case study needs a source with a URL.",
    ]:
        assert problem in page
    assert "Row 2" not in page and "Row 4" not in page
    assert 'name="confirm"' not in page
    # Even asked to import for real, one bad row imports nothing.
    report = import_case_studies(content=content, filename="cases.csv", dry_run=False)
    assert not report.imported and len(report.problems) == 4
    assert not CaseStudy.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"response": "surrender"}, "unknown response type 'surrender'"),
        ({"start_year": "1850"}, "the start year 1850 is not between 1900 and 2100"),
        ({"slug": "Not A Slug"}, "is not a valid web address part"),
        ({"source_url": "javascript:alert(1)"}, "is not a web address starting https://"),
        ({"outcome_description": "x", "outcome_kind": "miracle"}, "unknown outcome kind"),
        ({"outcome_unit": "£m", "outcome_description": "x", "outcome_kind": "achieved",
          "outcome_evidence": "reported"}, "has a unit but no figure"),
        ({"partnership": "no-such-partnership"}, "unknown partnership 'no-such-partnership', "
         "and no governance form to create it with"),
        ({"partnership": "New one", "partnership_governance": "cabal"},
         "and governance form 'cabal' to create it with"),
        ({"title": ""}, "title is missing"),
    ],
)  # fmt: skip
def test_each_kind_of_row_problem_is_named(register, values, problem):
    report = import_case_studies(
        content=csv_bytes([row("a-case", **values)]), filename="x.csv", dry_run=False
    )
    assert any(problem in text for text in report.problems), report.problems
    assert not CaseStudy.objects.exists()


@pytest.mark.django_db
def test_a_slug_used_twice_in_one_file_is_a_problem(register):
    report = import_case_studies(
        content=csv_bytes([row("twin"), row("twin")]), filename="x.csv", dry_run=True
    )
    assert report.problems == ["Row 3 (twin): the slug is also used on row 2."]


MALFORMED = {
    "wrong encoding": (
        "cases.csv",
        csv_bytes([row("a-case", title="Café budget £2m")]).decode().encode("cp1252"),
        "The file is not UTF-8 text",
    ),
    "missing columns": (
        "cases.csv",
        csv_bytes([row("a-case")], columns=["slug", "title", "summary", "response"]),
        "The file has no column for service_areas, councils, source_url.",
    ),
    "unknown column": (
        "cases.csv",
        b"slug,title,summary,response,service_areas,councils,source_url,status\n"
        b"a,b,c,adapt,libraries,wigan,https://example.org,published\n",
        "columns the import does not know: status.",
    ),
    "empty": ("cases.csv", b"", "The file is empty."),
    "blank lines only": ("cases.csv", b"\n\n  \n", "The file is empty."),
    "headings only": (
        "cases.csv",
        csv_bytes([]),
        "The file has column headings but no case studies under them.",
    ),
    "extra cells": (
        "cases.csv",
        csv_bytes([row("a-case")]) + b"b,t,s,,adapt,,libraries,wigan,,,,,https://x.org,,,,,,,,,,,,,extra\n",
        "Row 3 has more cells than there are column headings",
    ),
    "not a workbook": ("cases.xlsx", b"PK\x03\x04 not a zip", "not a readable Excel workbook"),
    "other format": ("cases.pdf", b"%PDF-1.4", "Upload a .csv file (UTF-8), an Excel .xlsx"),
    "not JSON": ("cases.json", b"{not json", "This is not readable JSON"),
    "JSON of another shape": ("cases.json", b'{"rows": 1}', "must be the catalogue's export"),
}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_files_are_rejected_cleanly(editor_client, case):
    name, content, message = MALFORMED[case]

    response = upload(editor_client, content, name)

    assert response.status_code == 400
    assert "This file cannot be imported." in response.content.decode()
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not CaseStudy.objects.exists()


@pytest.mark.django_db
def test_a_tampered_confirmation_is_refused(editor_client):
    response = editor_client.post(
        IMPORT_URL, {"content": "not base64!", "filename": "x.csv", "confirm": "Import"}
    )
    assert response.status_code == 400
    assert "upload it again" in response.content.decode()


@pytest.mark.django_db
def test_an_xlsx_workbook_imports_like_a_csv(editor_client):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["slug", "title", "summary", "response", "service_areas", "councils",
                  "source_url", "start_year", "source_year"])  # fmt: skip
    sheet.append(["from-excel", "From Excel", "A summary.", "Adapt", "back-office", "leeds",
                  "https://example.org/excel", 2019, 2020.0])  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)

    page = upload(editor_client, buffer.getvalue(), "cases.xlsx").content.decode()
    confirm(editor_client, page)

    case_study = CaseStudy.objects.get(slug="from-excel")
    assert (case_study.response, case_study.start_year) == ("adapt", 2019)
    assert case_study.sources.get().year == 2020
    assert case_study.status == Status.DRAFT


@pytest.mark.django_db
def test_importing_needs_permission_to_add_case_studies(client, register):
    viewer = User.objects.create_user(username="viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_casestudy"))
    client.force_login(viewer)

    assert client.get(IMPORT_URL).status_code == 403
    encoded = base64.b64encode(csv_bytes([row("a-case")])).decode()
    response = client.post(IMPORT_URL, {"content": encoded, "filename": "x.csv", "confirm": "1"})
    assert response.status_code == 403
    assert not CaseStudy.objects.exists()


@pytest.mark.django_db
def test_the_import_page_offers_the_template(editor_client):
    page = editor_client.get(reverse("admin:catalogue_casestudy_changelist")).content.decode()
    assert "Import from a spreadsheet" in page

    response = editor_client.get(reverse("admin:catalogue_casestudy_import_template"))

    assert response["Content-Disposition"] == 'attachment; filename="import-template.csv"'
    assert response.content == TEMPLATE.read_bytes()


@pytest.mark.django_db
def test_the_command_line_import_runs_the_same_checks(register, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(csv_bytes([row("cli-case")]))
    bad.write_bytes(csv_bytes([row("cli-bad", councils="nowhere")]))

    call_command("importcasestudies", str(good), dry_run=True, stdout=io.StringIO())
    assert not CaseStudy.objects.exists()
    call_command("importcasestudies", str(good), stdout=io.StringIO())
    assert CaseStudy.objects.get().status == Status.DRAFT
    with pytest.raises(CommandError, match="unknown council 'nowhere'"):
        call_command("importcasestudies", str(bad), stdout=io.StringIO())


def test_every_column_is_documented():
    guide = (TEMPLATE.parent / "importing.md").read_text()
    header = TEMPLATE.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == NAMES
    for name in NAMES:
        assert f"`{name}`" in guide
