"""An editor writes and submits a case study; a publisher publishes it; the public sees it."""

import re

import pytest
from playwright.sync_api import Page, expect

from catalogue.models import CaseStudy, Status
from tests.factories import make_council, make_editor, make_publisher, make_service_area

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password-1"


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Curate case studies")).to_be_visible()


def sign_out(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/admin/")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("Logged out")).to_be_visible()


def pick(page: Page, field: str, text: str) -> None:
    """Choose `text` in one of the admin's autocomplete (select2) fields."""
    page.locator(f".field-{field} .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).click()


def test_an_editor_submits_a_case_study_and_a_publisher_publishes_it(
    page: Page, browser, live_server
):
    make_council(name="Wigan", gss_code="E08000010")
    make_service_area(name="Adult social care", slug="adult-social-care")
    editor, publisher = make_editor(), make_publisher()
    base = live_server.url

    # The editor writes the case study with an outcome and a source, and submits it.
    sign_in(page, base, editor.username)
    page.goto(f"{base}/admin/catalogue/casestudy/add/")
    page.get_by_label("Title:").fill("Integrated care teams in Wigan")
    page.get_by_label("Title:").press("Tab")  # the admin makes the slug from the title
    expect(page.get_by_label("Slug:")).to_have_value("integrated-care-teams-in-wigan")
    page.get_by_label("Summary:").fill("Council and NHS staff formed joint neighbourhood teams.")
    page.get_by_label("Body:").fill("Teams **share** one caseload.")
    page.get_by_label("Response type:", exact=True).select_option("collaborate")
    pick(page, "service_areas", "Adult social care")
    pick(page, "councils", "Wigan")
    page.get_by_role("button", name="Add another Outcome").click()
    page.locator("#id_outcomes-0-kind").select_option("achieved")
    page.locator("#id_outcomes-0-evidence").select_option("monitored")
    page.locator("#id_outcomes-0-description").fill("Emergency admissions fell by 8%")
    page.get_by_role("button", name="Add another Source").click()
    page.locator("#id_sources-0-title").fill("Healthier Wigan annual report")
    page.locator("#id_sources-0-url").fill("https://example.org/healthier-wigan")
    page.get_by_label("Status:").select_option("in-review")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    case_study = CaseStudy.objects.get(slug="integrated-care-teams-in-wigan")
    assert case_study.status == Status.IN_REVIEW
    assert case_study.outcomes.count() == 1 and case_study.sources.count() == 1

    # Not public yet: the public gets "not found", the editor a draft preview.
    public = browser.new_context().new_page()
    assert public.goto(f"{base}{case_study.get_absolute_url()}").status == 404
    page.goto(f"{base}{case_study.get_absolute_url()}")
    expect(page.get_by_role("status")).to_contain_text("Draft preview.")
    sign_out(page, base)

    # The publisher checks the checklist and publishes it.
    sign_in(page, base, publisher.username)
    page.goto(f"{base}/admin/catalogue/casestudy/{case_study.pk}/change/")
    expect(page.locator(".field-publication_checklist")).to_contain_text(
        "Everything publishing needs is there."
    )
    page.get_by_label("Status:").select_option("published")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    # It is now in the public catalogue.
    public.goto(f"{base}/case-studies/")
    expect(public.get_by_role("link", name="Integrated care teams in Wigan")).to_be_visible()
    public.get_by_role("link", name="Integrated care teams in Wigan").click()
    expect(public).to_have_url(re.compile(r"/case-studies/integrated-care-teams-in-wigan/$"))
    expect(public.get_by_text("Emergency admissions fell by 8%")).to_be_visible()
    expect(public.get_by_text("Draft preview")).to_have_count(0)
    public.context.close()
