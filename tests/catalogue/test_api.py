"""The read-only JSON API under /api/: the list page's query string, drafts never, JSON errors."""

import re

import pytest

from catalogue.models import (
    Confidence,
    EvidenceStrength,
    OutcomeKind,
    ResponseType,
    Status,
)
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
from tests.html import CARD_LINK


def html_slugs(client, query: str) -> tuple[list[str], int]:
    response = client.get(f"/case-studies/?{query}")
    html = response.content.decode()
    count = int(re.search(r'data-result-count="(\d+)"', html).group(1))
    return CARD_LINK.findall(html), count


def api_slugs(client, query: str) -> tuple[list[str], int]:
    response = client.get(f"/api/case-studies/?{query}")
    assert response.status_code == 200, response.content
    body = response.json()
    return [case_study["slug"] for case_study in body["results"]], body["count"]


@pytest.fixture
def catalogue(db):
    care = make_service_area(name="Adult social care", slug="adult-social-care")
    libraries = make_service_area(name="Libraries", slug="libraries")
    wigan = make_council(name="Wigan", slug="wigan", council_type=CouncilType.METROPOLITAN_BOROUGH)
    cardiff = make_council(
        name="Cardiff",
        slug="cardiff",
        council_type=CouncilType.WELSH_PRINCIPAL,
        nation=Nation.WALES,
        region=Region.WALES,
    )
    nhs = make_organisation(name="Wigan NHS Trust", sector=Sector.NHS)
    partnership = make_partnership(
        name="Healthier Wigan", lead_council=wigan, partners={nhs: "Community care"}
    )
    cases = {
        "wigan-care": make_case_study(
            title="Wigan care",
            summary="Partners pooled budgets for prevention.",
            service_areas=[care],
            councils=[wigan],
            partnership=partnership,
            start_year=2011,
        ),
        "cardiff-libraries": make_case_study(
            title="Cardiff libraries",
            response=ResponseType.EXIT,
            service_areas=[libraries],
            councils=[cardiff],
            start_year=2016,
        ),
        "both": make_case_study(
            title="Both councils",
            response=ResponseType.ADAPT,
            service_areas=[care, libraries],
            councils=[wigan, cardiff],
            start_year=2014,
        ),
    }
    for n in range(22):
        make_case_study(
            title=f"Exit {n:02}",
            response=ResponseType.EXIT,
            service_areas=[libraries],
            councils=[cardiff],
            start_year=2010 + n % 10,
        )
    make_outcome(
        case_study=cases["wigan-care"],
        description="A pooled budget of £7.5m",
        figure=7.5,
        unit="£m",
        evidence=EvidenceStrength.MONITORED,
    )
    make_source(case_study=cases["wigan-care"], url="https://example.org/wigan")
    draft_council = make_council(name="Draftshire", slug="draftshire")
    cases["draft"] = make_case_study(
        title="Secret draft",
        status=Status.DRAFT,
        service_areas=[care],
        councils=[wigan, draft_council],
        partnership=partnership,
    )
    return cases


@pytest.mark.parametrize(
    "query",
    [
        "",
        "page=2",
        "response=exit",
        "response=exit&response=adapt&sort=title",
        "service=adult-social-care",
        "nation=wales&year_from=2012&year_to=2016&sort=start-year",
        "council=wigan&council=cardiff&sort=-start-year&page=2",
        "sector=nhs",
        "evidence=monitored",
        "q=pooled",
        "q=libraries&sort=relevance",
    ],
)
@pytest.mark.django_db
def test_the_api_list_has_the_same_case_studies_in_the_same_order_as_the_page(
    client, catalogue, query
):
    assert api_slugs(client, query) == html_slugs(client, query)


@pytest.mark.django_db
def test_the_list_pages_like_the_list_page(client, catalogue):
    first = client.get("/api/case-studies/?response=exit").json()
    second = client.get(first["next"]).json()

    assert first["count"] == 23
    assert len(first["results"]) == 20 and len(second["results"]) == 3
    assert first["previous"] is None and second["next"] is None
    assert "response=exit" in first["next"] and "page=2" in first["next"]


@pytest.mark.django_db
def test_a_case_study_in_full(client, catalogue):
    response = client.get("/api/case-studies/" + catalogue["wigan-care"].slug + "/")

    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Wigan care"
    assert body["html_url"] == "http://testserver" + catalogue["wigan-care"].get_absolute_url()
    assert body["response"] == "collaborate" and body["secondary_response"] is None
    assert [c["slug"] for c in body["councils"]] == ["wigan"]
    assert body["outcomes"] == [
        {
            "description": "A pooled budget of £7.5m",
            "kind": OutcomeKind.ACHIEVED,
            "figure": 7.5,
            "unit": "£m",
            "figure_text": "£7.5m",
            "period": "",
            "evidence": "monitored",
            "confidence": Confidence.HIGH,
            "sources": [],
        }
    ]
    assert body["sources"][0]["url"] == "https://example.org/wigan"
    partnership = body["partnership"]
    assert partnership["name"] == "Healthier Wigan"
    assert partnership["partners"] == [
        {
            "organisation": {
                "slug": partnership["partners"][0]["organisation"]["slug"],
                "name": "Wigan NHS Trust",
                "sector": "nhs",
                "url": partnership["partners"][0]["organisation"]["url"],
            },
            "role": "Community care",
        }
    ]
    # The partnership's other case study is a draft.
    assert [c["slug"] for c in partnership["case_studies"]] == [catalogue["wigan-care"].slug]


@pytest.mark.django_db
def test_drafts_never_appear_in_the_api(client, catalogue):
    draft = catalogue["draft"]

    assert client.get(f"/api/case-studies/{draft.slug}/").status_code == 404
    assert draft.slug not in api_slugs(client, "service=adult-social-care")[0]
    everywhere = [
        "/api/case-studies/?page=1",
        "/api/case-studies/?page=2",
        "/api/councils/wigan/",
        "/api/councils/draftshire/",
        "/api/service-areas/adult-social-care/",
        f"/api/partnerships/{draft.partnership.slug}/",
        "/api/partnerships/",
        "/api/councils/?page=1",
        "/api/service-areas/",
        "/api/codebook/",
    ]
    for url in everywhere:
        response = client.get(url)
        assert response.status_code == 200, url
        assert draft.slug not in response.content.decode(), url
        assert "Secret draft" not in response.content.decode(), url
    assert client.get("/api/councils/draftshire/").json()["case_studies"] == []


@pytest.mark.django_db
def test_the_actors_list_and_detail(client, catalogue):
    councils = client.get("/api/councils/").json()
    wigan = client.get("/api/councils/wigan/").json()
    organisations = client.get("/api/organisations/").json()
    partnerships = client.get("/api/partnerships/").json()
    areas = client.get("/api/service-areas/").json()

    assert councils["count"] == 3
    assert [c["slug"] for c in councils["results"]] == ["cardiff", "draftshire", "wigan"]
    assert wigan["council_type"] == "metropolitan-borough" and wigan["nation"] == "england"
    assert {c["slug"] for c in wigan["case_studies"]} == {
        catalogue["wigan-care"].slug,
        catalogue["both"].slug,
    }
    organisation = organisations["results"][0]
    assert organisation["name"] == "Wigan NHS Trust"
    assert organisation["partnerships"][0]["partnership"]["name"] == "Healthier Wigan"
    assert client.get(organisation["url"]).json() == organisation
    partnership = partnerships["results"][0]
    assert partnership["governance"] == Governance.ALLIANCE
    assert partnership["lead_council"]["slug"] == "wigan"
    assert [a["slug"] for a in areas["results"]] == ["adult-social-care", "libraries"]
    libraries = areas["results"][1]
    assert len(libraries["case_studies"]) == 20  # the newest; the count and link give them all
    assert libraries["case_study_count"] == 24
    assert libraries["all_case_studies"] == "http://testserver/api/case-studies/?service=libraries"
    assert client.get(libraries["all_case_studies"]).json()["count"] == 24
    assert wigan["case_study_count"] == 2
    assert partnership["case_study_count"] == len(partnership["case_studies"])


@pytest.mark.django_db
def test_the_codebook_has_every_value_with_its_definition(client, catalogue):
    body = client.get("/api/codebook/").json()
    vocabularies = {v["name"]: v for v in body["vocabularies"]}

    expected = {
        "response_type": ResponseType,
        "outcome_kind": OutcomeKind,
        "evidence_strength": EvidenceStrength,
        "confidence": Confidence,
        "council_type": CouncilType,
        "nation": Nation,
        "region": Region,
        "sector": Sector,
        "governance": Governance,
    }
    for name, vocabulary in expected.items():
        assert vocabularies[name]["values"] == vocabulary.described(), name
    areas = vocabularies["service_area"]["values"]
    assert [a["value"] for a in areas] == ["adult-social-care", "libraries"]
    assert all(value["definition"] for name in expected for value in vocabularies[name]["values"])


@pytest.mark.parametrize(
    "query",
    [
        "response=nonsense",
        "service=nowhere&nation=atlantis",
        "year_from=2018&year_to=2010",
        "year_from=soon",
        "sort=random",
        "q=" + "x" * 201,
        "council=draftshire",  # a council only a draft involves is not a filter value
    ],
)
@pytest.mark.django_db
def test_bad_parameters_get_a_400_with_the_list_pages_messages(client, catalogue, query):
    response = client.get(f"/api/case-studies/?{query}")
    page = client.get(f"/case-studies/?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["detail"] == "Some of this query could not be used."
    messages = [message for errors in body["errors"].values() for message in errors]
    assert messages == page.context["problems"]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/case-studies/?page=abc", 400),
        ("/api/case-studies/?page=-1", 400),
        ("/api/case-studies/?page=0", 404),
        ("/api/case-studies/?page=99", 404),
        ("/api/case-studies/no-such-case/", 404),
        ("/api/councils/no-such-council/", 404),
        ("/api/organisations/nobody/", 404),
        ("/api/partnerships/nothing/", 404),
        ("/api/service-areas/none/", 404),
        ("/api/no-such-endpoint/", 404),
        ("/api/case-studies/a.b/", 404),
    ],
)
@pytest.mark.django_db
def test_errors_are_json_with_the_right_status(client, catalogue, url, status):
    response = client.get(url)

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.django_db
def test_the_api_is_read_only(client, catalogue, method):
    slug = catalogue["wigan-care"].slug
    for url in ["/api/case-studies/", f"/api/case-studies/{slug}/", "/api/codebook/"]:
        response = getattr(client, method)(url, data={}, content_type="application/json")

        assert response.status_code == 405, url
        assert response.json()["detail"]
    assert client.get(f"/api/case-studies/{slug}/").json()["title"] == "Wigan care"


@pytest.mark.django_db
def test_the_openapi_document_describes_the_filters_and_errors(client, catalogue):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    operation = schema["paths"]["/api/case-studies/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) >= {"q", "response", "service", "council", "year_from", "page", "sort"}
    assert parameters["response"]["schema"]["items"]["enum"] == ResponseType.values
    assert parameters["service"]["schema"]["items"]["enum"] == ["adult-social-care", "libraries"]
    assert set(operation["responses"]) == {"200", "400", "404"}
    detail = schema["paths"]["/api/case-studies/{slug}/"]["get"]
    assert set(detail["responses"]) == {"200", "404"}


@pytest.mark.django_db
def test_the_docs_describe_every_address_from_the_openapi_document(client, catalogue):
    schema = client.get("/api/schema/").json()
    page = client.get("/api/docs/")
    html = page.content.decode()

    assert page.status_code == 200
    for path in schema["paths"]:
        assert f"<code>GET {path}</code>" in html
    for name in schema["components"]["schemas"]:
        assert name == "NullEnum" or f'id="object-{name}"' in html
    # The filters' allowed values, a way back to the site, and nothing inline or scripted.
    assert "<code>collaborate</code>" in html
    assert 'href="/"' in html and "<script" not in html and "style=" not in html
    assert client.post("/api/docs/").status_code == 405


@pytest.mark.django_db
def test_the_api_list_query_count_is_fixed(
    client, django_assert_num_queries, django_assert_max_num_queries
):
    partnership = make_partnership(partners={make_organisation(): "Care"})
    area = make_service_area()

    def add_cases(n: int) -> None:
        for _ in range(n):
            case_study = make_case_study(
                service_areas=[area, make_service_area()],
                councils=[make_council(), make_council()],
                partnership=partnership,
            )
            make_outcome(case_study=case_study)

    queries = [
        "",
        f"?response=collaborate&service={area.slug}&nation=england&sector=nhs&sort=title",
        "?q=council&page=1",
    ]
    add_cases(2)
    client.get(f"/api/case-studies/{queries[1]}")  # builds the facet index for this version
    counts = {}
    for query in queries:
        # version, service areas, count, page, service areas, councils (+1 with a search)
        with django_assert_max_num_queries(7) as captured:
            assert client.get(f"/api/case-studies/{query}").status_code == 200
        counts[query] = len(captured)
    add_cases(30)
    client.get(f"/api/case-studies/{queries[1]}")
    for query, count in counts.items():
        with django_assert_num_queries(count):
            assert client.get(f"/api/case-studies/{query}").status_code == 200


@pytest.mark.django_db
def test_even_a_strange_path_gets_a_json_404(client):
    response = client.get("/api/councils/%C3%90.%0A/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_empty_parameters_mean_the_same_as_on_the_list_page(client, catalogue):
    """The list page's form without JavaScript sends every text box, empty when unused."""
    query = "q=&year_from=&year_to=&sort=&page=&response=exit"

    assert api_slugs(client, query) == html_slugs(client, query)


@pytest.mark.django_db
def test_a_null_character_in_the_search_is_a_400(client, catalogue):
    response = client.get("/api/case-studies/?q=care%00")

    assert response.status_code == 400
    assert response.json() == {"detail": "The address contains a NUL character."}
