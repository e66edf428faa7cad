"""Comparing two to four case studies side by side, from the list's checkboxes or a URL."""

import pytest

from catalogue.models import OutcomeKind, ResponseType, Status
from partnerships.models import CouncilType, Sector
from tests.factories import (
    make_case_study,
    make_council,
    make_organisation,
    make_outcome,
    make_partnership,
    make_service_area,
    make_source,
)
from tests.outputs import body, csv_rows


@pytest.fixture
def pair(db):
    wigan = make_council(name="Wigan", council_type=CouncilType.METROPOLITAN_BOROUGH)
    partnership = make_partnership(
        name="Healthier Wigan",
        partners={make_organisation(name="Wigan NHS Trust", sector=Sector.NHS): "Runs care"},
    )
    first = make_case_study(
        title="Wigan care",
        councils=[wigan],
        service_areas=[make_service_area(name="Adult social care")],
        partnership=partnership,
        start_year=2013,
    )
    make_outcome(
        case_study=first, description="A pooled budget", figure=7.5, unit="£m", period="a year"
    )
    make_source(case_study=first, title="RSA report", url="https://example.org/rsa")
    second = make_case_study(
        title="=Libraries handed over",
        response=ResponseType.EXIT,
        secondary_response=ResponseType.COLLABORATE,
        start_year=None,
    )
    make_outcome(case_study=second, description="Forecast saving", kind=OutcomeKind.PROJECTED)
    return first, second


def test_compare_shows_each_aspect_side_by_side(client, pair):
    first, second = pair

    response = client.get(f"/compare/?ids={first.slug},{second.slug}")
    page = response.content.decode()

    assert response.status_code == 200
    for label in [
        "Response",
        "Service areas",
        "Councils",
        "Partnership",
        "Partners and roles",
        "Start year",
        "Outcomes",
        "Sources",
    ]:
        assert f'<th scope="row">{label}</th>' in page
    assert page.index("Wigan care") < page.index("=Libraries handed over")
    for text in [
        "Wigan NHS Trust",
        "NHS; Runs care",
        "A pooled budget",
        "£7.5m, a year; evidence: reported",
        "also collaborate",
        '<a href="https://example.org/rsa">RSA report, Local Government Association (2018)</a>',
        "2013",
        "Metropolitan borough",
        "None recorded",
    ]:
        assert text in page
    assert f'href="/compare/export.csv?ids={first.slug},{second.slug}"' in page


def test_compare_accepts_the_list_forms_repeated_compare_values(client, pair):
    first, second = pair

    response = client.get(
        f"/compare/?q=&response=collaborate&compare={first.slug}&compare={second.slug}"
    )

    assert response.status_code == 302
    assert response.url == f"/compare/?ids={first.slug},{second.slug}"


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ("", "Choose at least 2 case studies to compare (you chose none)"),
        ("{first}", "Choose at least 2 case studies to compare (you chose only one)"),
        ("{first},{first}", "you chose only one"),
        ("{first},no-such-case", "There is no published case study called “no-such-case”"),
        ("{first},{draft}", "There is no published case study called “{draft}”"),
        ("{draft},x,{first}", "There are no published case studies called “{draft}” or “x”"),
        ("a,b,c,d,e", "You can compare up to 4 case studies at a time (you chose 5)"),
        (",".join(f"s{n}" for n in range(30)), "(you chose more than 20)"),
        (",,, ,", "you chose none"),
        ("<b>x</b>,%00,ü" + "z" * 500, "There are no published case studies called"),
    ],
)
def test_compare_explains_what_it_cannot_compare(client, pair, ids, message):
    draft = make_case_study(title="Secret draft", status=Status.DRAFT)
    slugs = {"first": pair[0].slug, "draft": draft.slug}

    response = client.get("/compare/", {"ids": ids.format(**slugs)})
    csv_response = client.get("/compare/export.csv", {"ids": ids.format(**slugs)})

    assert response.status_code == 400
    page = response.content.decode()
    assert message.format(**slugs) in page
    assert "Secret draft" not in page
    assert "<b>x</b>" not in page
    assert 'href="/case-studies/"' in page
    assert csv_response.status_code == 400
    assert message.format(**slugs) in csv_response.content.decode()


def test_a_failed_comparison_links_back_to_the_same_filtered_list(client, pair):
    response = client.get(f"/compare/?response=exit&compare={pair[0].slug}")

    assert response.status_code == 400
    assert f'href="/case-studies/?response=exit&amp;compare={pair[0].slug}"' in (
        response.content.decode()
    )


def test_comparison_exports_to_csv(client, pair):
    first, second = pair

    response = client.get(f"/compare/export.csv?ids={first.slug},{second.slug}")
    rows = csv_rows(response)

    assert response["Content-Disposition"].startswith(
        f'attachment; filename="compare-{first.slug}-{second.slug}-'
    )
    assert body(response).startswith(b"\xef\xbb\xbf")
    assert list(rows[0]) == ["", "Wigan care", "'=Libraries handed over"]
    by_label = {row[""]: row for row in rows}
    assert by_label["Response"]["'=Libraries handed over"] == "Exit\nalso collaborate"
    assert by_label["Outcomes"]["Wigan care"] == (
        "A pooled budget (achieved; £7.5m, a year; evidence: reported)"
    )
    assert by_label["Sources"]["Wigan care"] == (
        "RSA report, Local Government Association (2018) <https://example.org/rsa>"
    )
    assert by_label["Permalink"]["Wigan care"] == f"http://testserver/case-studies/{first.pk}/"


@pytest.mark.django_db
def test_list_cards_have_compare_checkboxes_that_keep_the_shortlist(client):
    on_first_page = [make_case_study(title=f"Case {n:02}") for n in range(25)]
    ticked = on_first_page[0]  # the oldest: on page 2 when newest come first

    page = client.get(f"/case-studies/?page=1&compare={ticked.slug}").content.decode()
    second = client.get(f"/case-studies/?page=2&compare={ticked.slug}").content.decode()

    assert 'formaction="/compare/"' in page
    assert ">Compare selected</button>" in page
    assert f'<input type="hidden" name="compare" value="{ticked.slug}">' in page
    assert (
        f'<input type="checkbox" name="compare" value="{ticked.slug}" '
        f'id="compare-{ticked.slug}" checked>'
    ) in second
    assert f'<input type="hidden" name="compare" value="{ticked.slug}">' not in second
    other = on_first_page[-1]
    assert (
        f'<input type="checkbox" name="compare" value="{other.slug}" id="compare-{other.slug}">'
    ) in page


@pytest.mark.django_db
def test_compare_checkboxes_appear_only_on_the_list(client):
    case_study = make_case_study()

    assert 'name="compare"' not in client.get("/").content.decode()
    assert 'name="compare"' in client.get("/case-studies/").content.decode()
    assert (
        'name="compare"'
        not in client.get(
            f"/service-areas/{case_study.service_areas.get().slug}/"
        ).content.decode()
    )
