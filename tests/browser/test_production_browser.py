"""What only a browser shows: the CSP breaks nothing, the admin is accessible, keyboard use."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from catalogue.models import ResponseType
from tests.factories import make_case_study, make_council, make_service_area, make_staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
    }
}
PASSWORD = "a-long-test-password-1"


def collect_csp_violations(page: Page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    return violations


def sign_in(page: Page, live_server) -> None:
    user = make_staff_user()
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/admin/")


@pytest.fixture
def case_study():
    council = make_council(name="Wigan")
    return make_case_study(councils=[council], service_areas=[make_service_area()])


def test_the_admin_works_under_the_content_security_policy(page: Page, live_server, case_study):
    violations = collect_csp_violations(page)
    sign_in(page, live_server)
    # A new case study's form (a published one's is read-only: changes go to pending changes).
    page.goto(f"{live_server.url}/admin/catalogue/casestudy/add/")
    # The council autocomplete (select2) runs under the policy and finds the register.
    page.locator(".field-councils .select2-selection").click()
    page.locator(".field-councils .select2-search__field").fill("Wig")
    expect(page.locator(".select2-results__option").first).to_contain_text("Wigan")
    page.keyboard.press("Escape")
    page.goto(f"{live_server.url}/admin/catalogue/casestudy/")
    page.goto(f"{live_server.url}/case-studies/?response=collaborate")
    page.goto(f"{live_server.url}/case-studies/{case_study.slug}/")
    assert violations == []


def test_admin_login_and_case_study_form_have_no_axe_violations(
    page: Page, live_server, case_study
):
    page.goto(f"{live_server.url}/admin/login/")
    result = Axe().run(page, options=WCAG_AA)
    assert result.violations_count == 0, result.generate_report()
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/admin/catalogue/casestudy/{case_study.pk}/change/")
    result = Axe().run(page, options=WCAG_AA)
    assert result.violations_count == 0, result.generate_report()


def test_not_found_page_has_no_axe_violations(page: Page, live_server):
    response = page.goto(f"{live_server.url}/no-such-page/")
    assert response.status == 404
    result = Axe().run(page, options=WCAG_AA)
    assert result.violations_count == 0, result.generate_report()


def test_filtering_with_the_keyboard_alone(page: Page, live_server):
    area = make_service_area(name="Libraries", slug="libraries")
    make_case_study(title="Library hand-over", response=ResponseType.EXIT, service_areas=[area])
    make_case_study(title="Care alliance", response=ResponseType.COLLABORATE)
    page.goto(f"{live_server.url}/case-studies/")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    # Tab order follows the page: skip link, header links, search, then the filters.
    search = page.get_by_label("Search case studies")
    for _ in range(12):
        page.keyboard.press("Tab")
        if search.evaluate("el => el === document.activeElement"):
            break
    expect(search).to_be_focused()
    page.keyboard.press("Tab")  # Search button
    page.keyboard.press("Tab")  # the first facet's summary
    page.keyboard.press("Tab")  # its first option: Fight
    page.keyboard.press("Tab")  # Adapt
    page.keyboard.press("Tab")  # Exit
    exit_box = page.get_by_label(re.compile(r"^Exit"))
    expect(exit_box).to_be_focused()
    outline = exit_box.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none", "the focused checkbox must show a visible focus indicator"
    page.keyboard.press("Space")

    expect(page).to_have_url(re.compile(r"response=exit"))
    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator(".card")).to_contain_text("Library hand-over")
    expect(page.get_by_label(re.compile(r"^Exit"))).to_be_focused()
