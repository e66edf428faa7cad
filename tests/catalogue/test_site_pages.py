"""The pages around the catalogue: About, privacy, the footer, home, breadcrumbs, outcome terms."""

import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.test import override_settings

from catalogue.citations import LICENCE
from catalogue.codebook import TRANSFORMING_TOGETHER
from catalogue.models import CaseStudy, EvidenceStrength, OutcomeKind, ResponseType
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

OGL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"


@pytest.mark.django_db
@override_settings(CONTACT_EMAIL="editors@catalogue.test")
def test_the_about_page_credits_its_sources_and_says_how_to_reach_the_editors(client):
    html = client.get("/about/").content.decode()

    report = TRANSFORMING_TOGETHER
    assert f'href="{report.url}"' in html
    assert f"{report.title}</a></cite> ({'; '.join(report.authors)}, 2017)" in html
    assert 'href="https://ianburbidge.com/2017/11/02/on-partnerships-for-transformation/"' in html
    assert "Adam Kahane" in html and "Collaborating with the Enemy" in html
    for response in ResponseType:
        assert response.definition in html
    assert f'href="{LICENCE["url"]}"' in html and f'href="{OGL}"' in html
    assert "Open Innovations" in html and "MIT licence" in html
    assert 'href="mailto:editors@catalogue.test"' in html
    # How case studies are chosen, classified and checked, with the outcome grades explained.
    assert "Chosen" in html and "Classified" in html and "Checked" in html
    assert EvidenceStrength.INDEPENDENTLY_EVALUATED.definition in html


@pytest.mark.django_db
@override_settings(CONTACT_EMAIL="editors@catalogue.test")
def test_every_page_footer_links_about_privacy_and_gives_the_licence_and_contact(client):
    case_study = make_case_study()
    for path in ["/", "/case-studies/", case_study.get_absolute_url(), "/accessibility/"]:
        html = client.get(path).content.decode()
        footer = html[html.index('<footer class="site-footer">') :]
        assert 'href="/about/"' in footer and 'href="/privacy/"' in footer, path
        assert 'href="/accessibility/"' in footer and 'href="/api/docs/"' in footer, path
        assert f'<a href="{LICENCE["url"]}" rel="license">{LICENCE["name"]}</a>' in footer, path
        assert f'href="{OGL}"' in footer and "Office for National Statistics" in footer, path
        assert 'href="mailto:editors@catalogue.test"' in footer, path


@pytest.mark.django_db
@override_settings(CONTACT_EMAIL="editors@catalogue.test")
def test_the_accessibility_statement_gives_a_contact_address(client):
    html = client.get("/accessibility/").content.decode()
    feedback = html[html.index("Feedback and contact") :]

    assert 'href="mailto:editors@catalogue.test"' in feedback[:600]


def test_the_contact_address_is_a_setting_listed_for_deployers():
    assert "DJANGO_CONTACT_EMAIL=" in (settings.BASE_DIR / ".env.example").read_text()
    assert "@" in settings.CONTACT_EMAIL


@pytest.mark.django_db
def test_the_privacy_page_names_the_cookies_the_site_really_sets(client):
    html = client.get("/privacy/").content.decode()

    assert f"<code>{settings.SESSION_COOKIE_NAME}</code>" in html
    assert f"<code>{settings.CSRF_COOKIE_NAME}</code>" in html
    assert "No analytics" in html


@pytest.mark.django_db
def test_public_pages_set_no_cookies(client):
    case_study = make_case_study()
    for path in ["/", "/case-studies/?q=care", case_study.get_absolute_url(), "/about/"]:
        assert not client.get(path).cookies, path


@pytest.mark.django_db
def test_recently_published_takes_each_response_in_turn_when_published_together(client):
    for response in [ResponseType.FIGHT] * 6 + [ResponseType.ADAPT, ResponseType.EXIT]:
        make_case_study(response=response)
    make_case_study(response=ResponseType.COLLABORATE)
    CaseStudy.objects.update(published_at=datetime(2026, 11, 1, tzinfo=UTC))

    recent = client.get("/").context["recent"]

    assert len(recent) == 6
    assert {cs.response for cs in recent[:4]} == set(ResponseType.values)
    assert [cs.response for cs in recent[4:]] == [ResponseType.FIGHT] * 2


@pytest.mark.django_db
def test_recently_published_puts_the_newest_first(client):
    older = make_case_study(response=ResponseType.FIGHT)
    newer = make_case_study(response=ResponseType.ADAPT)
    CaseStudy.objects.filter(pk=older.pk).update(published_at=datetime(2025, 1, 1, tzinfo=UTC))
    CaseStudy.objects.filter(pk=newer.pk).update(published_at=datetime(2026, 1, 1, tzinfo=UTC))

    assert [card.title for card in client.get("/").context["recent"]] == [newer.title, older.title]


@pytest.mark.django_db
def test_the_home_page_searches_the_case_studies(client):
    html = client.get("/").content.decode()
    form = re.search(r'<form class="search-box home-search"[^>]*>', html).group(0)

    assert 'method="get"' in form and 'action="/case-studies/"' in form
    assert 'name="q"' in html and '<label for="home-q">' in html


def breadcrumb_list_link(html: str) -> str:
    crumbs = html[html.index('class="breadcrumbs"') :]
    return re.search(r'<a href="([^"]*)">Case studies</a>', crumbs).group(1).replace("&amp;", "&")


@pytest.mark.django_db
def test_the_list_links_carry_its_filters_to_the_case_study_and_back(client):
    case_study = make_case_study(response=ResponseType.EXIT)
    html = client.get("/case-studies/?response=exit&sort=title").content.decode()

    link = re.search(rf'href="({case_study.get_absolute_url()}[^"]*)"', html).group(1)
    detail = client.get(link.replace("&amp;", "&")).content.decode()

    assert breadcrumb_list_link(detail) == "/case-studies/?response=exit&sort=title"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("came_from", "back"),
    [
        ("", "/case-studies/"),
        ("service=bogus&response=exit&page=3", "/case-studies/?response=exit&page=3"),
        ("next=https://evil.example&response=fight", "/case-studies/?response=fight"),
        ("page=0&year_from=2030&year_to=2010", "/case-studies/"),
        ("%ZZ", "/case-studies/"),
    ],
)
def test_the_breadcrumb_keeps_only_what_the_list_accepts(client, came_from, back):
    case_study = make_case_study()
    response = client.get(case_study.get_absolute_url(), {"from": came_from})

    assert response.status_code == 200
    assert breadcrumb_list_link(response.content.decode()) == back


@pytest.mark.django_db
def test_detail_pages_of_councils_partners_and_partnerships_have_breadcrumbs(client):
    council = make_council()
    organisation = make_organisation(sector=Sector.POLICE)
    partnership = make_partnership(lead_council=council, partners={organisation: "Patrols"})
    area = make_service_area()
    make_case_study(councils=[council], service_areas=[area], partnership=partnership)
    for path in [
        council.get_absolute_url(),
        organisation.get_absolute_url(),
        partnership.get_absolute_url(),
        area.get_absolute_url(),
        "/responses/collaborate/",
    ]:
        html = client.get(path).content.decode()
        assert '<nav aria-label="Breadcrumb" class="breadcrumbs">' in html, path
        assert breadcrumb_list_link(html) == "/case-studies/", path


@pytest.mark.django_db
def test_the_case_study_page_explains_outcome_grades_and_gives_its_licence(client):
    case_study = make_case_study()
    make_outcome(case_study=case_study)
    make_source(case_study=case_study)
    html = client.get(case_study.get_absolute_url()).content.decode()

    terms = html[html.index('<details class="terms">') :]
    assert "What kind, evidence and confidence mean" in terms
    for definition in [
        OutcomeKind.PROJECTED.definition,
        EvidenceStrength.MONITORED.definition,
    ]:
        assert definition in terms
    assert f'<a href="{LICENCE["url"]}" rel="license">' in html[: html.index("<footer")]
    assert 'rel="canonical"' in html
