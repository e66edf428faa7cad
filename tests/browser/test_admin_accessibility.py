"""axe-core finds nothing on the editors' pages: the case-study form with its outcomes and
sources, the list with its filters, the history, a version's differences and the import."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from catalogue.models import CaseStudy
from tests.factories import (
    make_case_study,
    make_council,
    make_outcome,
    make_service_area,
    make_source,
    make_staff_user,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}
}
PASSWORD = "a-long-test-password-1"


def sign_in(page: Page, base_url: str) -> None:
    user = make_staff_user()
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base_url}/admin/")


@pytest.fixture
def case_study() -> CaseStudy:
    council = make_council(name="Wigan", gss_code="E08000010")
    case_study = make_case_study(councils=[council], service_areas=[make_service_area()])
    for _ in range(3):
        make_outcome(case_study=case_study)
        make_source(case_study=case_study)
    case_study.title = "Integrated care in Wigan, second version"
    case_study.save()
    return case_study


def assert_no_violations(page: Page, url: str) -> None:
    page.goto(url)
    result = Axe().run(page, options=WCAG_AA)
    assert result.violations_count == 0, f"{url}\n{result.generate_report()}"


def test_the_editors_pages_have_no_axe_violations(page: Page, live_server, case_study):
    base = f"{live_server.url}/admin/catalogue/casestudy"
    sign_in(page, live_server.url)

    assert_no_violations(page, f"{base}/{case_study.pk}/change/")
    assert_no_violations(page, f"{base}/")
    assert_no_violations(page, f"{base}/?status__exact=published&response__exact=collaborate")
    assert_no_violations(page, f"{base}/{case_study.pk}/history/")
    version = case_study.history.order_by("history_id").first().history_id
    assert_no_violations(page, f"{base}/{case_study.pk}/history/{version}/")
    assert_no_violations(page, f"{base}/import/")
    assert_no_violations(page, f"{base}/add/")


def test_the_sources_table_fits_the_page(page: Page, live_server, case_study):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/catalogue/casestudy/{case_study.pk}/change/")

    table = page.locator("#sources-group table")
    expect(table).to_be_visible()
    width = table.evaluate("table => table.scrollWidth")
    assert width <= table.evaluate("table => table.closest('fieldset').clientWidth"), width
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
