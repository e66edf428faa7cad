"""What only a browser shows on the pages around the catalogue: every page fits a 320 px
screen with everything opened, passes axe opened, and the charts and maps read on a phone."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from catalogue.models import OutcomeKind, ResponseType
from partnerships.models import CouncilType, Nation, Region, Sector
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

OPEN_EVERYTHING = "document.querySelectorAll('details').forEach(d => d.open = true)"
PAGE_WIDTH = "document.documentElement.scrollWidth"
# The elements that stick out of the page (not out of a box that scrolls), to say why.
STICKING_OUT = """width => [...document.querySelectorAll("body *")].filter(element => {
  if (element.getBoundingClientRect().right <= width + 1) return false;
  for (let box = element.parentElement; box; box = box.parentElement) {
    if (["auto", "scroll", "hidden"].includes(getComputedStyle(box).overflowX)) return false;
  }
  return true;
}).slice(0, 5).map(element => element.outerHTML.slice(0, 200))"""


@pytest.fixture
def site():
    wigan = make_council(
        name="Wigan",
        slug="wigan",
        gss_code="E08000010",
        council_type=CouncilType.METROPOLITAN_BOROUGH,
    )
    cardiff = make_council(
        name="Cardiff",
        slug="cardiff",
        gss_code="W06000015",
        council_type=CouncilType.WELSH_PRINCIPAL,
        nation=Nation.WALES,
        region=Region.WALES,
    )
    care = make_service_area(name="Adult social care", slug="adult-social-care")
    libraries = make_service_area(name="Libraries", slug="libraries")
    nhs = make_organisation(name="Wigan and Leigh NHS Foundation Trust", sector=Sector.NHS)
    partnership = make_partnership(
        name="Healthier Wigan Partnership",
        lead_council=wigan,
        partners={nhs: "Runs community health services across the borough"},
    )
    detail = make_case_study(
        title="The Wigan Deal: an informal contract between the council and residents",
        body="Partners **pooled** budgets of £16,000,000 over 2013–2018.",
        councils=[wigan],
        service_areas=[care],
        partnership=partnership,
        start_year=2011,
    )
    make_outcome(
        case_study=detail,
        description="Savings on adult social care",
        figure=16,
        unit="£m",
        period="2013–2018",
    )
    make_source(case_study=detail)
    others = [
        make_case_study(
            response=response,
            councils=[wigan, cardiff] if n % 2 else [cardiff],
            service_areas=[care, libraries] if n % 3 else [libraries],
            start_year=1994 + n * 3,
        )
        for n, response in enumerate(list(ResponseType) * 3)
    ]
    return {
        "detail": detail,
        "paths": [
            "/",
            "/case-studies/",
            "/case-studies/?response=collaborate&service=adult-social-care",
            detail.get_absolute_url(),
            wigan.get_absolute_url(),
            nhs.get_absolute_url(),
            partnership.get_absolute_url(),
            care.get_absolute_url(),
            "/responses/exit/",
            "/insights/",
            "/insights/?nation=wales",
            f"/compare/?ids={detail.slug},{others[0].slug}",
            "/codebook/",
            "/about/",
            "/privacy/",
            "/accessibility/",
            "/api/docs/",
        ],
    }


def test_every_public_page_fits_320_pixels_and_passes_axe_with_everything_open(
    page: Page, live_server, site
):
    page.set_viewport_size({"width": 320, "height": 640})
    for path in site["paths"]:
        page.goto(live_server.url + path)
        page.evaluate(OPEN_EVERYTHING)
        assert page.evaluate(PAGE_WIDTH) <= 320, (path, page.evaluate(STICKING_OUT, 320))
        result = Axe().run(page, options=WCAG_AA)
        assert result.violations_count == 0, f"{path}\n{result.generate_report()}"


def test_the_list_charts_sit_by_the_results_and_fit_a_phone(page: Page, live_server, site):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_server.url + "/case-studies/?service=libraries")
    charts = page.locator(".charts-preview")
    charts.locator("summary").click()

    assert page.evaluate(PAGE_WIDTH) <= 375
    first_card = page.locator(".card").first.bounding_box()
    assert charts.bounding_box()["y"] < first_card["y"]  # above the results, not after paging
    for count in page.locator(".charts-preview .bar-row__count").all():
        box = count.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375


@pytest.mark.parametrize("width", [375, 1280])
def test_every_start_year_and_its_count_are_readable(page: Page, live_server, site, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + "/insights/")
    years = page.locator("#years-title + .bar-rows .bar-row")

    assert years.count() == 2027 - 1994 + 1  # every year from the first to the last
    for row in [years.first, years.last]:
        box = row.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert (
            row.locator(".bar-row__label").evaluate("e => getComputedStyle(e).fontSize") == "16px"
        )


def test_a_focused_hexagon_names_its_council_above_the_map(page: Page, live_server, site):
    page.set_viewport_size({"width": 375, "height": 900})
    page.goto(live_server.url + "/insights/")
    districts = page.locator(".hexmap").first
    wigan = districts.locator('a.hexcell[aria-label^="Wigan:"]')
    caption = wigan.locator(".hexmap__caption")

    expect(caption).to_be_hidden()
    assert wigan.evaluate("a => a.tabIndex") == 0  # in the Tab order
    wigan.focus()
    expect(caption).to_be_visible()
    expect(caption).to_have_text("Wigan: 7 case studies")
    assert districts.locator(".hexmap__svg").bounding_box()["width"] >= 340
    assert districts.locator(".hexmap__regions").get_attribute("d").count("M") > 100


def test_the_breadcrumb_goes_back_to_the_filtered_list(page: Page, live_server, site):
    page.goto(live_server.url + "/case-studies/?service=adult-social-care&sort=title")
    page.get_by_role("link", name=site["detail"].title).click()
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Case studies"
    ).click()

    expect(page).to_have_url(
        live_server.url + "/case-studies/?service=adult-social-care&sort=title"
    )


def test_outcome_grades_are_explained_where_they_are_shown(page: Page, live_server, site):
    page.goto(live_server.url + site["detail"].get_absolute_url())
    terms = page.locator("details.terms")
    definition = terms.get_by_text(OutcomeKind.PROJECTED.definition)

    expect(definition).to_be_hidden()
    terms.get_by_text("What kind, evidence and confidence mean").click()
    expect(definition).to_be_visible()
