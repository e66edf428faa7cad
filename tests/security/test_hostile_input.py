"""Hostile input: fuzzed query strings, stored XSS, open redirects, drafts behind every door."""

import re
from urllib.parse import quote

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.models import CaseStudy, Status
from tests.factories import (
    make_case_study,
    make_council,
    make_organisation,
    make_outcome,
    make_partnership,
    make_service_area,
    make_source,
    make_staff_user,
)

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "'; DROP TABLE catalogue_casestudy; --",
    "1 UNION SELECT password FROM auth_user",
    '" NEAR( * ) OR title:',
    "%00",
    "../../etc/passwd",
    "{{ 7*7 }}{% debug %}",
    "\u202e\u0000\ufeff",
]
PARAMETERS = [
    "q", "response", "service", "council_type", "nation", "region", "sector", "council",
    "evidence", "year_from", "year_to", "sort", "page", "ids", "compare", "format", "cursor",
]  # fmt: skip
# Text that can be sent in a URL: any character except lone surrogates.
TEXT = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=50),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=2000, max_size=12000),
    st.integers(-(10**30), 10**30).map(str),
)
QUERY = st.lists(
    st.tuples(st.one_of(st.sampled_from(PARAMETERS), st.text(max_size=10)), TEXT), max_size=8
)
FUZZ_EXAMPLES = 40
FUZZED_PAGES = [
    "/",
    "/case-studies/",
    "/case-studies/fuzz-target/",
    "/councils/fuzz-council/",
    "/organisations/fuzz-organisation/",
    "/partnerships/fuzz-partnership/",
    "/service-areas/fuzz-area/",
    "/responses/collaborate/",
    "/sitemap.xml",
    "/accessibility/",
    "/insights/",
    "/codebook/",
    "/compare/",
    "/case-studies/export.csv",
    "/case-studies/export.json",
    "/case-studies/feed.atom",
    "/api/case-studies/",
]


@pytest.fixture
def fuzz_targets(db):
    council = make_council(slug="fuzz-council")
    area = make_service_area(slug="fuzz-area")
    organisation = make_organisation()
    organisation.slug = "fuzz-organisation"
    organisation.save()
    partnership = make_partnership(partners={organisation: "Partner"})
    partnership.slug = "fuzz-partnership"
    partnership.save()
    case_study = make_case_study(councils=[council], service_areas=[area], partnership=partnership)
    case_study.slug = "fuzz-target"
    case_study.save()
    make_outcome(case_study=case_study)


@pytest.mark.parametrize("path", FUZZED_PAGES)
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=QUERY)
def test_fuzzed_query_strings_never_cause_a_server_error(client, fuzz_targets, path, query):
    response = client.get(path, [(key, value) for key, value in query])

    assert response.status_code < 500, (path, query)
    if response["Content-Type"].startswith("text/html"):
        page = response.content.decode()
        for _, value in query:
            if "<" in value and len(value) > 3:
                assert value not in page, f"{value!r} echoed unescaped on {path}"


@pytest.mark.django_db
@given(slug=st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300))
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_fuzzed_paths_are_not_found_not_errors(client, slug):
    for prefix in ["/case-studies/", "/councils/", "/responses/"]:
        response = client.get(prefix + slug.replace("/", "") + "/")
        assert response.status_code in {200, 301, 302, 400, 404}, (prefix, slug)


XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def stored_xss(client):
    """Every text field of every public model holds a payload; the case study via the admin."""
    staff = make_staff_user()
    client.force_login(staff)
    council = make_council(name=f"Council {XSS}")
    area = make_service_area(name=f"Area {XSS}")
    organisation = make_organisation(name=f"Org {XSS}")
    partnership = make_partnership(name=f"Partnership {XSS}", partners={organisation: XSS})
    response = client.post(
        reverse("admin:catalogue_casestudy_add"),
        {
            "title": f"Title {XSS}",
            "slug": "xss-case",
            "summary": f"Summary {XSS}",
            "body": f"Body {XSS} [link](javascript:alert(1))",
            "response": "collaborate",
            "secondary_response": "",
            "service_areas": [area.pk],
            "start_year": "2015",
            "councils": [council.pk],
            "partnership": partnership.pk,
            "status": "draft",
            "opened_version": "0",
            "outcomes-TOTAL_FORMS": "1",
            "outcomes-INITIAL_FORMS": "0",
            "outcomes-0-kind": "achieved",
            "outcomes-0-evidence": "reported",
            "outcomes-0-confidence": "high",
            "outcomes-0-description": f"Outcome {XSS}",
            "outcomes-0-figure": "1",
            "outcomes-0-unit": f"u{XSS}"[:40],
            "outcomes-0-period": f"p{XSS}"[:60],
            "sources-TOTAL_FORMS": "1",
            "sources-INITIAL_FORMS": "0",
            "sources-0-title": f"Source {XSS}",
            "sources-0-publisher": f"Publisher {XSS}",
            "sources-0-year": "2018",
            "sources-0-url": "https://example.org/report",
            "sources-0-section": f"s{XSS}"[:100],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    client.logout()
    case_study = CaseStudy.objects.get(slug="xss-case")
    case_study.submit(by=staff)
    case_study.publish(by=staff)
    other = make_case_study(councils=[council], service_areas=[area])  # for related lists
    return [
        "/insights/",
        f"/compare/?ids={case_study.slug},{other.slug}",
        "/case-studies/feed.atom",
        "/codebook/",
        "/",
        "/case-studies/",
        "/case-studies/?q=title",
        f"/case-studies/?council={council.slug}&service={area.slug}",
        case_study.get_absolute_url(),
        council.get_absolute_url(),
        area.get_absolute_url(),
        organisation.get_absolute_url(),
        partnership.get_absolute_url(),
        "/responses/collaborate/",
        "/sitemap.xml",
    ]


@pytest.mark.django_db
def test_stored_xss_is_escaped_on_every_public_page(client, stored_xss):
    for path in stored_xss:
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        assert "<script>alert" not in page, path
        assert "<img src=x" not in page, path
        assert 'href="javascript:' not in page, path
        if path not in {"/sitemap.xml", "/codebook/", "/insights/"}:
            assert "&lt;script&gt;" in page or "&lt;img" in page, path


@pytest.mark.django_db
def test_admin_refuses_javascript_urls_for_sources(client):
    client.force_login(make_staff_user())
    case_study = make_case_study()
    response = client.post(
        reverse("admin:catalogue_source_add"),
        {"case_study": case_study.pk, "title": "x", "url": "javascript:alert(1)"},
    )
    assert response.status_code == 200  # the form is shown again with an error
    assert not case_study.sources.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"],
)
def test_login_next_never_leaves_the_site(client, target):
    user = make_staff_user()
    response = client.post(
        f"/admin/login/?next={target}",
        {"username": user.username, "password": "a-long-test-password-1", "next": target},
    )
    assert response.status_code == 302
    location = response["Location"]
    assert not re.match(r"^(https?:)?//", location) or "evil.example" not in location
    assert "evil.example" not in location and not location.startswith("javascript:")


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW])
def test_drafts_are_unreachable_through_every_door(client, status):
    council = make_council(slug="door-council")
    area = make_service_area(slug="door-area")
    published = make_case_study(title="Open door", councils=[council], service_areas=[area])
    draft = make_case_study(
        title="Secret draft zanzibar",
        status=status,
        councils=[council],
        service_areas=[area],
    )
    make_source(case_study=draft)
    doors = [
        f"/case-studies/{draft.slug}/",
        f"/case-studies/{draft.pk}/",
    ]
    for path in doors:
        assert client.get(path).status_code == 404, path
    listings = [
        "/",
        "/case-studies/",
        "/case-studies/?q=zanzibar",
        "/case-studies/?council=door-council",
        published.get_absolute_url(),  # related case studies
        council.get_absolute_url(),
        area.get_absolute_url(),
        "/sitemap.xml",
    ]
    for path in listings:
        page = client.get(path).content.decode()
        assert "Secret draft" not in page, path
        assert f"/case-studies/{draft.slug}/" not in page, path
    counts = client.get("/case-studies/?q=zanzibar")
    assert 'data-result-count="0"' in counts.content.decode()


# -- NUL and other text the database refuses, in path segments and the admin --------------------

# Every route that takes a segment of the path, with `{}` where the fuzzed text goes.
SEGMENT_ROUTES = [
    "/case-studies/{}/",
    "/case-studies/{}/cite.bib",
    "/case-studies/{}/cite.ris",
    "/councils/{}/",
    "/organisations/{}/",
    "/partnerships/{}/",
    "/service-areas/{}/",
    "/responses/{}/",
    "/insights/{}.csv",
    "/api/case-studies/{}/",
    "/api/councils/{}/",
    "/api/organisations/{}/",
    "/api/partnerships/{}/",
    "/api/service-areas/{}/",
    "/api/{}/",
    "/static/{}",
    "/admin/catalogue/casestudy/{}/change/",
    "/admin/catalogue/casestudy/{}/history/",
    "/admin/catalogue/casestudy/{}/history/1/",
    "/admin/partnerships/council/{}/change/",
    "/admin/catalogue/{}/",
]
SEGMENT = st.one_of(
    st.sampled_from(["\x00", "a\x00b", "%00", "\x00" * 3, "fuzz-target\x00", "\ud7ff\x00\ufffd"]),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=80),
)
# The admin's changelists with their search and filters, as an editor sees them.
ADMIN_LISTS = [
    "/admin/catalogue/casestudy/",
    "/admin/catalogue/outcome/",
    "/admin/catalogue/source/",
    "/admin/partnerships/council/",
    "/admin/partnerships/organisation/",
]
ADMIN_PARAMETERS = [
    "q", "o", "p", "status__exact", "response__exact", "service_areas__id__exact",
    "councils__council_type__exact", "last_checked", "former", "sector__exact", "year",
    "kind__exact", "_changelist_filters",
]  # fmt: skip


@pytest.mark.django_db
@settings(
    max_examples=FUZZ_EXAMPLES * 2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(route=st.sampled_from(SEGMENT_ROUTES), segment=SEGMENT)
def test_fuzzed_path_segments_are_refused_or_not_found_on_every_route(client, route, segment):
    client.force_login(make_staff_user())
    path = route.format(quote(segment, safe=""))
    response = client.get(path)

    assert response.status_code < 500, (path, segment)
    if "\x00" in segment:
        assert response.status_code in {400, 404}, (path, segment)
    if path.startswith("/api/") and response.status_code >= 400:
        assert response["Content-Type"] == "application/json", path


@pytest.mark.django_db
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    path=st.sampled_from(ADMIN_LISTS),
    query=st.lists(st.tuples(st.sampled_from(ADMIN_PARAMETERS), TEXT), min_size=1, max_size=4),
)
def test_fuzzed_admin_searches_and_filters_never_cause_a_server_error(client, path, query):
    client.force_login(make_staff_user())
    response = client.get(path, query)
    assert response.status_code < 500, (path, query)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/councils/a%00b/",
        "/compare/?ids=%00,x",
        "/compare/export.csv?ids=a,%00",
        "/case-studies/?council=%00",
        "/admin/catalogue/casestudy/?q=%00",
        "/admin/catalogue/casestudy/?status__exact=%00",
        "/admin/partnerships/council/?q=a%00",
    ],
)
def test_a_nul_character_is_a_bad_request(client, url):
    client.force_login(make_staff_user())
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response.json() == {"detail": "The address contains a NUL character."}
    else:
        assert "could not be understood" in response.content.decode()
