"""The Atom feed of any filtered view, and the list page's links to every output."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from catalogue.models import CaseStudy, ResponseType
from tests.factories import make_case_study, make_service_area

ATOM = "{http://www.w3.org/2005/Atom}"


def parse_atom(response) -> ET.Element:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root


def published(case_study: CaseStudy, day: int) -> CaseStudy:
    moment = datetime(2026, 5, day, 10, 0, tzinfo=UTC)
    CaseStudy.objects.filter(pk=case_study.pk).update(published_at=moment, updated_at=moment)
    return case_study


@pytest.fixture
def care_cases(db):
    care = make_service_area(name="Adult social care", slug="adult-social-care")
    return [
        published(
            make_case_study(title="Older care", service_areas=[care], start_year=2020), day=1
        ),
        published(
            make_case_study(title="Newest care", service_areas=[care], start_year=2010), day=20
        ),
        published(
            make_case_study(title="Middle care", service_areas=[care], start_year=2015), day=10
        ),
        published(make_case_study(title="Exit care", response=ResponseType.EXIT), day=25),
    ]


def test_feed_is_atom_titled_with_the_filter_newest_published_first(client, care_cases):
    root = parse_atom(
        client.get("/case-studies/feed.atom?response=collaborate&service=adult-social-care")
    )

    assert root.findtext(f"{ATOM}title") == (
        "Collaborate case studies about adult social care: Council partnerships catalogue"
    )
    entries = root.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [
        "Newest care",
        "Middle care",
        "Older care",
    ]
    newest = entries[0]
    assert newest.findtext(f"{ATOM}id") == f"http://testserver/case-studies/{care_cases[1].pk}/"
    assert newest.find(f"{ATOM}link").get("href") == (
        f"http://testserver/case-studies/{care_cases[1].slug}/"
    )
    assert newest.findtext(f"{ATOM}published").startswith("2026-05-20T")
    assert newest.findtext(f"{ATOM}summary") == care_cases[1].summary
    assert {c.get("term") for c in newest.findall(f"{ATOM}category")} == {
        "Collaborate",
        "Adult social care",
    }
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links["alternate"] == (
        "http://testserver/case-studies/?response=collaborate&service=adult-social-care"
    )
    assert links["self"].startswith("http://testserver/case-studies/feed.atom?response=")
    assert root.find(f"{ATOM}author").findtext(f"{ATOM}name") == "Council partnerships catalogue"


def test_feed_puts_newest_first_whatever_the_sort(client, care_cases):
    root = parse_atom(client.get("/case-studies/feed.atom?sort=start-year&page=3"))

    titles = [entry.findtext(f"{ATOM}title") for entry in root.findall(f"{ATOM}entry")]
    assert titles == ["Exit care", "Newest care", "Middle care", "Older care"]
    assert root.findtext(f"{ATOM}title") == "Case studies: Council partnerships catalogue"


@pytest.mark.django_db
def test_list_page_links_to_feed_and_exports_with_its_query(client, care_cases):
    page = client.get(
        "/case-studies/?response=collaborate&service=adult-social-care&page=1&compare=x"
    ).content.decode()
    query = "?response=collaborate&amp;service=adult-social-care"

    assert (
        '<link rel="alternate" type="application/atom+xml" '
        'title="3 collaborate case studies about adult social care (Atom feed)" '
        f'href="/case-studies/feed.atom{query}">'
    ) in page
    assert f'<a href="/case-studies/export.csv{query}" download>Download CSV</a>' in page
    assert f'<a href="/case-studies/export.json{query}" download>Download JSON</a>' in page
    assert f'<a href="/case-studies/feed.atom{query}">Atom feed</a>' in page
    assert '<a href="/codebook/">Codebook</a>' in page


@pytest.mark.django_db
def test_control_characters_in_the_search_never_break_the_feed(client):
    """XML 1.0 forbids them (a fuzzed query found a 500): they count as spaces."""
    make_case_study(title="Flood defences")

    root = parse_atom(client.get("/case-studies/feed.atom", {"q": "flood\x08\x1bdefences"}))

    assert root.find(f"{ATOM}title").text.startswith("Case studies matching “flood defences”")
    assert len(root.findall(f"{ATOM}entry")) == 1
    page = client.get("/case-studies/", {"q": "\x08"})
    assert page.status_code == 200
