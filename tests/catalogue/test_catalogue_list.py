"""The faceted catalogue at /case-studies/: the URL contract, facet counts, bad input."""

import re

import pytest

from catalogue.models import EvidenceStrength, ResponseType, Status
from partnerships.models import Council, CouncilType, Nation, Region, Sector
from tests.factories import (
    make_case_study,
    make_council,
    make_organisation,
    make_outcome,
    make_partnership,
    make_service_area,
)
from tests.html import CARD_LINK


def result_slugs(response) -> list[str]:
    return CARD_LINK.findall(response.content.decode())


def result_count(response) -> int:
    return int(re.search(r'data-result-count="(\d+)"', response.content.decode()).group(1))


def option_count(response, facet: str, value: str) -> int:
    for group in response.context["facets"]:
        if group["name"] == facet:
            return next(o["count"] for o in group["options"] if o["value"] == value)
    raise AssertionError(f"no facet {facet}")


@pytest.fixture
def catalogue(db):
    """A small catalogue where each filter has something to find and something to leave out."""
    care = make_service_area(name="Adult social care", slug="adult-social-care")
    libraries = make_service_area(name="Libraries", slug="libraries")
    youth = make_service_area(name="Youth services", slug="youth-services")
    wigan = make_council(
        name="Wigan",
        slug="wigan",
        council_type=CouncilType.METROPOLITAN_BOROUGH,
        region=Region.NORTH_WEST,
    )
    cardiff = make_council(
        name="Cardiff",
        council_type=CouncilType.WELSH_PRINCIPAL,
        nation=Nation.WALES,
        region=Region.WALES,
    )
    surrey = make_council(name="Surrey", council_type=CouncilType.COUNTY, region=Region.SOUTH_EAST)
    nhs_partnership = make_partnership(partners={make_organisation(sector=Sector.NHS): "Care"})
    police_partnership = make_partnership(
        partners={make_organisation(sector=Sector.POLICE): "Safety"}
    )
    cases = {
        "wigan-care": make_case_study(
            title="Wigan care",
            response=ResponseType.COLLABORATE,
            service_areas=[care],
            councils=[wigan],
            partnership=nhs_partnership,
            start_year=2011,
        ),
        "cardiff-libraries": make_case_study(
            title="Cardiff libraries",
            response=ResponseType.EXIT,
            service_areas=[libraries],
            councils=[cardiff],
            start_year=2016,
        ),
        "surrey-youth": make_case_study(
            title="Surrey youth",
            response=ResponseType.EXIT,
            service_areas=[youth, libraries],
            councils=[surrey],
            partnership=police_partnership,
            start_year=2014,
        ),
        "surrey-care": make_case_study(
            title="Surrey care",
            response=ResponseType.ADAPT,
            service_areas=[care],
            councils=[surrey, wigan],
            start_year=2018,
        ),
        "fight-back": make_case_study(
            title="Fight back",
            response=ResponseType.FIGHT,
            service_areas=[care],
            councils=[cardiff],
            start_year=2010,
        ),
    }
    make_outcome(case_study=cases["wigan-care"], evidence=EvidenceStrength.MONITORED)
    make_outcome(case_study=cases["wigan-care"], evidence=EvidenceStrength.REPORTED)
    make_outcome(
        case_study=cases["surrey-youth"], evidence=EvidenceStrength.INDEPENDENTLY_EVALUATED
    )
    make_outcome(case_study=cases["cardiff-libraries"], evidence=EvidenceStrength.REPORTED)
    make_case_study(
        title="Draft care",
        status=Status.DRAFT,
        response=ResponseType.COLLABORATE,
        service_areas=[care],
        councils=[wigan],
        partnership=nhs_partnership,
    )
    return {key: case_study.slug for key, case_study in cases.items()}


def slugs_for(client, catalogue, query: str) -> set[str]:
    response = client.get(f"/case-studies/?{query}")
    assert response.status_code == 200, response.content.decode()[:500]
    names = {slug: key for key, slug in catalogue.items()}
    return {names[slug] for slug in result_slugs(response)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"wigan-care", "cardiff-libraries", "surrey-youth", "surrey-care", "fight-back"}),
        ("response=exit", {"cardiff-libraries", "surrey-youth"}),
        ("service=libraries", {"cardiff-libraries", "surrey-youth"}),
        ("council_type=county", {"surrey-youth", "surrey-care"}),
        ("nation=wales", {"cardiff-libraries", "fight-back"}),
        ("region=north-west", {"wigan-care", "surrey-care"}),
        ("sector=police", {"surrey-youth"}),
        ("council=wigan", {"wigan-care", "surrey-care"}),
        ("evidence=monitored", {"wigan-care"}),
        ("evidence=reported", {"cardiff-libraries"}),
        ("evidence=independently-evaluated", {"surrey-youth"}),
        ("year_from=2014", {"cardiff-libraries", "surrey-youth", "surrey-care"}),
        ("year_to=2011", {"wigan-care", "fight-back"}),
        ("q=cardiff", {"cardiff-libraries", "fight-back"}),
    ],
)
@pytest.mark.django_db
def test_each_parameter_alone(client, catalogue, query, expected):
    assert slugs_for(client, catalogue, query) == expected


@pytest.mark.django_db
def test_values_within_a_facet_are_ored(client, catalogue):
    assert slugs_for(client, catalogue, "response=exit&response=fight") == {
        "cardiff-libraries",
        "surrey-youth",
        "fight-back",
    }
    assert slugs_for(client, catalogue, "service=youth-services&service=adult-social-care") == {
        "wigan-care",
        "surrey-youth",
        "surrey-care",
        "fight-back",
    }


@pytest.mark.django_db
def test_facets_are_anded(client, catalogue):
    assert slugs_for(client, catalogue, "service=adult-social-care&nation=wales") == {"fight-back"}
    assert slugs_for(
        client, catalogue, "response=exit&response=adapt&council_type=county&year_to=2015"
    ) == {"surrey-youth"}


@pytest.mark.django_db
def test_facet_counts_leave_out_their_own_selection(client, catalogue):
    response = client.get("/case-studies/?response=exit&service=libraries")

    assert result_count(response) == 2
    # Response counts apply the service filter but not the response selection.
    assert option_count(response, "response", "exit") == 2
    assert option_count(response, "response", "collaborate") == 0
    # Service counts apply the response selection but not the service selection.
    assert option_count(response, "service", "youth-services") == 1
    assert option_count(response, "service", "adult-social-care") == 0
    page = response.content.decode()
    assert 'class="option option--empty"' in page  # zero options stay visible, marked


@pytest.mark.django_db
def test_summary_states_the_count_and_filters_in_words(client, catalogue):
    response = client.get("/case-studies/?response=exit&service=libraries&council_type=county")

    assert result_count(response) == 1
    assert "1 exit case study about libraries in county councils" in response.content.decode()


@pytest.mark.django_db
def test_each_active_filter_can_be_removed_on_its_own(client, catalogue):
    response = client.get("/case-studies/?response=exit&response=fight&service=libraries")
    chips = {chip["label"]: chip["remove_url"] for chip in response.context["active_filters"]}

    assert set(chips) == {
        "Response type: Exit",
        "Response type: Fight",
        "Service area: Libraries",
    }
    assert slugs_for(client, catalogue, chips["Response type: Exit"][1:]) == set()
    assert slugs_for(client, catalogue, chips["Service area: Libraries"][1:]) == {
        "cardiff-libraries",
        "surrey-youth",
        "fight-back",
    }
    assert 'href="/case-studies/">Clear all filters' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sort", "first"),
    [("title", "cardiff-libraries"), ("start-year", "fight-back"), ("-start-year", "surrey-care")],
)
def test_sort_orders(client, catalogue, sort, first):
    response = client.get(f"/case-studies/?sort={sort}")
    assert result_slugs(response)[0] == catalogue[first]


@pytest.mark.django_db
def test_drafts_never_appear_in_results_counts_or_related(client, catalogue):
    response = client.get("/case-studies/?response=collaborate")

    assert result_count(response) == 1
    assert option_count(response, "response", "collaborate") == 1
    assert option_count(response, "sector", "nhs") == 1
    assert "Draft care" not in response.content.decode()
    detail = client.get(f"/case-studies/{catalogue['wigan-care']}/").content.decode()
    assert "Draft care" not in detail


@pytest.mark.django_db
def test_related_case_studies_say_why(client, catalogue):
    page = client.get(f"/case-studies/{catalogue['surrey-care']}/").content.decode()

    related = page[page.index('id="related"') :]
    assert "Wigan care" in related
    assert "also in adult social care; also involves Wigan" in related


BAD_INPUTS = [
    ("response=surrender", "“surrender” is not a response type we know"),
    ("service=astrology", "“astrology” is not a service area we know"),
    ("year_from=last+year", "“Started from” needs a year such as 2014"),
    ("year_to=99999", "“Started by” needs a year up to 2100"),
    ("year_from=2018&year_to=2010", "The years run backwards (2018 is after 2010)"),
    ("q=" + "x" * 10_240, "The search text is too long"),
    ("sort=random", "“random” is not a sort order we know"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "message"), BAD_INPUTS)
def test_bad_input_gets_a_clear_message_not_an_error(client, catalogue, query, message):
    response = client.get(f"/case-studies/?{query}")

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    # What was wrong is left out; everything else still works.
    assert result_count(response) == 5


@pytest.mark.django_db
def test_bad_input_leaves_the_good_filters_applied(client, catalogue):
    response = client.get("/case-studies/?response=exit&service=astrology")
    assert response.status_code == 400
    assert result_count(response) == 2


@pytest.mark.django_db
def test_only_the_unknown_values_of_a_facet_are_left_out(client, catalogue):
    response = client.get("/case-studies/?service=bogus&service=libraries&service=nonsense")

    assert response.status_code == 400
    assert set(slugs_for_response(response, catalogue)) == {"cardiff-libraries", "surrey-youth"}
    page = response.content.decode()
    assert "“bogus” is not a service area we know, so it was left out." in page
    assert "“nonsense” is not a service area we know, so it was left out." in page
    assert "2 case studies about libraries" in page
    assert "Remove filter </span>Service area: Libraries" in page


def slugs_for_response(response, catalogue) -> list[str]:
    names = {slug: key for key, slug in catalogue.items()}
    return [names[slug] for slug in result_slugs(response)]


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["0", "-3"])
def test_a_page_number_below_one_shows_the_first_page_and_says_so(client, db, number):
    first = [make_case_study(title=f"Case {n:02}") for n in range(23)]

    response = client.get(f"/case-studies/?sort=title&page={number}")

    assert response.status_code == 200
    assert f"There is no page {number}: pages are numbered from 1, so page 1 is shown." in (
        response.content.decode()
    )
    assert result_slugs(response) == [case.slug for case in first[:20]]


@pytest.mark.django_db
def test_former_councils_are_marked_in_the_council_facet(client, catalogue):
    former = make_council(name="Shepway", slug="shepway", ended_year=2018)
    make_case_study(councils=[former])

    response = client.get("/case-studies/")

    council = next(f for f in response.context["facets"] if f["name"] == "council")
    labels = {o["value"]: o["label"] for o in council["options"]}
    assert labels["shepway"] == "Shepway (former)"
    assert labels["wigan"] == "Wigan"


@pytest.mark.django_db
def test_an_area_and_a_council_added_are_offered_and_accepted_on_the_next_page(client, catalogue):
    """Each page's filters are its own copies: what one page was offered never sticks."""
    client.get("/case-studies/?service=libraries&council=wigan")
    area = make_service_area(name="Coastal protection", slug="coastal-protection")
    council = make_council(name="Torbay", slug="torbay")
    make_case_study(title="Torbay coast", service_areas=[area], councils=[council])

    response = client.get("/case-studies/?service=coastal-protection&council=torbay")

    assert response.status_code == 200
    assert "could not be used" not in response.content.decode()
    assert result_count(response) == 1
    assert option_count(response, "service", "coastal-protection") == 1
    assert option_count(response, "council", "torbay") == 1
    assert "Torbay coast" in response.content.decode()


@pytest.mark.django_db
def test_the_council_facet_lists_only_councils_that_would_add_results_and_ticked_ones(
    client, catalogue
):
    """Counts leave out the facet's own selection, so an unticked council counted 0 would
    add nothing: it is counted in a note, not listed; a ticked one always is."""
    cardiff, surrey = (Council.objects.get(name=name).slug for name in ["Cardiff", "Surrey"])
    whole = client.get("/case-studies/").content.decode()
    narrow = client.get("/case-studies/?service=youth-services&council=wigan")
    page = narrow.content.decode()

    assert all(f'id="id_council-{slug}"' in whole for slug in ["wigan", cardiff, surrey])
    assert "not listed" not in whole  # every council in use has a case study
    council = next(f for f in narrow.context["facets"] if f["name"] == "council")
    # Surrey alone has youth services case studies; Wigan has none but is ticked.
    assert [(o["value"], o["count"]) for o in council["options"]] == [("wigan", 0), (surrey, 1)]
    assert 'id="id_council-wigan" checked' in page and f'id="id_council-{surrey}"' in page
    assert f'id="id_council-{cardiff}"' not in page
    assert "1 other council with none of these case studies is not listed." in page
    unticked = client.get("/case-studies/?service=youth-services").content.decode()
    assert "2 other councils with none of these case studies are not listed." in unticked


@pytest.mark.django_db
def test_ticked_options_of_long_facets_come_first(client, catalogue):
    response = client.get("/case-studies/?council=wigan&service=youth-services")

    for facet in response.context["facets"]:
        if facet["name"] in {"council", "service"}:
            assert facet["options"][0]["checked"], facet["name"]
            assert facet["finder"]
    page = response.content.decode()
    assert 'id="id_council-wigan"' in page and 'for="find-council"' in page


EMPTY_SEARCHES = [
    ("-libraries", "A search made only of words to leave out"),
    ("the", "leaves out very common words"),
    ("the -libraries", "A search made only of words to leave out"),
    ("librar", "not parts of words"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "advice"), EMPTY_SEARCHES)
def test_a_search_that_finds_nothing_says_why(client, catalogue, text, advice):
    """Both engines: an exclusion alone finds nothing (PostgreSQL alone would otherwise
    return everything else), stop words are ignored, words match whole (stemmed) words."""
    response = client.get("/case-studies/", {"q": text, "response": "exit"})

    assert result_count(response) == 0
    page = response.content.decode()
    assert advice in page
    assert 'href="?response=exit">Clear the search</a> and keep the filters' in page
    assert result_count(client.get("/case-studies/", {"q": "libraries"})) == 2


@pytest.mark.django_db
def test_a_page_past_the_end_shows_the_last_page_and_says_so(client, db):
    for _ in range(23):
        make_case_study()

    response = client.get("/case-studies/?page=7")

    assert response.status_code == 200
    assert "There are only 2 pages of results, so the last one is shown." in (
        response.content.decode()
    )
    assert len(result_slugs(response)) == 3
    assert "is not a page number" in client.get("/case-studies/?page=two").content.decode()


@pytest.mark.django_db
def test_pagination_and_sorting_keep_every_filter(client, db):
    area = make_service_area(slug="housing")
    for _ in range(25):
        make_case_study(response=ResponseType.ADAPT, service_areas=[area])
    make_case_study(response=ResponseType.FIGHT, service_areas=[area])

    page = client.get("/case-studies/?response=adapt&service=housing&sort=title").content.decode()

    assert 'href="?response=adapt&amp;service=housing&amp;sort=title&amp;page=2"' in page
    second = client.get("/case-studies/?response=adapt&service=housing&sort=title&page=2")
    assert len(result_slugs(second)) == 5


QUERY_COUNT_URLS = [
    "",
    "?response=collaborate",
    "?response=collaborate&response=exit&service=area-1&council_type=unitary&nation=england"
    "&region=north-west&sector=nhs&evidence=reported&year_from=2000&year_to=2030&sort=title",
    "?q=council&sector=nhs&page=2",
]


@pytest.mark.django_db
def test_list_page_query_count_is_fixed(client, django_assert_max_num_queries, settings):
    """3 queries (6 with a search: matches, the best ranked, extracts), whatever the data
    size, once the facet index is current; the first request after an edit updates it (here,
    with the background update off) in at most 16 more: 4 to find that it cannot catch up
    (the index left by another test is of a version not in this database's log), then 12 to
    build it (10 reads in one snapshot, whose savepoint counts 2). A page served from the
    cache costs one query: the catalogue's version."""
    settings.CATALOGUE_CACHE = False
    area = make_service_area(slug="area-1")
    partnership = make_partnership(partners={make_organisation(sector=Sector.NHS): "Care"})

    def add_cases(n: int) -> None:
        for _ in range(n):
            case_study = make_case_study(
                summary="A council and its partners.",
                service_areas=[area, make_service_area()],
                councils=[make_council(), make_council()],
                partnership=partnership,
            )
            make_outcome(case_study=case_study)

    add_cases(3)
    with django_assert_max_num_queries(20):
        client.get("/case-studies/")  # builds the index for this version of the catalogue
    counts = {}
    for query in QUERY_COUNT_URLS:
        with django_assert_max_num_queries(6) as captured:
            client.get(f"/case-studies/{query}")
        counts[query] = len(captured)
    add_cases(40)
    client.get("/case-studies/")
    for query, count in counts.items():
        with django_assert_max_num_queries(count):
            response = client.get(f"/case-studies/{query}")
        assert response.status_code == 200
    assert counts[""] == counts[QUERY_COUNT_URLS[2]] == 3
    settings.CATALOGUE_CACHE = True
    client.get("/case-studies/?response=collaborate")
    with django_assert_max_num_queries(1):
        client.get("/case-studies/?response=collaborate")


@pytest.mark.django_db
def test_a_card_shows_a_long_summarys_first_sixty_words_and_a_short_one_whole(client):
    words = [f"word{n}" for n in range(1, 71)]
    make_case_study(title="Long", summary="  ".join(words[:35]) + "\n" + " ".join(words[35:]))
    make_case_study(title="Short", summary="Shared <b>back</b> office\nfor two councils.")

    html = client.get("/case-studies/").content.decode()

    assert f"<p>{' '.join(words[:60])} …</p>" in html  # the spacing made even
    assert "word61" not in html
    assert "<p>Shared &lt;b&gt;back&lt;/b&gt; office for two councils.</p>" in html
