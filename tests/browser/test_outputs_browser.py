"""The compare shortlist in a real browser, where catalogue.js handles the list's form."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import make_case_study

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def case_studies():
    return [make_case_study(title=f"Example {n:02}") for n in range(25)]


def test_ticking_compare_keeps_the_page_and_compare_selected_opens_the_comparison(
    page: Page, live_server, case_studies
):
    page.goto(live_server.url + "/case-studies/")
    newest, second_newest, oldest = case_studies[-1], case_studies[-2], case_studies[0]

    page.get_by_label(f"Compare “{newest.title}”").check()
    expect(page).to_have_url(re.compile(rf"compare={newest.slug}"))
    page.get_by_role("link", name="Next page").click()
    expect(page.locator(".pagination")).to_contain_text("Page 2 of 2")
    page.get_by_label(f"Compare “{oldest.title}”").check()
    page.get_by_role("button", name="Compare selected").click()

    expect(page).to_have_url(live_server.url + f"/compare/?ids={newest.slug},{oldest.slug}")
    expect(page.get_by_role("columnheader", name=newest.title)).to_be_visible()
    expect(page.get_by_role("columnheader", name=oldest.title)).to_be_visible()
    assert second_newest.title not in page.content()


def test_the_list_page_works_without_javascript_for_comparing(browser, live_server, case_studies):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/case-studies/")
    first, second = case_studies[-1], case_studies[-2]

    page.get_by_label(f"Compare “{first.title}”").check()
    page.get_by_label(f"Compare “{second.title}”").check()
    page.get_by_role("button", name="Compare selected").click()

    expect(page).to_have_url(live_server.url + f"/compare/?ids={first.slug},{second.slug}")
    expect(page.get_by_role("rowheader", name="Outcomes")).to_be_visible()
    context.close()
