"""The finder (/case-studies/) and the comparison on phones and desktops, by pointer and by
keyboard, with and without JavaScript (issue 13)."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from catalogue.models import EvidenceStrength, OutcomeKind, ResponseType
from partnerships.models import Sector
from tests.browser.test_accessibility import WCAG_AA
from tests.factories import (
    make_case_study,
    make_council,
    make_organisation,
    make_outcome,
    make_partnership,
    make_service_area,
    make_source,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def finder():
    """25 case studies: enough for two pages, a long council facet and a former council."""
    care = make_service_area(name="Adult social care", slug="adult-social-care")
    libraries = make_service_area(name="Libraries", slug="libraries")
    wigan = make_council(name="Wigan", slug="wigan")
    former = make_council(name="Shepway", slug="shepway", ended_year=2018)
    councils = [make_council(name=f"Borough {n:02}") for n in range(20)]
    nhs = make_partnership(partners={make_organisation(sector=Sector.NHS): "Commissioner"})
    cases = []
    for n in range(22):
        cases.append(
            make_case_study(
                title=f"Care example {n:02}",
                summary="Partners invested in prevention to reduce demand for care.",
                service_areas=[care],
                councils=[councils[n % 20]],
                partnership=nhs,
                start_year=2010 + n % 10,
            )
        )
    cases.append(
        make_case_study(
            title="Wigan libraries handed to volunteers",
            response=ResponseType.EXIT,
            service_areas=[libraries],
            councils=[wigan],
            start_year=2016,
        )
    )
    cases.append(
        make_case_study(
            title="Shepway shared back office",
            response=ResponseType.ADAPT,
            service_areas=[care],
            councils=[former],
            start_year=2012,
        )
    )
    return cases


def open_list(page: Page, live_server, size: dict, query: str = "") -> None:
    page.set_viewport_size(size)
    page.goto(f"{live_server.url}/case-studies/{query}")


def heading(page: Page):
    return page.locator("#result-summary")


# -- 1. Tables keep words and figures whole ----------------------------------------------------

# Every word in a table cell (web addresses apart) must sit on one line: a word whose letters
# land on two lines has been split.
SPLIT_WORDS = """() => {
  const split = [];
  for (const cell of document.querySelectorAll("table th, table td")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest(".url, .visually-hidden")) continue;
      for (const match of node.data.matchAll(/[^\\s\\-–—\\/]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
          .map(r => Math.round(r.top)));
        if (lines.size > 1) split.push(match[0]);
      }
    }
  }
  return split;
}"""


@pytest.fixture
def comparable():
    area = make_service_area(name="Children's services")
    council = make_council(name="Northamptonshire")
    partnership = make_partnership(
        name="Government intervention in Northamptonshire",
        partners={
            make_organisation(name="Government-appointed commissioners", sector=Sector.POLICE): (
                "Oversaw the council's finances and spending controls"
            )
        },
    )
    pair = []
    for title in ["Section 114 notices and spending controls", "Shared care savings"]:
        case_study = make_case_study(
            title=title, service_areas=[area], councils=[council], partnership=partnership
        )
        make_outcome(
            case_study=case_study,
            description="The council reported an in-year shortfall against its budget.",
            figure=160,
            unit="£m",
            kind=OutcomeKind.ACHIEVED,
            evidence=EvidenceStrength.INDEPENDENTLY_EVALUATED,
        )
        make_source(case_study=case_study)
        pair.append(case_study)
    return pair


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_tables_keep_words_and_figures_whole(page: Page, live_server, comparable, size):
    page.set_viewport_size(size)
    first, second = comparable
    for path in [f"/compare/?ids={first.slug},{second.slug}", first.get_absolute_url()]:
        page.goto(live_server.url + path)
        expect(page.locator("table").first).to_be_visible()
        assert page.evaluate(SPLIT_WORDS) == [], path
        # A table too wide for the screen scrolls inside its own labelled, focusable region.
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], path
        for region in page.locator(".table-scroll").all():
            assert region.get_attribute("role") == "region"
            assert region.get_attribute("tabindex") == "0"
            assert region.get_attribute("aria-labelledby")
            assert region.evaluate("r => getComputedStyle(r).overflowX") == "auto"
    expect(page.get_by_role("cell", name="£160m")).to_be_visible()


# -- 2. The start-year filter applies by pointer -----------------------------------------------


def test_the_start_year_filter_applies_by_mouse_with_javascript(page: Page, live_server, finder):
    open_list(page, live_server, DESKTOP)
    page.locator("summary", has_text=re.compile("^Start year$")).click()
    page.get_by_label("From").fill("2018")
    page.get_by_role("button", name="Apply start years").click()

    expect(page).to_have_url(re.compile(r"year_from=2018"))
    expect(heading(page)).to_contain_text("4 case studies started in or after 2018")


# -- 3. Phones: count and a Filter button first, "Show N results" ------------------------------


def test_on_a_phone_the_count_and_a_filter_button_come_before_folded_filters(
    page: Page, live_server, finder
):
    open_list(page, live_server, PHONE)
    toggle = page.get_by_role("button", name="Filter", exact=True)
    adapt = page.get_by_label(re.compile(r"^Adapt"))

    expect(heading(page)).to_have_text("24 case studies")
    assert heading(page).bounding_box()["y"] < PHONE["height"]
    assert page.locator(".card").first.bounding_box()["y"] < 2 * PHONE["height"]
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(adapt).to_be_hidden()

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    adapt.check()
    show = page.get_by_role("button", name="Show 1 result")
    expect(show).to_be_visible()
    assert Axe().run(page, options=WCAG_AA).violations_count == 0
    show.click()

    expect(adapt).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(heading(page)).to_be_focused()
    expect(heading(page)).to_have_text("1 adapt case study")
    expect(page.locator(".card")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_on_a_phone_without_javascript_every_filter_shows_with_an_apply_button(
    browser, live_server, finder
):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/case-studies/")

    expect(page.get_by_role("button", name="Filter", exact=True)).to_be_hidden()
    expect(page.get_by_role("button", name=re.compile("^Show"))).to_be_hidden()
    assert heading(page).bounding_box()["y"] < PHONE["height"]
    page.get_by_label(re.compile(r"^Exit")).check()
    page.get_by_role("button", name="Apply filters").click()

    expect(heading(page)).to_have_text("1 exit case study")
    context.close()


# -- 5. The compare bar: always in reach, counts, refuses a fifth ------------------------------


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_the_compare_bar_counts_stays_in_reach_and_refuses_a_fifth(
    page: Page, live_server, finder, size
):
    open_list(page, live_server, size)
    boxes = page.get_by_role("checkbox", name=re.compile("^Compare"))
    bar = page.locator("#compare-bar")
    expect(bar).to_contain_text("0 of 4 selected")

    boxes.nth(0).check()
    expect(bar).to_contain_text("1 of 4 selected")
    page.get_by_role("button", name="Compare selected").click()  # one is too few
    expect(bar).to_contain_text("Tick at least 2 case studies to compare")
    expect(page).to_have_url(re.compile(r"/case-studies/"))

    for n in range(1, 4):
        boxes.nth(n).check()
    expect(bar).to_contain_text("4 of 4 selected")
    fifth = boxes.nth(4)
    fifth.scroll_into_view_if_needed()
    fifth.click()

    expect(fifth).not_to_be_checked()
    expect(bar).to_contain_text("You can compare up to 4 case studies at a time")
    expect(bar).to_contain_text("4 of 4 selected")
    expect(page.locator("#catalogue-status")).to_contain_text("up to 4")
    # The bar is on screen next to the boxes, not thousands of pixels below them.
    box = bar.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"] + 1
    assert Axe().run(page, options=WCAG_AA).violations_count == 0
    page.get_by_role("button", name="Compare selected").click()
    expect(page).to_have_url(re.compile(r"/compare/\?ids="))
    expect(page.get_by_role("columnheader")).to_have_count(4)
    assert Axe().run(page, options=WCAG_AA).violations_count == 0


# -- 7. One persistent live region; focus after chips and paging -------------------------------


def test_one_live_region_stays_and_focus_goes_to_the_results_heading(
    page: Page, live_server, finder
):
    open_list(page, live_server, DESKTOP)
    status = page.locator("#catalogue-status")
    status.evaluate("node => { window.liveRegion = node; }")

    page.get_by_label(re.compile(r"^Adult social care")).check()
    expect(heading(page)).to_have_text("23 case studies about adult social care")
    expect(status).to_have_text("23 case studies about adult social care")
    assert page.evaluate("window.liveRegion === document.getElementById('catalogue-status')")
    assert page.locator("[aria-live], [role=status], [role=alert]").count() == 1

    page.get_by_role("link", name="Next page").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".pagination")).to_contain_text("Page 2 of 2")
    expect(heading(page)).to_be_focused()

    page.get_by_role("link", name="Remove filter Service area: Adult social care").focus()
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("24 case studies")
    expect(heading(page)).to_be_focused()
    assert page.evaluate("window.liveRegion.isConnected")


# -- 8. Type to narrow long facets; former councils marked -------------------------------------


def test_long_facets_narrow_as_you_type_and_keep_ticked_options_in_sight(
    page: Page, live_server, finder
):
    open_list(page, live_server, DESKTOP)
    page.locator("summary", has_text=re.compile("^Council$")).click()
    find = page.get_by_label("Find a council")
    councils = page.locator("#options-council .option:visible")
    expect(councils).to_have_count(22)
    expect(page.get_by_label(re.compile(r"^Shepway \(former\)"))).to_be_visible()

    find.fill("wig")
    expect(councils).to_have_count(1)
    page.get_by_label(re.compile(r"^Wigan")).check()
    expect(heading(page)).to_contain_text("involving Wigan")
    expect(find).to_have_value("wig")  # the update kept what was typed

    find.fill("borough 07")
    expect(councils).to_have_text([re.compile("^Wigan"), re.compile("^Borough 07")])
    find.fill("zzz")
    expect(councils).to_have_text([re.compile("^Wigan")])  # ticked: always shown, first
    expect(page.get_by_text("Nothing else matches “zzz”.")).to_be_visible()

    # Other names (data-also, such as a council's official name) match too.
    page.locator("#options-council .option", has_text="Borough 03").evaluate(
        "option => option.setAttribute('data-also', 'Metropolitan Borough of Somewhere')"
    )
    find.fill("somewhere")
    expect(councils).to_have_text([re.compile("^Wigan"), re.compile("^Borough 03")])
    find.press("Escape")
    expect(councils).to_have_count(22)


# -- 13. Searches that find nothing say why ----------------------------------------------------


def test_an_empty_search_explains_itself_and_can_be_cleared(page: Page, live_server, finder):
    open_list(page, live_server, PHONE, "?q=librar&response=exit")

    expect(page.get_by_text("not parts of words")).to_be_visible()
    page.get_by_role("link", name="Clear the search").click()

    expect(heading(page)).to_have_text("1 exit case study")
    expect(page.get_by_label("Search case studies")).to_have_value("")


# -- 15. Sort: arrow keys choose, the Sort button applies --------------------------------------


def test_arrow_keys_in_sort_neither_load_nor_add_history(page: Page, live_server, finder):
    open_list(page, live_server, DESKTOP)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    history = page.evaluate("history.length")

    page.get_by_label("Sort by").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(400)
    assert page.evaluate("history.length") == history
    assert not [url for url in requests if "/case-studies/" in url]
    assert "sort=" not in page.url

    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sort", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"sort=start-year"))
    assert page.evaluate("history.length") == history + 1

    page.get_by_label("Sort by").select_option("title")  # a pointer's pick applies at once
    expect(page).to_have_url(re.compile(r"sort=title"))
    expect(page.locator(".card__title").first).to_have_text("Care example 00")
