"""What holds for every research output: no drafts, and a clear 400 for a bad query string."""

import pytest

from catalogue.models import Status
from tests.factories import make_case_study, make_outcome, make_service_area, make_source
from tests.outputs import body

HIDDEN = [Status.DRAFT, Status.IN_REVIEW]


@pytest.mark.django_db
@pytest.mark.parametrize("status", HIDDEN)
def test_drafts_never_appear_in_any_output(client, status):
    area = make_service_area(slug="libraries")
    public = make_case_study(title="Public example", service_areas=[area])
    hidden = make_case_study(title="Hidden example", status=status, service_areas=[area])
    make_outcome(case_study=hidden, description="Hidden outcome")
    make_source(case_study=hidden, title="Hidden source")

    for url in [
        "/case-studies/export.csv",
        "/case-studies/export.json",
        "/case-studies/feed.atom",
        "/case-studies/export.csv?service=libraries&q=example",
        "/case-studies/export.json?service=libraries&q=example",
        "/case-studies/feed.atom?service=libraries&q=example",
    ]:
        response = client.get(url)
        content = body(response).decode()
        assert response.status_code == 200, url
        assert "Public example" in content, url
        assert "Hidden" not in content, url
        assert hidden.slug not in content, url

    for url in [
        f"/compare/?ids={public.slug},{hidden.slug}",
        f"/compare/export.csv?ids={public.slug},{hidden.slug}",
    ]:
        response = client.get(url)
        assert response.status_code == 400, url
        assert "Hidden example" not in response.content.decode(), url
    for url in [f"/case-studies/{hidden.slug}/cite.bib", f"/case-studies/{hidden.slug}/cite.ris"]:
        assert client.get(url).status_code == 404, url


BAD_QUERIES = [
    ("response=nonsense", "“nonsense” is not a response type we know"),
    ("service=no-such-area", "“no-such-area” is not a service area we know"),
    ("council=atlantis&response=collaborate", "“atlantis” is not a council we know"),
    ("year_from=abc", "“Started from” needs a year such as 2014"),
    ("year_from=2020&year_to=2010", "The years run backwards"),
    ("sort=random", "“random” is not a sort order we know"),
    ("q=" + "x" * 201, "The search text is too long"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "message"), BAD_QUERIES)
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/case-studies/export.csv", "text/plain; charset=utf-8"),
        ("/case-studies/export.json", "application/json"),
        ("/case-studies/feed.atom", "text/plain; charset=utf-8"),
    ],
)
def test_bad_query_strings_get_a_clear_400_from_every_output(
    client, path, content_type, query, message
):
    make_case_study(title="Any example")

    response = client.get(f"{path}?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == content_type
    assert message in response.content.decode()
    assert "Any example" not in response.content.decode()
    assert "Content-Disposition" not in response


@pytest.mark.django_db
def test_json_errors_are_json(client):
    response = client.get("/case-studies/export.json?response=nonsense&evidence=rumour")

    assert response.json() == {
        "error": "Nothing was exported: an output must hold exactly what was asked for, and "
        "part of this query string could not be used.",
        "problems": [
            "“nonsense” is not a response type we know, so it was left out.",
            "“rumour” is not a strongest evidence we know, so it was left out.",
        ],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/case-studies/export.csv",
        "/case-studies/export.json",
        "/case-studies/feed.atom",
        "/codebook/",
        "/codebook.json",
        "/compare/?ids=a,b",
    ],
)
def test_outputs_only_answer_reads(client, url):
    assert client.post(url).status_code == 405
