"""Where each claim comes from: outcomes cite sources, sources carry copies and no tracking,
partners keep the names they had, and case studies say how sure the research is."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction

from catalogue.models import Confidence, Source, Status, without_tracking
from partnerships.models import Sector
from tests.factories import (
    make_case_study,
    make_organisation,
    make_outcome,
    make_partnership,
    make_source,
)
from tests.outputs import csv_rows, json_data

GUARDIAN = "https://www.theguardian.com/education/2011/feb/11/gove-school-building-court"


@pytest.fixture
def renamed_partner_case(db):
    """A 2011 case whose partner department has been renamed twice since, with an outcome
    backed by its second source, which is known only from a copy on a mirror."""
    department = make_organisation(
        name="Ministry of Housing, Communities and Local Government",
        sector=Sector.CENTRAL_GOVERNMENT,
        name_since=2024,
        former_names=[
            ("Department for Communities and Local Government", None, 2017),
            ("Department for Levelling Up, Housing and Communities", 2021, 2024),
        ],
    )
    partnership = make_partnership(name="Whole place pilot", partners={department: "Funder"})
    case_study = make_case_study(
        title="Whole place pilot",
        start_year=2011,
        start_year_estimated=True,
        confidence=Confidence.MEDIUM,
        partnership=partnership,
    )
    make_source(case_study=case_study, url="https://example.org/first")
    mirrored = make_source(
        case_study=case_study,
        title="Annual report",
        url="",
        copy_url="https://docslib.org/doc/1/annual-report",
        publisher="Wigan Council",
    )
    make_outcome(case_study=case_study, description="Savings made", sources=[mirrored])
    make_outcome(case_study=case_study, description="No source linked")
    return case_study


# -- outcomes cite their case study's sources ------------------------------------------------


@pytest.mark.django_db
def test_an_outcome_cannot_cite_another_case_studys_source():
    case_study, other = make_case_study(), make_case_study()
    outcome = make_outcome(case_study=case_study)
    foreign = make_source(case_study=other)

    with pytest.raises(ValidationError), transaction.atomic():
        outcome.sources.add(foreign)
    with pytest.raises(ValidationError), transaction.atomic():
        foreign.outcomes.add(outcome)
    assert not outcome.sources.exists()


@pytest.mark.django_db
def test_the_outcome_admin_refuses_another_case_studys_source_with_a_message(admin_client):
    case_study, other = make_case_study(status=Status.DRAFT), make_case_study(status=Status.DRAFT)
    outcome = make_outcome(case_study=case_study)
    foreign = make_source(case_study=other)

    response = admin_client.post(
        f"/admin/catalogue/outcome/{outcome.pk}/change/",
        {
            "case_study": case_study.pk,
            "description": outcome.description,
            "kind": outcome.kind,
            "evidence": outcome.evidence,
            "confidence": outcome.confidence,
            "sources": [foreign.pk],
        },
    )

    assert response.status_code == 200
    assert "Choose only sources of the outcome" in response.content.decode()
    assert not outcome.sources.exists()


@pytest.mark.django_db
def test_the_detail_page_shows_which_sources_back_each_outcome(client, renamed_partner_case):
    page = client.get(renamed_partner_case.get_absolute_url()).content.decode()

    assert '<li id="source-2">' in page
    assert '<a href="#source-2" aria-label="Source 2">2</a>' in page
    assert "Not linked" in page  # the other outcome


@pytest.mark.django_db
def test_exports_say_which_sources_back_each_outcome(client, renamed_partner_case):
    record = json_data(client.get("/case-studies/export.json"))["case_studies"][0]
    row = csv_rows(client.get("/case-studies/export.csv"))[0]

    assert [o["sources"] for o in record["outcomes"]] == [[2], []]
    assert [s["number"] for s in record["sources"]] == [1, 2]
    assert row["outcomes_summary"] == (
        "Achieved: Savings made [reported evidence; source 2] | "
        "Achieved: No source linked [reported evidence]"
    )


@pytest.mark.django_db
def test_the_api_says_which_sources_back_each_outcome(client, renamed_partner_case):
    body = client.get(f"/api/case-studies/{renamed_partner_case.slug}/").json()

    assert [o["sources"] for o in body["outcomes"]] == [[2], []]
    assert body["sources"][1]["copy_url"] == "https://docslib.org/doc/1/annual-report"
    assert body["confidence"] == "medium" and body["start_year_estimated"] is True


# -- copies and tracking ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_copy_is_shown_as_a_copy_and_credited_to_the_original_publisher(
    client, renamed_partner_case
):
    page = client.get(renamed_partner_case.get_absolute_url()).content.decode()
    record = json_data(client.get("/case-studies/export.json"))["case_studies"][0]
    row = csv_rows(client.get("/case-studies/export.csv"))[0]

    assert (
        "Annual report, Wigan Council (2018). "
        '<a href="https://docslib.org/doc/1/annual-report">Copy at docslib.org</a>' in page
    )
    assert record["sources"][1] == {
        "number": 2,
        "title": "Annual report",
        "publisher": "Wigan Council",
        "year": 2018,
        "url": None,
        "copy_url": "https://docslib.org/doc/1/annual-report",
        "section": "",
    }
    assert row["source_urls"] == "https://example.org/first | "
    assert row["source_copy_urls"] == " | https://docslib.org/doc/1/annual-report"


@pytest.mark.parametrize(
    ("address", "clean"),
    [
        (f"{GUARDIAN}?INTCMP=SRCH", GUARDIAN),
        ("https://example.org/news/?doing_wp_cron=1571307878.74", "https://example.org/news/"),
        ("https://example.org/a?id=7&utm_source=x&UTM_MEDIUM=y&fbclid=z", "https://example.org/a?id=7"),
        ("https://example.org/a?gclid=1&p=2#part", "https://example.org/a?p=2#part"),
        # Everything else is kept exactly as written, encoding included.
        ("https://example.org/a?id=15133%3Abarnet&catid=53", "https://example.org/a?id=15133%3Abarnet&catid=53"),
        ("https://example.org/a", "https://example.org/a"),
        ("", ""),
    ],
)  # fmt: skip
def test_tracking_parameters_are_removed_and_nothing_else(address, clean):
    assert without_tracking(address) == clean


@pytest.mark.django_db
def test_tracking_parameters_are_stripped_when_a_source_is_saved():
    source = make_source(
        case_study=make_case_study(),
        url=f"{GUARDIAN}?INTCMP=SRCH",
        copy_url="https://example.org/copy?utm_campaign=x",
    )

    source.refresh_from_db()
    assert (source.url, source.copy_url) == (GUARDIAN, "https://example.org/copy")


@pytest.mark.django_db
def test_tracking_parameters_are_stripped_by_a_bulk_creation_too():
    """The seed loader and the import create sources in bulk, without calling save()."""
    Source.objects.bulk_create(
        [Source(case_study=make_case_study(), title="Bulk", url=f"{GUARDIAN}?INTCMP=SRCH")]
    )

    assert Source.objects.get(title="Bulk").url == GUARDIAN


@pytest.mark.django_db
def test_the_admin_saves_a_source_without_its_tracking_parameters(admin_client):
    case_study = make_case_study(status=Status.DRAFT)

    admin_client.post(
        "/admin/catalogue/source/add/",
        {"case_study": case_study.pk, "title": "Court report", "url": f"{GUARDIAN}?INTCMP=SRCH"},
    )

    assert Source.objects.get(title="Court report").url == GUARDIAN


# -- partners' names in the case's years -----------------------------------------------------


@pytest.mark.django_db
def test_a_partner_is_named_as_it_was_in_the_case_studys_years(client, renamed_partner_case):
    page = client.get(renamed_partner_case.get_absolute_url()).content.decode()
    record = json_data(client.get("/case-studies/export.json"))["case_studies"][0]
    row = csv_rows(client.get("/case-studies/export.csv"))[0]

    assert 'Department for Communities and Local Government</a> <span class="muted">(now ' in page
    assert row["partner_names"] == "Department for Communities and Local Government"
    assert record["partners"][0]["name"] == "Department for Communities and Local Government"
    assert record["partners"][0]["current_name"] == (
        "Ministry of Housing, Communities and Local Government"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("year", "name"),
    [
        (2011, "Department for Communities and Local Government"),
        (2017, "Department for Communities and Local Government"),
        (2022, "Department for Levelling Up, Housing and Communities"),
        (2025, "Ministry of Housing, Communities and Local Government"),
        (None, "Ministry of Housing, Communities and Local Government"),
    ],
)
def test_an_organisations_name_in_a_year(renamed_partner_case, year, name):
    department = renamed_partner_case.partnership.organisations.get()

    assert department.name_in(year) == name


@pytest.mark.django_db
def test_a_name_is_valid_only_in_its_years(renamed_partner_case):
    department = renamed_partner_case.partnership.organisations.get()

    assert department.name_valid_in("Department for Communities and Local Government", 2011)
    assert not department.name_valid_in("Department for Communities and Local Government", 2018)
    assert not department.name_valid_in(department.name, 2011)
    assert department.name_valid_in(department.name, 2024)


# -- the research's confidence and estimated start years -------------------------------------


@pytest.mark.django_db
def test_the_detail_page_and_exports_show_confidence_and_an_estimated_start(
    client, renamed_partner_case
):
    page = client.get(renamed_partner_case.get_absolute_url()).content.decode()
    row = csv_rows(client.get("/case-studies/export.csv"))[0]

    assert '<dt>Started</dt><dd>About 2011 <span class="muted">(an estimate)</span></dd>' in page
    assert "<dt>Research confidence</dt>" in page and ">Medium</a>" in page
    assert (row["start_year"], row["start_year_estimated"], row["confidence"]) == (
        "2011",
        "true",
        "medium",
    )


# -- manage.py checksources ------------------------------------------------------------------


@pytest.mark.django_db
def test_checksources_lists_staging_mirrors_and_unrelated_sites_only():
    case_study = make_case_study()
    staging = "https://room151.dev.docandtee.com/funding/northants"
    make_source(case_study=case_study, title="Staging copy", url="", copy_url=staging)
    make_source(case_study=case_study, title="Mirror", url="https://docslib.org/doc/2/x")
    make_source(
        case_study=case_study,
        title="Republished",
        url="https://theworkoutfactory.com/news/articles/abc",
        publisher="BBC News",
    )
    make_source(case_study=case_study, title="Fine", url="https://www.local.gov.uk/case")
    make_source(
        case_study=case_study,
        title="Also fine",
        url="https://feeds.bbci.co.uk/news/1",
        publisher="BBC News",
    )
    make_source(
        case_study=case_study,
        title="Committee",
        url="https://publications.parliament.uk/pa/cm1.htm",
        publisher="House of Commons Communities and Local Government Committee",
    )
    output = StringIO()

    call_command("checksources", stdout=output)

    text = output.getvalue()
    assert "“Staging copy”: on a staging or test site\n    " + staging in text
    assert "“Mirror”: a document-sharing site given as the original" in text
    assert "“Republished”: on a site unrelated to 'BBC News'" in text
    assert "Fine" not in text and "Committee" not in text
    assert "3 source addresses to check." in text


@pytest.mark.django_db
def test_a_search_for_a_partners_former_name_finds_the_case_study(client, renamed_partner_case):
    make_case_study(title="Unrelated")

    found = client.get("/case-studies/", {"q": '"Levelling Up"'}).content.decode()

    assert "Whole place pilot" in found and "Unrelated" not in found
