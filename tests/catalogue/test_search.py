"""Full-text search: the same answers on SQLite (FTS5) and PostgreSQL (tsvector)."""

import gc
import re
import weakref
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict

from catalogue.models import CaseStudy, ResponseType, Status
from catalogue.search import fts5_query, indexing_deferred, search_document
from tests.factories import (
    make_case_study,
    make_council,
    make_organisation,
    make_outcome,
    make_partnership,
    make_service_area,
)
from tests.html import CARD_LINK
from tests.outputs import csv_rows


def found(client, query: str, **filters) -> list[str]:
    response = client.get("/case-studies/", {"q": query, **filters})
    assert response.status_code == 200
    return CARD_LINK.findall(response.content.decode())


@pytest.mark.django_db
def test_a_title_match_ranks_above_a_body_match(client):
    in_body = make_case_study(title="Shared services", body="The plan involved the libraries.")
    in_title = make_case_study(title="Community libraries", body="Volunteers run them.")

    assert found(client, "libraries") == [in_title.slug, in_body.slug]


@pytest.mark.django_db
def test_search_covers_councils_partners_and_outcomes(client):
    partnership = make_partnership(partners={make_organisation(name="Zephyr Health Trust"): ""})
    by_council = make_case_study(councils=[make_council(name="Quillshire")])
    by_partner = make_case_study(partnership=partnership)
    by_outcome = make_case_study()
    make_outcome(case_study=by_outcome, description="Waiting lists for xylophones fell")

    assert found(client, "quillshire") == [by_council.slug]
    assert found(client, "zephyr") == [by_partner.slug]
    assert found(client, "xylophones") == [by_outcome.slug]


@pytest.mark.django_db
def test_the_index_follows_edits(client):
    council = make_council(name="Oldtown")
    case_study = make_case_study(councils=[council], title="Before")
    outcome = make_outcome(case_study=case_study, description="Nothing yet")

    council.name = "Newtown"
    council.save()
    outcome.description = "Marmalade output doubled"
    outcome.save()
    case_study.title = "Renamed after"
    case_study.save()

    assert found(client, "newtown") == [case_study.slug]
    assert found(client, "oldtown") == []
    assert found(client, "marmalade renamed") == [case_study.slug]
    case_study.delete()
    assert found(client, "newtown") == []


@pytest.mark.django_db
def test_websearch_syntax_phrases_or_and_exclusions(client):
    pooled = make_case_study(title="Pooled budget for care", body="Health and care together.")
    budget = make_case_study(title="Budget cuts", body="A pooled fund for roads.")
    other = make_case_study(title="Library hand-over", body="Volunteers took over.")

    assert set(found(client, '"pooled budget"')) == {pooled.slug}
    assert set(found(client, "pooled budget")) == {pooled.slug, budget.slug}
    assert set(found(client, "library or roads")) == {other.slug, budget.slug}
    assert set(found(client, "pooled -roads")) == {pooled.slug}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ['"', "NEAR(a b)", "title:care", "a* OR", "-", "AND OR NOT", "'; DROP TABLE x; --", "\\"],
)
def test_search_syntax_from_users_never_breaks_the_page(client, query):
    make_case_study(title="Care")
    response = client.get("/case-studies/", {"q": query})
    assert response.status_code == 200


@pytest.mark.django_db
def test_highlighted_extracts_escape_the_text(client):
    make_case_study(summary="Councils <b>pooled</b> budgets & more")

    page = client.get("/case-studies/", {"q": "pooled"}).content.decode()

    extract = page[page.index('class="card__extract"') :].split("</p>")[0]
    assert "<mark>pooled</mark>" in extract
    assert "budgets &amp; more" in extract
    assert "<b>" not in extract  # escaped (SQLite) or dropped as markup (PostgreSQL)


def test_user_text_becomes_quoted_fts5_terms():
    assert (
        fts5_query('care "pooled budget" -roads') == '("care") AND ("pooled budget") NOT "roads"'
    )
    assert fts5_query("libraries or museums") == '("libraries" OR "museums")'
    assert fts5_query("the and of") == ""


# Queries and, for each, what a matching case study must contain (word by word, stems allowed).
SEED_QUERIES = {
    "wigan": [r"\bwigan\b"],
    "libraries": [r"\blibrar(y|ies)\b"],
    "capita": [r"\bcapita\b"],
    "carers": [r"\bcarers?\b"],
    "pooled budget": [r"\bpool(ed|ing|s)?\b", r"\bbudgets?\b"],
    "northamptonshire": [r"\bnorthamptonshire\b"],
    "youth": [r"\byouths?\b"],
}


@pytest.mark.django_db
def test_both_databases_find_the_same_seed_cases(client):
    """CI runs this on SQLite and on PostgreSQL: both must equal the same reference answer."""
    call_command("loadseed", stdout=StringIO())
    documents = {
        case_study.slug: " ".join(search_document(case_study)).lower()
        for case_study in CaseStudy.objects.published()
    }
    for query, patterns in SEED_QUERIES.items():
        expected = {
            slug
            for slug, text in documents.items()
            if all(re.search(pattern, text) for pattern in patterns)
        }
        slugs: list[str] = []
        for number in range(1, 10):
            page = client.get("/case-studies/", {"q": query, "page": number}).content.decode()
            slugs += CARD_LINK.findall(page)
            if 'rel="next"' not in page:
                break

        assert expected, f"the seed data should contain {query!r}"
        assert set(slugs) == expected, query


@pytest.mark.django_db
def test_results_ranked_below_many_other_matches_still_fill_their_pages(client):
    """The database ranks only as many of the best matches as a page seems to need. Here the
    350 best matches are all filtered out (other response type, or drafts), so it must look
    further, and still give both pages in the export's order."""
    council, area = make_council(), make_service_area()
    with indexing_deferred():
        for n in range(400):
            wanted = n % 8 == 0  # 50 collaborate case studies mentioning floods in passing
            make_case_study(
                title=f"Shared services {n}" if wanted else f"Flood defences {n}",
                body="They met once about a flood." if wanted else "Flood walls. Flood gates.",
                response=ResponseType.COLLABORATE if wanted else ResponseType.FIGHT,
                status=Status.PUBLISHED if wanted or n % 3 else Status.DRAFT,
                councils=[council],
                service_areas=[area],
            )
    query = "q=flood&response=collaborate"
    exported = [row["slug"] for row in csv_rows(client.get(f"/case-studies/export.csv?{query}"))]

    assert len(exported) == 50
    assert found(client, "flood", response="collaborate") == exported[:20]
    assert found(client, "flood", response="collaborate", page=2) == exported[20:40]


@pytest.mark.django_db
def test_a_search_is_planned_for_its_words_however_often_it_is_repeated(client, settings):
    """PostgreSQL prepares the statements a connection repeats, never a search's: a prepared
    statement's plan is made without the words, so it cannot tell how many case studies match
    (a third slower at 100,000)."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    settings.CATALOGUE_CACHE = False
    case_study = make_case_study(title="Flood defences shared with the county")
    for _ in range(8):
        assert found(client, "flood") == [case_study.slug]
        client.get(case_study.get_absolute_url())

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any("catalogue_casestudypage" in statement for statement in prepared)  # the page's
    assert not [statement for statement in prepared if "@@" in statement]  # the match


@pytest.mark.django_db
def test_a_searched_filterset_is_freed_when_dropped_not_at_a_full_garbage_collection():
    """A FilterSet in a reference cycle kept a search's matches (megabytes at 100,000 case
    studies) until the collector's rare full pass: a worker grew with every search."""
    from catalogue.filters import CaseStudyFilter
    from catalogue.insights import charts
    from catalogue.views import facets

    make_case_study(title="Library flooding", service_areas=[make_service_area()])
    gc.collect()
    gc.disable()
    try:
        filterset = CaseStudyFilter(
            QueryDict("q=flooding&service=roads&council=nowhere&sort=title"),
            queryset=CaseStudy.objects.published(),
        )
        assert filterset.form.errors  # validated against the index's choices
        assert filterset.result_ids()[0:20] and facets(filterset) and charts(filterset)
        dropped = weakref.ref(filterset)
        form = filterset.form
        del filterset
        assert dropped() is None
        assert list(form.fields["service"].choices)  # a form kept alone reads its choices
    finally:
        gc.enable()
