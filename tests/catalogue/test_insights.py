"""/insights/ and the list page's charts: each count links to the case studies it counts."""

import csv
import io
import re

import pytest
from django.conf import settings

from catalogue.insights import Hex as HexPosition
from catalogue.insights import (
    HexLayout,
    hex_layout,
    legend,
    place_hexes,
    region_outline,
    shade,
)
from catalogue.models import ResponseType, Status
from partnerships.models import CouncilType, Nation, Region
from tests.factories import make_case_study, make_council, make_service_area

# Real GSS codes, so the councils have places on the hex maps.
WIGAN, CARDIFF, SURREY, HARTLEPOOL = "E08000010", "W06000015", "E10000030", "E06000001"


def result_count(response) -> int:
    return int(re.search(r'data-result-count="(\d+)"', response.content.decode()).group(1))


@pytest.fixture
def catalogue(db):
    care = make_service_area(name="Adult social care", slug="adult-social-care")
    libraries = make_service_area(name="Libraries", slug="libraries")
    make_service_area(name="Youth services", slug="youth-services")  # used by no case study
    wigan = make_council(
        name="Wigan",
        slug="wigan",
        gss_code=WIGAN,
        council_type=CouncilType.METROPOLITAN_BOROUGH,
    )
    cardiff = make_council(
        name="Cardiff",
        slug="cardiff",
        gss_code=CARDIFF,
        council_type=CouncilType.WELSH_PRINCIPAL,
        nation=Nation.WALES,
        region=Region.WALES,
    )
    surrey = make_council(
        name="Surrey",
        slug="surrey",
        gss_code=SURREY,
        council_type=CouncilType.COUNTY,
        region=Region.SOUTH_EAST,
    )
    former = make_council(name="Old District", slug="old-district", ended_year=2019)
    hartlepool = make_council(name="Hartlepool", slug="hartlepool", gss_code=HARTLEPOOL)
    cases = [
        make_case_study(
            response=ResponseType.COLLABORATE,
            service_areas=[care],
            councils=[wigan],
            start_year=2011,
        ),
        make_case_study(
            response=ResponseType.COLLABORATE,
            service_areas=[care, libraries],
            councils=[wigan, cardiff],
            start_year=2011,
        ),
        make_case_study(
            response=ResponseType.EXIT,
            service_areas=[libraries],
            councils=[cardiff],
            start_year=2016,
        ),
        make_case_study(
            response=ResponseType.EXIT,
            service_areas=[libraries],
            councils=[surrey, former],
            start_year=2014,
        ),
        make_case_study(
            response=ResponseType.FIGHT,
            service_areas=[care],
            councils=[cardiff],
            start_year=None,
        ),
    ]
    make_case_study(
        title="Secret draft",
        status=Status.DRAFT,
        response=ResponseType.ADAPT,
        service_areas=[care],
        councils=[hartlepool, wigan],
        start_year=1999,
    )
    return cases


def chart_links(context) -> list[tuple[str, str, int]]:
    """Every (chart, href, count) a page links to, from the charts in its context."""
    links = []
    matrix = context["matrix"]
    for row in matrix.rows:
        links += [("matrix", cell.url, cell.count) for cell in [*row.cells, row.total] if cell.url]
    links += [("matrix totals", cell.url, cell.count) for cell in matrix.totals if cell.url]
    links += [("years", bar.url, bar.count) for bar in context["years"].bars if bar.url]
    links += [("nations", bar.url, bar.count) for bar in context["nations"].bars if bar.url]
    if "councils" in context:
        links += [("councils", c.url, c.count) for c in context["councils"].councils]
    return links


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?response=exit&response=collaborate",
        "?service=libraries&service=adult-social-care&nation=wales",
        "?year_from=2011&year_to=2016&sort=title",
        "?q=case",
    ],
)
@pytest.mark.django_db
def test_every_chart_link_shows_as_many_case_studies_as_it_counts(client, catalogue, query):
    page = client.get(f"/insights/{query}")
    assert page.status_code == 200
    html = page.content.decode()
    links = chart_links(page.context)
    assert {chart for chart, _, _ in links} >= {"matrix", "years", "nations", "councils"}

    for chart, url, count in links:
        assert url.replace("&", "&amp;") in html, url
        followed = client.get(url)
        assert followed.status_code == 200, url
        assert result_count(followed) == count, (chart, url)


@pytest.mark.django_db
def test_a_cell_links_to_the_current_query_plus_its_values(client, catalogue):
    page = client.get("/insights/?nation=wales&page=2")
    cells = {
        (row.value, response): cell
        for row in page.context["matrix"].rows
        for response, cell in zip(ResponseType.values, row.cells, strict=True)
    }

    exit_libraries = cells["libraries", "exit"]
    assert exit_libraries.count == 1
    assert exit_libraries.url == "/case-studies/?response=exit&service=libraries&nation=wales"
    assert cells["adult-social-care", "exit"].count == 0
    assert cells["adult-social-care", "exit"].url == ""  # nothing to find: no link


@pytest.mark.django_db
def test_charts_count_the_filtered_set(client, catalogue):
    everything = client.get("/insights/").context
    wales = client.get("/insights/?nation=wales").context

    assert everything["matrix"].total == 5
    assert wales["matrix"].total == 3
    assert {bar.label: bar.count for bar in wales["nations"].bars} == {
        "England": 1,  # the Wigan and Cardiff case study involves both nations
        "Wales": 3,
        "Scotland": 0,
        "Northern Ireland": 0,
    }
    assert {bar.label: bar.count for bar in wales["years"].bars if bar.count} == {
        "2011": 1,
        "2016": 1,
    }
    assert wales["years"].unknown == 1
    rows = {row.value: [cell.count for cell in row.cells] for row in wales["matrix"].rows}
    # fight, adapt, exit, collaborate
    assert rows == {"adult-social-care": [1, 0, 0, 1], "libraries": [0, 0, 1, 1]}
    assert [cell.count for cell in wales["matrix"].totals] == [1, 0, 1, 1]


@pytest.mark.django_db
def test_overlaps_outside_the_chosen_values_are_counted_but_not_linked(client, catalogue):
    """With nation=wales, 'England: 1' is a Welsh case study that also involves England.

    ?nation=england would show every English one (OR within a facet), so it gets no link.
    """
    page = client.get("/insights/?nation=wales&council=cardiff")
    html = page.content.decode()
    nations = {bar.label: bar for bar in page.context["nations"].bars}

    assert (nations["England"].count, nations["England"].url) == (1, "")
    assert nations["Wales"].url == "/case-studies/?nation=wales&council=cardiff"
    assert "Nations you did not choose count case studies that also involve one you chose" in html
    councils = {c.slug: c for c in page.context["councils"].councils}
    assert (councils["wigan"].count, councils["wigan"].url) == (1, "")
    districts, _ = page.context["councils"].maps
    assert [h.code for h in districts.linked] == [CARDIFF]
    assert 'aria-label="Wigan' not in html


@pytest.mark.django_db
def test_years_run_without_gaps_from_first_to_last(client, catalogue):
    bars = client.get("/insights/").context["years"].bars

    assert [bar.label for bar in bars] == [str(year) for year in range(2011, 2017)]
    assert [bar.count for bar in bars] == [2, 0, 0, 1, 0, 1]
    assert [bool(bar.url) for bar in bars] == [True, False, False, True, False, True]


@pytest.mark.django_db
def test_each_bar_shows_its_year_a_bar_as_long_as_its_share_and_a_linked_count(client, catalogue):
    html = client.get("/insights/").content.decode()

    # 2011 has the most (2): a full bar, its count linked to its filter, described in words.
    assert (
        '<span class="bar-row__label">2011</span><span class="bar-row__track">'
        '<svg class="bar-row__bar" width="100.0%"' in html
    )
    assert (
        '<a href="/case-studies/?year_from=2011&amp;year_to=2011" '
        'aria-label="Started in 2011: 2 case studies">2</a>' in html
    )
    assert '<svg class="bar-row__bar" width="50.0%"' in html  # 2014 and 2016: one each
    # A year with none: no bar and no link, only its 0.
    assert (
        '<span class="bar-row__label">2012</span><span class="bar-row__track"></span>'
        '<span class="bar-row__count">0</span>' in html
    )


@pytest.mark.django_db
def test_service_areas_with_no_case_studies_are_left_out_of_the_matrix(client, catalogue):
    page = client.get("/insights/")

    assert [row.value for row in page.context["matrix"].rows] == [
        "adult-social-care",
        "libraries",
    ]
    assert "1 service area with none of these case studies is left out." in page.content.decode()


@pytest.mark.django_db
def test_drafts_are_absent_from_charts_and_maps(client, catalogue):
    page = client.get("/insights/")
    html = page.content.decode()
    councils = {c.slug: c.count for c in page.context["councils"].councils}

    assert councils == {"cardiff": 3, "wigan": 2, "surrey": 1, "old-district": 1}
    assert "hartlepool" not in html and "Secret draft" not in html
    assert "1999" not in [bar.label for bar in page.context["years"].bars]
    assert [cell.count for cell in page.context["matrix"].totals][1] == 0  # the draft is adapt
    district_map = page.context["councils"].maps[0]
    assert HARTLEPOOL in {h.code for h in district_map.plain}
    assert 'aria-label="Hartlepool' not in html


@pytest.mark.django_db
def test_hex_map_links_each_council_with_case_studies_to_its_filter(client, catalogue):
    page = client.get("/insights/")
    html = page.content.decode()
    districts, upper_tier = page.context["councils"].maps

    assert {h.code: h.url for h in districts.linked} == {
        WIGAN: "/case-studies/?council=wigan",
        CARDIFF: "/case-studies/?council=cardiff",
    }
    assert {h.code for h in upper_tier.linked} == {WIGAN, SURREY}
    assert len(districts.linked) + len(districts.plain) == len(hex_layout("districts").hexes)
    wigan = 'href="/case-studies/?council=wigan" aria-label="Wigan: 2 case studies">'
    assert f'<a class="hexcell" {wigan}' in html
    # Each hexagon carries the caption shown above the map when it is pointed at or focused.
    assert ">Wigan: 2 case studies</text>" in html and ">Hartlepool: none</text>" in html
    # Shaded by count: Cardiff has the most.
    shades = {h.code: h.shade for h in districts.linked}
    assert shades[CARDIFF] == 5 and 0 < shades[WIGAN] < 5
    # A former council has no place on either map, but is in the table.
    assert "Not on either map" in html
    assert "Open Innovations" in html and "MIT licence" in html


@pytest.mark.django_db
def test_hex_links_keep_the_current_filters(client, catalogue):
    page = client.get("/insights/?response=exit")
    districts, _ = page.context["councils"].maps

    assert {h.code: h.url for h in districts.linked} == {
        CARDIFF: "/case-studies/?response=exit&council=cardiff"
    }


def test_region_outlines_follow_the_coast_and_the_borders_between_regions():
    # Three hexes in a row, west to east, then one to the north-east of the middle one.
    layout = HexLayout(
        "Test",
        {
            "west": HexPosition("west", "West", q=0, r=0),
            "middle": HexPosition("middle", "Middle", q=1, r=0),
            "east": HexPosition("east", "East", q=2, r=0),
            "north": HexPosition("north", "North", q=1, r=1),
        },
    )
    centres, _, _ = place_hexes(layout)

    def edges(regions: dict[str, str]) -> int:
        return region_outline(layout, centres, regions).count("M")

    coast = edges(dict.fromkeys(layout.hexes, "a"))
    # 4 hexes have 24 edges; 4 are shared (west|middle, middle|east, middle|north, east|north).
    assert coast == 24 - 2 * 4
    # A border between regions adds each shared edge it follows, once.
    assert edges({"west": "a", "middle": "b", "east": "b", "north": "b"}) == coast + 1
    assert edges({"west": "a", "middle": "b", "east": "c", "north": "d"}) == coast + 4


def test_the_lightest_shade_stands_out_from_none_and_carries_white_text():
    css = (settings.BASE_DIR / "static/css/site.css").read_text()

    def fill(name: str) -> str:
        return re.search(rf"\.{name} {{[^}}]*fill: (#[0-9a-f]{{6}})", css).group(1)

    none = re.search(r"\.shade-0 {[^}]*fill: (#[0-9a-f]{6})", css).group(1)
    for level in range(1, 6):
        assert contrast(fill(f"shade-{level}"), none) >= 3, level
        assert contrast(fill(f"shade-{level}"), "#ffffff") >= 4.5, level


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted([luminance(first), luminance(second)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_hex_layouts_are_read_once_and_keyed_by_gss_code():
    hex_layout.cache_clear()
    districts = hex_layout("districts")

    assert districts.hexes[WIGAN].name == "Wigan"
    assert hex_layout("upper-tier").hexes[SURREY].name == "Surrey"
    assert hex_layout("districts") is districts
    assert hex_layout.cache_info().hits == 1


def test_odd_rows_shift_right_and_rows_grow_northwards():
    layout = HexLayout(
        title="test",
        hexes={
            "south": HexPosition("south", "South", q=0, r=0),
            "odd": HexPosition("odd", "Odd", q=0, r=1),
            "north": HexPosition("north", "North", q=0, r=2),
        },
    )
    centres, width, height = place_hexes(layout)

    assert centres["north"][1] < centres["odd"][1] < centres["south"][1]
    assert centres["north"][0] == centres["south"][0] < centres["odd"][0]
    assert width > 0 and height > centres["south"][1]


def test_shades_scale_with_the_largest_count():
    assert [shade(n, 10) for n in [0, 1, 2, 5, 9, 10]] == [0, 1, 1, 3, 5, 5]
    assert [shade(n, 3) for n in [1, 2, 3]] == [2, 4, 5]


@pytest.mark.parametrize("largest", [1, 2, 3, 4, 5, 7, 10, 11, 99, 100, 1234])
def test_the_legend_gives_each_count_the_range_of_its_shade(largest):
    """A reader matches a cell's shade to the legend: every count must fall in its own key."""
    keys = legend(largest)
    assert keys[0] == {"shade": 0, "label": "none"}
    for count in range(1, largest + 1):
        (key,) = [k for k in keys[1:] if k["shade"] == shade(count, largest)]
        low, _, high = key["label"].partition(" to ")
        assert int(low) <= count <= int(high or low)
    assert legend(10)[1:] == [
        {"shade": level, "label": f"{2 * level - 1} to {2 * level}"} for level in range(1, 6)
    ]
    assert [k["label"] for k in legend(3)[1:]] == ["1", "2", "3"]


def read_csv(response) -> list[dict]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.django_db
def test_each_chart_downloads_as_csv_with_the_same_numbers(client, catalogue):
    page = client.get("/insights/?nation=wales")
    html = page.content.decode()

    for chart in ["response-by-service", "start-years", "nations", "councils"]:
        assert f'href="/insights/{chart}.csv?nation=wales"' in html
        response = client.get(f"/insights/{chart}.csv?nation=wales")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == f'attachment; filename="insights-{chart}.csv"'

    nations = read_csv(client.get("/insights/nations.csv?nation=wales"))
    assert {row["nation"]: int(row["case_studies"]) for row in nations} == {
        "england": 1,
        "wales": 3,
        "scotland": 0,
        "northern-ireland": 0,
    }
    pairs = read_csv(client.get("/insights/response-by-service.csv?nation=wales"))
    assert len(pairs) == 3 * 4  # every service area × every response type
    assert sum(int(row["case_studies"]) for row in pairs if row["response"] == "exit") == 1
    years = read_csv(client.get("/insights/start-years.csv?nation=wales"))
    assert years[-1] == {"start_year": "", "case_studies": "1"}  # no known start year
    councils = read_csv(client.get("/insights/councils.csv?nation=wales"))
    assert {row["council"]: row["case_studies"] for row in councils} == {
        "cardiff": "3",
        "wigan": "1",
    }


@pytest.mark.django_db
def test_csv_cells_cannot_run_as_formulas(client, catalogue):
    make_case_study(councils=[make_council(name="=HYPERLINK(1)", slug="formula")])

    rows = read_csv(client.get("/insights/councils.csv"))

    assert "'=HYPERLINK(1)" in {row["council_name"] for row in rows}


@pytest.mark.django_db
def test_bad_filters_are_reported_and_left_out_of_the_charts(client, catalogue):
    page = client.get("/insights/?response=nonsense&nation=wales")

    assert page.status_code == 400
    html = page.content.decode()
    assert "“nonsense” is not a response type we know, so it was left out." in html
    assert page.context["matrix"].total == 3
    assert all("nonsense" not in url for _, url, _ in chart_links(page.context))

    csv_response = client.get("/insights/nations.csv?response=nonsense")
    assert csv_response.status_code == 400
    assert "“nonsense” is not a response type we know" in csv_response.content.decode()
    assert client.get("/insights/unknown-chart.csv").status_code == 404


@pytest.mark.django_db
def test_no_results_say_so(client, catalogue):
    page = client.get("/insights/?q=zebra")

    assert page.status_code == 200
    assert "There is nothing to chart." in page.content.decode()


@pytest.mark.django_db
def test_insights_need_no_inline_styles_or_scripts(client, catalogue):
    html = client.get("/insights/").content.decode()

    assert "style=" not in html
    assert "<script" not in html


@pytest.mark.django_db
def test_the_list_page_charts_its_results_and_links_to_insights(client, catalogue):
    page = client.get("/case-studies/?response=exit&page=1")
    html = page.content.decode()

    assert "Charts of these 2 case studies" in html
    assert 'href="/insights/?response=exit"' in html
    assert page.context["charts"]["matrix"].total == 2
    assert "councils" not in page.context["charts"]  # the maps are on /insights/ only
    for _, url, count in chart_links(page.context["charts"]):
        assert result_count(client.get(url)) == count


@pytest.mark.django_db
def test_insights_query_count_is_fixed(client, django_assert_num_queries):
    area = make_service_area()

    def add_cases(years: range) -> None:
        for year in years:
            make_case_study(
                service_areas=[area, make_service_area()],
                councils=[make_council(), make_council(gss_code=f"E0700{year:04}")],
                start_year=year,
            )

    # The facet index counts every chart and knows the service areas: two queries, the version
    # and the councils on the map. The first request after an edit also rebuilds the index
    # (not counted here).
    add_cases(range(2000, 2002))
    client.get("/insights/")
    for query in ["", "?response=collaborate&nation=england&year_from=2001"]:
        with django_assert_num_queries(2):
            client.get(f"/insights/{query}")
    add_cases(range(2002, 2032))
    client.get("/insights/")
    for query in ["", "?response=collaborate&nation=england&year_from=2001"]:
        with django_assert_num_queries(2):
            assert client.get(f"/insights/{query}").status_code == 200
