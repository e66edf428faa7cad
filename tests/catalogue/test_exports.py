"""CSV and JSON exports of the filtered catalogue: the same set as the page, with provenance."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from catalogue import exports
from catalogue.models import CaseStudy, EvidenceStrength, OutcomeKind, ResponseType, Status
from partnerships.models import CouncilType, Governance, Nation, Region, Sector
from tests.factories import (
    make_case_study,
    make_council,
    make_organisation,
    make_outcome,
    make_partnership,
    make_service_area,
    make_source,
)
from tests.outputs import body, csv_rows, json_data, result_count

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def catalogue(db):
    """Four published case studies that the filters tell apart, and two that are not public."""
    care = make_service_area(name="Adult social care", slug="adult-social-care")
    libraries = make_service_area(name="Libraries", slug="libraries")
    wigan = make_council(
        name="Wigan",
        slug="wigan",
        gss_code="E08000010",
        council_type=CouncilType.METROPOLITAN_BOROUGH,
    )
    cardiff = make_council(
        name="Cardiff",
        council_type=CouncilType.WELSH_PRINCIPAL,
        nation=Nation.WALES,
        region=Region.WALES,
    )
    surrey = make_council(name="Surrey", council_type=CouncilType.COUNTY, region=Region.SOUTH_EAST)
    partnership = make_partnership(
        name="Healthier Wigan",
        governance=Governance.POOLED_BUDGET,
        partners={
            make_organisation(name="Wigan NHS Trust", sector=Sector.NHS): "Runs community care",
            make_organisation(name="Surrey Police", sector=Sector.POLICE): "Shares data",
        },
    )
    wigan_care = make_case_study(
        title="Wigan care",
        response=ResponseType.COLLABORATE,
        service_areas=[care],
        councils=[wigan, surrey],
        partnership=partnership,
        start_year=2011,
    )
    cardiff_libraries = make_case_study(
        title="Cardiff libraries",
        response=ResponseType.EXIT,
        secondary_response=ResponseType.COLLABORATE,
        service_areas=[libraries],
        councils=[cardiff],
        start_year=2016,
    )
    surrey_youth = make_case_study(
        title="Surrey youth",
        response=ResponseType.ADAPT,
        service_areas=[care, libraries],
        councils=[surrey],
        start_year=None,
    )
    make_case_study(
        title="Fight back", response=ResponseType.FIGHT, service_areas=[care], councils=[cardiff]
    )
    make_outcome(
        case_study=wigan_care,
        description="A pooled budget",
        figure=7.5,
        unit="£m",
        period="2013–2018",
        evidence=EvidenceStrength.MONITORED,
    )
    make_outcome(case_study=wigan_care, kind=OutcomeKind.CONTESTED)
    make_outcome(
        case_study=surrey_youth,
        kind=OutcomeKind.PROJECTED,
        evidence=EvidenceStrength.INDEPENDENTLY_EVALUATED,
    )
    make_source(case_study=wigan_care, url="https://example.org/wigan")
    make_source(case_study=cardiff_libraries, title="A book without a web address", url="")
    for status in [Status.DRAFT, Status.IN_REVIEW]:
        make_case_study(
            title=f"Unpublished {status}",
            status=status,
            service_areas=[care],
            councils=[wigan],
            partnership=partnership,
        )
    return {"wigan_care": wigan_care, "cardiff_libraries": cardiff_libraries}


QUERIES = [
    "",
    "response=collaborate",
    "service=adult-social-care",
    "service=libraries&nation=wales",
    "council_type=county&sort=title",
    "evidence=monitored&evidence=independently-evaluated",
    "sector=nhs",
    "council=wigan",
    "year_from=2012",
    "q=cardiff",
    "q=care&response=exit&response=adapt",
    "response=fight&response=exit&page=2",
]


@pytest.mark.django_db
@pytest.mark.parametrize("query", QUERIES)
def test_export_row_count_equals_the_html_result_count(client, catalogue, query):
    expected = result_count(client.get(f"/case-studies/?{query}"))

    assert len(csv_rows(client.get(f"/case-studies/export.csv?{query}"))) == expected
    data = json_data(client.get(f"/case-studies/export.json?{query}"))
    assert len(data["case_studies"]) == expected
    assert data["meta"]["count"] == expected


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "sort=title", "q=care", "sort=-start-year"])
def test_exports_list_the_case_studies_in_the_pages_order(client, catalogue, query):
    page = client.get(f"/case-studies/?{query}")
    shown = [case_study.slug for case_study in page.context["page"]]

    assert [row["slug"] for row in csv_rows(client.get(f"/case-studies/export.csv?{query}"))] == (
        shown
    )
    data = json_data(client.get(f"/case-studies/export.json?{query}"))
    assert [record["slug"] for record in data["case_studies"]] == shown


def as_cell(value) -> str:
    """What the codebook says a JSON value looks like in a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = (
        " | ".join("" if v is None else str(v) for v in value)
        if isinstance(value, list)
        else str(value)
    )
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@pytest.mark.django_db
def test_csv_parses_back_and_matches_the_json(client, catalogue):
    rows = csv_rows(client.get("/case-studies/export.csv"))
    records = json_data(client.get("/case-studies/export.json"))["case_studies"]

    assert len(rows) == len(records) == 4
    for row, record in zip(rows, records, strict=True):
        assert list(row) == [key for key in record if key not in exports.NESTED]
        for column, text in row.items():
            assert text == as_cell(record[column]), column


@pytest.mark.django_db
def test_exports_hold_what_a_researcher_needs(client, catalogue):
    wigan_care = catalogue["wigan_care"]
    row = next(
        r for r in csv_rows(client.get("/case-studies/export.csv")) if r["title"] == "Wigan care"
    )
    record = next(
        r
        for r in json_data(client.get("/case-studies/export.json"))["case_studies"]
        if r["title"] == "Wigan care"
    )

    assert row["id"] == str(wigan_care.pk)
    assert row["permalink"] == f"http://testserver/case-studies/{wigan_care.pk}/"
    assert row["response"] == "collaborate"
    assert row["service_areas"] == "adult-social-care"
    assert row["councils"] == "Surrey | Wigan"
    assert row["council_types"] == "county | metropolitan-borough"
    assert row["council_gss_codes"] == " | E08000010"
    assert row["partnership"] == "Healthier Wigan"
    assert row["partnership_governance"] == "pooled-budget"
    assert row["partner_names"] == "Surrey Police | Wigan NHS Trust"
    assert row["partner_sectors"] == "police | nhs"
    assert row["start_year"] == "2011"
    assert row["outcome_count"] == "2"
    assert row["outcomes_summary"].startswith(
        "Achieved: A pooled budget (£7.5m, 2013–2018) [monitored evidence] | Contested: "
    )
    assert row["strongest_evidence"] == "monitored"
    assert row["source_urls"] == "https://example.org/wigan"
    assert record["outcomes"][0] == {
        "description": "A pooled budget",
        "kind": "achieved",
        "figure": 7.5,
        "unit": "£m",
        "figure_text": "£7.5m",
        "period": "2013–2018",
        "evidence": "monitored",
        "confidence": "high",
        "sources": [],
    }
    assert record["partners"][1]["role"] == "Runs community care"
    assert record["sources"][0]["url"] == "https://example.org/wigan"
    assert record["published_at"].endswith("Z")


@pytest.mark.django_db
def test_sources_without_a_web_address_are_in_the_json(client, catalogue):
    record = next(
        r
        for r in json_data(client.get("/case-studies/export.json"))["case_studies"]
        if r["title"] == "Cardiff libraries"
    )

    assert record["source_urls"] == [None]
    assert record["sources"][0]["title"] == "A book without a web address"
    assert record["sources"][0]["url"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_csv_cells_that_look_like_formulas_are_neutralised(client, start):
    title = f'{start}HYPERLINK("https://evil.example","click")'
    case_study = make_case_study(title=title, councils=[make_council(name=f"{start}1+1")])
    make_case_study(title="A plain title")

    rows = {row["id"]: row for row in csv_rows(client.get("/case-studies/export.csv"))}
    records = json_data(client.get("/case-studies/export.json"))["case_studies"]
    record = next(r for r in records if r["id"] == case_study.pk)

    assert rows[str(case_study.pk)]["title"] == "'" + title
    assert rows[str(case_study.pk)]["councils"] == f"'{start}1+1"
    assert record["title"] == title  # JSON keeps the text as it is
    plain = next(row for row in rows.values() if row["title"].endswith("A plain title"))
    assert plain["title"] == "A plain title"


@pytest.mark.django_db
def test_csv_is_an_excel_friendly_attachment_with_a_meaningful_name(client, catalogue):
    response = client.get(
        "/case-studies/export.csv?response=collaborate&service=adult-social-care&page=3"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="case-studies-collaborate-adult-social-care-{today}.csv"'
    )
    content = body(response)
    assert content.startswith(b"\xef\xbb\xbfid,slug,permalink,")
    assert b"Wigan care" in content


@pytest.mark.django_db
def test_export_filenames_name_every_filter(client, catalogue):
    response = client.get(
        "/case-studies/export.json?q=Pooled budgets!&nation=wales&year_from=2010&year_to=2020"
    )
    today = timezone.localdate().isoformat()

    assert response["Content-Disposition"] == (
        "attachment; filename="
        f'"case-studies-matching-pooled-budgets-wales-from-2010-to-2020-{today}.json"'
    )
    assert "case-studies-" + today in client.get("/case-studies/export.csv")["Content-Disposition"]


@pytest.mark.django_db
def test_json_meta_says_what_was_exported_when_and_how_to_cite_it(client, catalogue):
    newest = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    CaseStudy.objects.filter(pk=catalogue["wigan_care"].pk).update(updated_at=newest)
    # A later edit to a draft is not part of the public catalogue's version.
    CaseStudy.objects.filter(status=Status.DRAFT).update(
        updated_at=datetime(2027, 1, 1, tzinfo=UTC)
    )
    CaseStudy.objects.published().exclude(pk=catalogue["wigan_care"].pk).update(
        updated_at=datetime(2026, 1, 1, tzinfo=UTC), published_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    CaseStudy.objects.filter(pk=catalogue["wigan_care"].pk).update(
        published_at=datetime(2026, 1, 1, tzinfo=UTC)
    )

    response = client.get("/case-studies/export.json?response=collaborate&page=2&utm=x")
    meta = json_data(response)["meta"]

    assert response["Content-Type"] == "application/json"
    assert list(meta) == [name for name, _meaning in exports.META_FIELDS]
    assert meta["query"] == {"response": ["collaborate"]}
    assert meta["description"] == "1 collaborate case study"
    assert meta["count"] == 1
    assert datetime.fromisoformat(meta["generated_at"]) <= timezone.now()
    assert meta["catalogue_version"] == "2026-06-01T09:30:00Z"
    assert "CC BY 4.0" in meta["licence"]["name"]
    assert meta["source"] == "http://testserver/case-studies/?response=collaborate&utm=x"
    assert meta["codebook"] == "http://testserver/codebook/"
    assert meta["citation"].startswith(
        "Council partnerships catalogue. (2026). 1 collaborate case study "
        "(Version 2026-06-01T09:30:00Z) [Data set]. Retrieved "
    )
    assert meta["citation"].endswith(
        "from http://testserver/case-studies/?response=collaborate&utm=x"
    )


@pytest.mark.django_db
def test_an_empty_result_is_still_a_valid_file(client, catalogue):
    assert csv_rows(client.get("/case-studies/export.csv?q=nothingmatchesthis")) == []
    data = json_data(client.get("/case-studies/export.json?q=nothingmatchesthis"))
    assert data["case_studies"] == []
    assert data["meta"]["count"] == 0


def add_rich_case_studies(count: int) -> None:
    area = make_service_area()
    partnership = make_partnership(
        partners={make_organisation(): "A role", make_organisation(sector=Sector.POLICE): ""}
    )
    for _ in range(count):
        case_study = make_case_study(
            service_areas=[area, make_service_area()],
            councils=[make_council(), make_council()],
            partnership=partnership,
        )
        make_outcome(case_study=case_study, figure=3, unit="%")
        make_source(case_study=case_study)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "most"),
    [
        # The catalogue version, the service areas' choices, the case studies' ids, their
        # stored lines (none here: they are made once an edit commits), the case studies'
        # records, seven batch queries for related records, and the ranked matches when there
        # is a search.
        ("/case-studies/export.csv", 12),
        ("/case-studies/export.csv?q=care&sort=relevance&response=collaborate", 12),
        # The same, plus the count and the catalogue version for the meta block.
        ("/case-studies/export.json", 13),
        ("/case-studies/export.json?sector=nhs&evidence=reported", 13),
    ],
)
def test_export_query_count_stays_constant_as_data_grows(
    client, django_assert_max_num_queries, url, most
):
    # Each first request after an edit also rebuilds the facet index: not counted here.
    add_rich_case_studies(2)
    body(client.get(url))
    with django_assert_max_num_queries(most):
        body(client.get(url))

    add_rich_case_studies(30)
    body(client.get(url))
    with django_assert_max_num_queries(most):
        assert len(body(client.get(url))) > 0


@pytest.mark.django_db
def test_large_exports_are_read_in_chunks_of_fixed_query_count(
    client, django_assert_max_num_queries, monkeypatch
):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 5)
    add_rich_case_studies(23)
    client.get("/case-studies/export.csv?response=nonsense")  # builds the facet index

    # 3 queries once (the version, the service areas' choices, the case studies' ids), then 9
    # per chunk of 5 without stored lines (the lines, the case studies' records, their areas,
    # councils, memberships with their organisations, former names, outcomes, sources, which
    # sources each outcome cites).
    with django_assert_max_num_queries(3 + 9 * 5):
        rows = csv_rows(client.get("/case-studies/export.csv"))

    assert len(rows) == 23
    assert len({row["id"] for row in rows}) == 23
    assert all(row["source_urls"] and row["outcome_count"] == "1" for row in rows)


@pytest.mark.django_db
def test_exports_are_streamed(client, catalogue):
    assert client.get("/case-studies/export.csv").streaming
    assert client.get("/case-studies/export.json").streaming
