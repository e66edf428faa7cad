"""Cached pages and counts are never stale: every publish, unpublish or edit shows at once.

"At once", with the facet index rebuilt in the background as in production: pages read from
SQL (a case study's page, home) show an edit on the next request; list pages, counts and
exports show it on the first request after this process's rebuild, which the first request
to see the edit starts (a second or two at 100,000 case studies). `caught_up` waits for that
rebuild, as a reader would wait a moment.
"""

import re

import pytest
from django.core.cache import cache

from catalogue import facets
from catalogue.models import ResponseType, Status
from tests.factories import (
    make_case_study,
    make_outcome,
    make_publisher,
    make_ready_case_study,
    make_service_area,
)
from tests.outputs import csv_rows

# Committed transactions: the rebuild thread reads through its own connection.
pytestmark = pytest.mark.django_db(transaction=True)


def count(page: str) -> int:
    return int(re.search(r'data-result-count="(\d+)"', page).group(1))


def exported_titles(client, query: str = "") -> list[str]:
    """The titles in the CSV export of a filtered view (exports read the same facet index)."""
    return [row["title"] for row in csv_rows(client.get(f"/case-studies/export.csv?{query}"))]


@pytest.fixture(autouse=True)
def cache_on(settings, monkeypatch):
    settings.CATALOGUE_CACHE = True
    settings.CATALOGUE_INDEX_IN_BACKGROUND = True
    monkeypatch.setattr(facets, "_index", None)  # as a new process: the first build is waited for
    yield
    facets.finish_rebuild()


def caught_up() -> None:
    """Start this process's rebuild for the current version, if needed, and wait for it."""
    facets.current_index()
    facets.finish_rebuild()


def test_a_cached_page_is_served_again_until_something_changes(client, django_assert_num_queries):
    make_case_study(title="First")
    client.get("/case-studies/")
    with django_assert_num_queries(1):  # the version check only
        assert "First" in client.get("/case-studies/").content.decode()


def test_publishing_shows_at_once_in_list_and_counts(client):
    draft = make_ready_case_study(
        title="Fresh news", status=Status.IN_REVIEW, response=ResponseType.EXIT
    )
    assert "Fresh news" not in client.get("/case-studies/").content.decode()
    assert count(client.get("/case-studies/?response=exit").content.decode()) == 0
    assert exported_titles(client, "response=exit") == []

    draft.publish(by=make_publisher())
    caught_up()

    assert "Fresh news" in client.get("/case-studies/").content.decode()
    assert count(client.get("/case-studies/?response=exit").content.decode()) == 1
    assert exported_titles(client, "response=exit") == ["Fresh news"]
    assert client.get(draft.get_absolute_url()).status_code == 200


def test_unpublishing_hides_at_once_everywhere(client):
    case_study = make_case_study(title="Going away", response=ResponseType.FIGHT)
    for path in [
        "/",
        "/case-studies/",
        "/case-studies/?response=fight",
        case_study.get_absolute_url(),
    ]:
        client.get(path)  # fill the cache
    assert exported_titles(client, "response=fight") == ["Going away"]

    case_study.unpublish(by=make_publisher())
    caught_up()

    assert "Going away" not in client.get("/case-studies/").content.decode()
    assert count(client.get("/case-studies/?response=fight").content.decode()) == 0
    assert "Going away" not in client.get("/").content.decode()
    assert exported_titles(client, "response=fight") == []
    assert exported_titles(client) == []
    assert client.get(case_study.get_absolute_url()).status_code == 404


def test_editing_shows_at_once_in_pages_and_facet_counts(client):
    area = make_service_area(slug="libraries", name="Libraries")
    case_study = make_case_study(title="Old title")
    client.get("/case-studies/")
    client.get(case_study.get_absolute_url())
    assert count(client.get("/case-studies/?service=libraries").content.decode()) == 0

    case_study.title = "New title"
    case_study.save()
    case_study.service_areas.add(area)
    make_outcome(case_study=case_study, description="A freshly added outcome")
    caught_up()

    assert "New title" in client.get("/case-studies/").content.decode()
    assert "A freshly added outcome" in client.get(case_study.get_absolute_url()).content.decode()
    assert count(client.get("/case-studies/?service=libraries").content.decode()) == 1
    assert exported_titles(client, "service=libraries") == ["New title"]


def test_a_new_or_renamed_service_area_is_a_filter_at_once(client):
    area = make_service_area(slug="parks", name="Parks")
    make_case_study(service_areas=[area])
    assert ">Parks <" in client.get("/case-studies/").content.decode()

    area.name = "Parks and open spaces"
    area.save()
    make_service_area(slug="cemeteries", name="Cemeteries")
    caught_up()

    page = client.get("/case-studies/").content.decode()
    assert ">Parks and open spaces <" in page
    assert 'value="cemeteries"' in page
    assert count(client.get("/case-studies/?service=cemeteries").content.decode()) == 0


def test_signed_in_editors_never_get_a_cached_page(admin_client):
    make_case_study(title="Visible")
    admin_client.get("/case-studies/")
    assert admin_client.get("/case-studies/").context is not None  # rendered, not cached


# -- what makes an entry, and for whom ----------------------------------------------------------


@pytest.fixture
def empty_cache():
    cache.clear()
    return cache


def entries(page_cache) -> int:
    return len(page_cache._cache)  # the test settings' cache is each process's memory


def test_junk_parameters_are_served_the_normal_page_and_make_no_entries(client, empty_cache):
    make_case_study(title="Only one", response=ResponseType.EXIT)
    normal = client.get("/case-studies/?response=exit")
    assert entries(empty_cache) == 1

    for n in range(20):
        junk = client.get(f"/case-studies/?response=exit&utm_source=junk{n}zq&fbclid={n}")
        assert junk.status_code == 200
        assert junk.content == normal.content
        assert f"junk{n}zq" not in junk.content.decode()
    assert entries(empty_cache) == 1


def test_one_entry_for_every_spelling_of_the_same_query(client, empty_cache):
    make_case_study(response=ResponseType.EXIT, service_areas=[make_service_area(slug="a")])
    make_service_area(slug="b")
    spellings = [
        "?service=a&service=b&response=exit",
        "?response=exit&service=b&service=a&service=a",
        "?q=&year_from=&year_to=&sort=newest&service=b&response=exit&service=a&page=1",
        "?response=exit&service=a&sort=relevance&service=b&page=01",
    ]
    pages = {client.get(f"/case-studies/{spelling}").content for spelling in spellings}
    assert len(pages) == 1
    assert entries(empty_cache) == 1


@pytest.mark.parametrize(
    "query",
    [
        "?response=nonsense",
        "?service=no-such-area",
        "?year_from=soon",
        "?year_from=2020&year_to=2010",
        "?page=999",
        "?page=two",
        "?compare=anything",
    ],
)
def test_pages_about_a_mistake_in_the_query_make_no_entries(client, empty_cache, query):
    make_case_study()
    response = client.get(f"/case-studies/{query}")
    assert response.status_code in {200, 400}
    assert "ETag" not in response
    assert entries(empty_cache) == 0


def test_a_foreign_host_never_reaches_the_next_visitors_page(client, empty_cache):
    case_study = make_case_study(title="Cited")
    spoofed = client.get(case_study.get_absolute_url(), HTTP_HOST="127.0.0.1:6666")
    assert "http://127.0.0.1:6666/case-studies/" in spoofed.content.decode()

    page = client.get(case_study.get_absolute_url()).content.decode()
    assert "6666" not in page
    assert f"http://testserver/case-studies/{case_study.pk}/" in page
    secure = client.get(case_study.get_absolute_url(), secure=True).content.decode()
    assert f"https://testserver/case-studies/{case_study.pk}/" in secure


def test_a_matching_etag_gets_a_304_without_rendering(client, django_assert_num_queries):
    make_case_study(title="Unchanged")
    first = client.get("/case-studies/?response=collaborate")
    etag = first["ETag"]

    with django_assert_num_queries(1):  # the catalogue's version only
        again = client.get("/case-studies/?response=collaborate", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    other = client.get("/case-studies/?response=exit", HTTP_IF_NONE_MATCH=etag)
    assert other.status_code == 200 and other["ETag"] != etag


def test_publishing_gives_every_page_a_new_etag(client):
    draft = make_ready_case_study(title="Brand new", status=Status.IN_REVIEW)
    before = {path: client.get(path)["ETag"] for path in ["/", "/case-studies/"]}

    draft.publish(by=make_publisher())
    caught_up()  # a page made from an index still behind is neither cached nor labelled

    for path, etag in before.items():
        response = client.get(path, HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200, path
        assert response["ETag"] != etag
        assert "Brand new" in response.content.decode()


def test_signed_in_editors_get_no_etag(admin_client):
    response = admin_client.get("/case-studies/")
    assert "ETag" not in response
