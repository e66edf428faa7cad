import re

import pytest
from playwright.sync_api import Page, expect

from catalogue.models import ResponseType
from partnerships.models import Sector
from tests.factories import make_case_study, make_organisation, make_partnership, make_service_area

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalogue_data():
    care = make_service_area(name="Adult social care", slug="adult-social-care")
    libraries = make_service_area(name="Libraries", slug="libraries")
    nhs = make_partnership(partners={make_organisation(sector=Sector.NHS): "Provider"})
    for n in range(26):
        make_case_study(
            title=f"Care example {n:02}",
            summary="Partners invested in prevention to reduce demand.",
            response=ResponseType.COLLABORATE,
            service_areas=[care],
            partnership=nhs,
        )
    make_case_study(title="Care without a plan", service_areas=[care])
    make_case_study(
        title="Adapted care",
        summary="Prevention through outsourcing.",
        response=ResponseType.ADAPT,
        service_areas=[care],
    )
    make_case_study(title="Library example", service_areas=[libraries])


def result_count(page: Page) -> int:
    return int(page.locator("#result-summary").get_attribute("data-result-count"))


def test_filtering_searching_and_paging_keep_the_query(page: Page, live_server, catalogue_data):
    page.goto(f"{live_server.url}/case-studies/")
    expect(page.locator("#result-summary")).to_have_attribute("data-result-count", "29")

    page.get_by_label(re.compile(r"^Collaborate")).check()
    expect(page).to_have_url(re.compile(r"response=collaborate"))
    page.get_by_label(re.compile(r"^Adult social care")).check()
    expect(page).to_have_url(re.compile(r"service=adult-social-care"))
    page.get_by_label("Search case studies").fill("prevention")
    page.get_by_role("button", name="Search").click()

    expect(page).to_have_url(re.compile(r"q=prevention"))
    expect(page.locator("#result-summary")).to_have_attribute("data-result-count", "26")
    expect(page.locator("#result-summary")).to_contain_text(
        "26 collaborate case studies about adult social care matching “prevention”"
    )
    expect(page.locator(".card")).to_have_count(20)
    assert "response=collaborate" in page.url and "service=adult-social-care" in page.url

    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    for kept in ["response=collaborate", "service=adult-social-care", "q=prevention"]:
        assert kept in page.url
    expect(page.locator(".card")).to_have_count(6)
    assert result_count(page) == 26

    page.go_back()
    expect(page.locator(".card")).to_have_count(20)


def test_the_catalogue_works_without_javascript(browser, live_server, catalogue_data):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/case-studies/")

    page.get_by_label(re.compile(r"^Adapt")).check()
    page.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile(r"response=adapt"))
    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator(".card")).to_contain_text("Adapted care")
    context.close()
