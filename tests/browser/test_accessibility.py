"""WCAG 2.2 AA by axe-core on every public page type, at desktop width and at 320 px."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from partnerships.models import Sector
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

WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}
}


@pytest.fixture
def pages():
    council = make_council(name="Wigan", slug="wigan", gss_code="E08000010")
    area = make_service_area(name="Adult social care", slug="adult-social-care")
    nhs = make_organisation(
        name="Wigan NHS Trust",
        sector=Sector.NHS,
        name_since=2020,
        former_names=[("Wigan Health Board", None, 2019)],  # a former name, shown with "now"
    )
    partnership = make_partnership(
        name="Healthier Wigan",
        lead_council=council,
        partners={nhs: "Runs community care services across the borough"},
    )
    case_study = make_case_study(
        title="Integrating health and care in Wigan",
        body="Partners **pooled** budgets.\n\n- one\n- two",
        councils=[council],
        service_areas=[area],
        partnership=partnership,
        start_year_estimated=True,
        confidence="high",
    )
    source = make_source(case_study=case_study, copy_url="https://docslib.org/doc/1/copy")
    make_outcome(
        case_study=case_study,
        description="A pooled budget of £7.5m",
        figure=7.5,
        unit="£m",
        sources=[source],
    )
    other = make_case_study(councils=[council], service_areas=[area])
    return [
        "/",
        "/case-studies/",
        "/case-studies/?response=collaborate&service=adult-social-care",
        "/case-studies/?q=pooled",
        "/case-studies/?response=nonsense&year_from=2018&year_to=2010",
        case_study.get_absolute_url(),
        council.get_absolute_url(),
        nhs.get_absolute_url(),
        partnership.get_absolute_url(),
        area.get_absolute_url(),
        "/responses/collaborate/",
        "/insights/",
        "/insights/?response=collaborate&service=adult-social-care",
        "/codebook/",
        f"/compare/?ids={case_study.slug},{other.slug}",
        "/compare/?ids=no-such-case",
        "/about/",
        "/privacy/",
        "/accessibility/",
        "/api/docs/",
    ]


def test_public_pages_have_no_axe_violations(page: Page, live_server, pages):
    for path in pages:
        page.goto(live_server.url + path)
        result = Axe().run(page, options=WCAG_AA)
        assert result.violations_count == 0, f"{path}\n{result.generate_report()}"


def test_public_pages_fit_a_320_pixel_screen(page: Page, live_server, pages):
    page.set_viewport_size({"width": 320, "height": 640})
    for path in pages:
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path


def test_the_first_tab_reaches_the_skip_link(page: Page, live_server, pages):
    page.goto(live_server.url + "/case-studies/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.url + "/case-studies/#main")


def test_the_draft_preview_and_the_lockout_page_have_no_axe_violations(page: Page, live_server):
    from catalogue.models import Status
    from tests.factories import make_editor

    editor = make_editor()
    draft = make_case_study(title="A draft", status=Status.DRAFT)
    login = f"{live_server.url}/admin/login/"

    for _ in range(5):  # the fifth wrong password shows the lockout page
        page.goto(login)
        page.get_by_label("Username").fill("someone-else")
        page.get_by_label("Password").fill("wrong-password")
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Sign-in paused")).to_be_visible()
    result = Axe().run(page, options=WCAG_AA)
    assert result.violations_count == 0, result.generate_report()

    page.goto(login)
    page.get_by_label("Username").fill(editor.username)
    page.get_by_label("Password").fill("a-long-test-password-1")
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server.url + draft.get_absolute_url())
    expect(page.get_by_role("status")).to_contain_text("Draft preview.")
    result = Axe().run(page, options=WCAG_AA)
    assert result.violations_count == 0, result.generate_report()
