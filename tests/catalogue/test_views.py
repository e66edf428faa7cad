import pytest
from django.urls import reverse

from catalogue.addresses import path_with
from catalogue.models import ResponseType, Status
from tests.factories import (
    make_case_study,
    make_council,
    make_organisation,
    make_outcome,
    make_partnership,
    make_service_area,
    make_source,
)

HIDDEN = [Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED]


@pytest.mark.django_db
def test_home_explains_the_four_responses_with_counts(client):
    make_case_study(response=ResponseType.FIGHT)
    make_case_study(response=ResponseType.FIGHT)
    make_case_study(response=ResponseType.EXIT)
    make_case_study(response=ResponseType.EXIT, status=Status.DRAFT)

    page = client.get("/").content.decode()

    for response in ResponseType:
        assert response.definition in page
    assert "2 case studies" in page
    assert "1 case study" in page  # the draft exit case is not counted
    assert "0 case studies" in page


@pytest.mark.django_db
@pytest.mark.parametrize("status", HIDDEN)
def test_unpublished_case_studies_never_appear_in_the_list(client, status):
    make_case_study(title="Visible example")
    make_case_study(title="Hidden example", status=status)

    response = client.get("/case-studies/")

    assert "Visible example" in response.content.decode()
    assert "Hidden example" not in response.content.decode()
    assert 'data-result-count="1"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("status", HIDDEN)
def test_unpublished_case_studies_are_not_found_by_slug_or_id(client, status):
    case_study = make_case_study(status=status)

    assert client.get(f"/case-studies/{case_study.slug}/").status_code == 404
    assert client.get(f"/case-studies/{case_study.pk}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("status", HIDDEN)
def test_unpublished_case_studies_are_hidden_from_entity_pages(client, status):
    council = make_council()
    area = make_service_area()
    nhs = make_organisation()
    partnership = make_partnership(partners={nhs: "Provider"})
    make_case_study(
        title="Hidden example",
        status=status,
        councils=[council],
        service_areas=[area],
        partnership=partnership,
    )

    for url in [
        council.get_absolute_url(),
        area.get_absolute_url(),
        reverse("catalogue:response_detail", args=["collaborate"]),
        "/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Hidden example" not in response.content.decode(), url
    # Made only for the hidden case study, the partnership and its partner are private too.
    for url in [nhs.get_absolute_url(), partnership.get_absolute_url()]:
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_permalink_by_id_leads_to_the_case_study(client):
    case_study = make_case_study()

    response = client.get(f"/case-studies/{case_study.pk}/")

    assert response.status_code == 302
    assert response.url == f"/case-studies/{case_study.slug}/"


@pytest.mark.django_db
def test_detail_page_shows_partners_outcomes_and_sources(client):
    nhs = make_organisation(name="Wigan NHS Trust")
    partnership = make_partnership(name="Healthier Wigan", partners={nhs: "Runs community care"})
    case_study = make_case_study(
        title="Integrating care",
        partnership=partnership,
        councils=[make_council(name="Wigan")],
        body="Partners *pooled* budgets.",
    )
    make_outcome(case_study=case_study, description="Budget pooled", figure=7.5, unit="£m")
    make_source(case_study=case_study, title="RSA blog", url="https://www.thersa.org/blog")

    page = client.get(case_study.get_absolute_url()).content.decode()

    for text in [
        "Integrating care",
        "Healthier Wigan",
        "Wigan NHS Trust",
        "Runs community care",
        "Budget pooled",
        "£7.5m",
        "Reported",
        '<a href="https://www.thersa.org/blog">RSA blog</a>',
        "<em>pooled</em>",
        "Wigan",
    ]:
        assert text in page


@pytest.mark.django_db
def test_body_markdown_cannot_carry_scripts(client):
    case_study = make_case_study(
        body='<script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror="x()">'
    )

    page = client.get(case_study.get_absolute_url()).content.decode()

    assert "<script>alert(1)" not in page
    assert 'href="javascript:' not in page
    assert "<img" not in page


@pytest.mark.django_db
def test_list_pages_through_results_and_survives_bad_page_numbers(client):
    for _ in range(25):
        make_case_study()

    assert 'data-result-count="25"' in client.get("/case-studies/").content.decode()
    second = client.get("/case-studies/?page=2").content.decode()
    assert second.count('class="card"') == 5
    assert client.get("/case-studies/?page=abc").status_code == 200
    assert client.get("/case-studies/?page=999").status_code == 200


@pytest.mark.django_db
def test_unknown_pages_are_404(client):
    assert client.get("/case-studies/no-such-case/").status_code == 404
    assert client.get("/responses/surrender/").status_code == 404
    assert client.get("/councils/nowhere/").status_code == 404


@pytest.mark.django_db
def test_entity_pages_show_the_newest_20_with_the_total_and_a_link_to_all(
    client, django_assert_max_num_queries
):
    council = make_council(name="Bigshire")
    area = make_service_area(name="Libraries", slug="libraries")
    organisation = make_organisation(name="Book Trust")
    partnership = make_partnership(partners={organisation: "Lender"})
    titles = [f"Library story {n:02d}" for n in range(23)]  # published oldest first
    for title in titles:
        make_case_study(
            title=title,
            response=ResponseType.EXIT,
            councils=[council],
            service_areas=[area],
            partnership=partnership,
        )
    make_case_study(title="Elsewhere", response=ResponseType.FIGHT)
    pages = {
        "/responses/exit/": "/case-studies/?response=exit",
        f"/service-areas/{area.slug}/": "/case-studies/?service=libraries",
        council.get_absolute_url(): f"/case-studies/?council={council.slug}",
        organisation.get_absolute_url(): None,  # the list has no filter for these
        partnership.get_absolute_url(): None,
    }
    client.get("/case-studies/")  # builds the facet index: not counted below
    for path, all_of_them in pages.items():
        with django_assert_max_num_queries(9):
            page = client.get(path).content.decode()
        assert "23 case studies" in page, path
        assert page.count('class="card__title"') == 20, path
        assert titles[-1] in page and titles[3] in page, path  # the newest 20
        assert titles[2] not in page and titles[0] not in page, path
        if all_of_them:
            assert f'<a href="{all_of_them}">See all 23 case studies' in page
            assert 'data-result-count="23"' in client.get(all_of_them).content.decode()
        else:
            assert "See all" not in page


def card_of(page: str, title: str) -> str:
    start = page.index(f">{title}</a></h3>")
    return page[start : page.index("</article>", start)]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/case-studies/", "/responses/fight/", "ORGANISATION"])
def test_a_card_shows_its_councils_and_service_areas_alphabetically(client, path):
    wigan, bolton = make_council(name="Wigan"), make_council(name="Bolton & Bury")
    housing, care = make_service_area(name="Housing"), make_service_area(name="Adult care")
    charity = make_organisation(name="Age UK")
    make_case_study(
        title="Shared care",
        response=ResponseType.FIGHT,
        secondary_response=ResponseType.ADAPT,
        start_year=2012,
        councils=[wigan, bolton],
        service_areas=[housing, care],
        partnership=make_partnership(lead_council=wigan, partners={charity: "Runs the service"}),
    )
    make_case_study(title="Other", councils=[wigan], service_areas=[housing])
    if path == "ORGANISATION":
        path = charity.get_absolute_url()

    card = card_of(client.get(path).content.decode(), "Shared care")

    assert "<dt>Councils</dt><dd>Bolton &amp; Bury, Wigan</dd>" in card
    assert "<dt>Service areas</dt><dd>Adult care, Housing</dd>" in card
    assert '<span class="tag tag--fight">Fight</span>' in card
    assert "also adapt" in card
    assert "Started 2012" in card


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("catalogue:case_study_detail", "a-slug_2"),
        ("catalogue:case_study_bibtex", "placeholder"),
        ("catalogue:case_study_ris", "9081726354"),
        ("catalogue:case_study_permalink", 42),
        ("catalogue:case_study_permalink", 9081726354),
    ],
)
def test_an_address_with_one_varying_part_is_the_one_reverse_gives(name, value):
    assert path_with(name, value) == reverse(name, args=[value])
