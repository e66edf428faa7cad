"""Councils are found by the names people use, not only by the ONS register's names."""

import re

import pytest
from django.urls import reverse

from partnerships.models import Council, CouncilType, Nation, Region
from partnerships.names import derived_names, name_key, without_generic_words
from tests.factories import make_case_study, make_council
from tests.html import CARD_LINK


@pytest.mark.parametrize(
    ("written", "register_name"),
    [
        ("Powys County Council", "Powys"),
        ("Liverpool City Council", "Liverpool"),
        ("City and County of Swansea Council", "Swansea"),
        ("Gwynedd Council", "Gwynedd"),
        ("East Suffolk Council", "East Suffolk"),
        ("Bristol City Council", "Bristol, City of"),
        ("London Borough of Barnet", "Barnet"),
        ("Royal Borough of Kensington and Chelsea", "Kensington and Chelsea"),
        ("King’s Lynn and West Norfolk Borough Council", "King's Lynn and West Norfolk"),
    ],
)
def test_official_names_share_the_register_names_key(written, register_name):
    assert name_key(written) == name_key(register_name)


def test_different_councils_keep_different_keys():
    assert name_key("North Northamptonshire") != name_key("West Northamptonshire")
    assert name_key("Kingston upon Hull, City of") != name_key("Kingston upon Thames")
    assert name_key("Derby") != name_key("Derbyshire")


def test_forms_follow_from_the_name_and_type_only_where_certain():
    assert derived_names("Bristol, City of", CouncilType.UNITARY) == [
        "City of Bristol",
        "Bristol",
        "Bristol Council",
    ]
    assert "Surrey County Council" in derived_names("Surrey", CouncilType.COUNTY)
    assert "London Borough of Barnet" in derived_names("Barnet", CouncilType.LONDON_BOROUGH)
    assert "London Borough of City of London" not in derived_names(
        "City of London", CouncilType.LONDON_BOROUGH
    )
    # A district may be a borough, a city or a district council: no style is guessed.
    assert derived_names("Spelthorne", CouncilType.DISTRICT) == ["Spelthorne Council"]
    assert derived_names("Local Government Association", CouncilType.ASSOCIATION) == []


def test_search_text_loses_generic_words_only_around_a_known_council():
    keys = {"powys", "swansea"}
    assert without_generic_words("Powys County Council libraries", keys) == "Powys libraries"
    assert without_generic_words("City and County of Swansea Council", keys) == "Swansea"
    assert without_generic_words("county council libraries", keys) == "county council libraries"
    assert without_generic_words('"Powys County Council"', keys) == '"Powys County Council"'


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "Powys County Council",
        "Powys Council",
        "powys",
        "City and County of Swansea Council",
        "Liverpool City Council",
        "Gwynedd Council",
        "East Suffolk Council",
    ],
)
def test_the_public_search_finds_a_council_by_its_usual_name(client, query):
    wales = {"council_type": CouncilType.WELSH_PRINCIPAL, "nation": Nation.WALES}
    councils = {
        "powys": make_council(name="Powys", region=Region.WALES, **wales),
        "swansea": make_council(name="Swansea", region=Region.WALES, **wales),
        "liverpool": make_council(name="Liverpool", council_type=CouncilType.METROPOLITAN_BOROUGH),
        "gwynedd": make_council(name="Gwynedd", region=Region.WALES, **wales),
        "east suffolk": make_council(
            name="East Suffolk", council_type=CouncilType.DISTRICT, region=Region.EAST
        ),
    }
    case_studies = {key: make_case_study(councils=[c]) for key, c in councils.items()}
    make_case_study(title="Another county council's libraries")
    wanted = case_studies[name_key(query)]

    response = client.get("/case-studies/", {"q": query})

    assert CARD_LINK.findall(response.content.decode()) == [wanted.slug]


@pytest.mark.django_db
def test_the_search_finds_a_council_by_an_alias(client):
    cosla = make_council(
        name="Convention of Scottish Local Authorities",
        council_type=CouncilType.ASSOCIATION,
        nation=Nation.SCOTLAND,
        region=Region.SCOTLAND,
        aliases="COSLA",
    )
    case_study = make_case_study(councils=[cosla])
    make_case_study()

    response = client.get("/case-studies/", {"q": "cosla"})

    assert CARD_LINK.findall(response.content.decode()) == [case_study.slug]


@pytest.mark.django_db
def test_the_council_facet_reads_well_and_carries_other_names(client):
    bristol = make_council(name="Bristol, City of", slug="bristol-city-of", gss_code="E06000023")
    make_case_study(councils=[bristol])

    page = client.get("/case-studies/").content.decode()

    option = re.search(r'<li class="option"([^>]*)><input[^>]*value="bristol-city-of"', page)
    assert option, "the council facet lists Bristol"
    assert 'data-also="Bristol, City of | Bristol | Bristol Council"' in option.group(1)
    label = re.search(r'value="bristol-city-of"[^>]*><label[^>]*>([^<]*)<', page).group(1)
    assert label.strip() == "City of Bristol"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "term", ["Powys County Council", "Powys", "W06000023", "powys council", "County of Powys"]
)
def test_the_admin_autocomplete_finds_a_council_by_any_form_of_its_name(admin_client, term):
    make_council(
        name="Powys",
        gss_code="W06000023",
        nation=Nation.WALES,
        region=Region.WALES,
    )
    make_council(
        name="Pembrokeshire",
        council_type=CouncilType.WELSH_PRINCIPAL,
        nation=Nation.WALES,
        region=Region.WALES,
    )

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": term,
            "app_label": "catalogue",
            "model_name": "casestudy",
            "field_name": "councils",
        },
    )

    assert [result["text"] for result in response.json()["results"]] == ["Powys"]


def add_council(admin_client, **fields):
    data = {
        "name": "",
        "official_name": "",
        "aliases": "",
        "slug": "",
        "gss_code": "",
        "council_type": CouncilType.UNITARY,
        "website": "",
        "nation": Nation.ENGLAND,
        "region": Region.NORTH_WEST,
        "ended_year": "",
        **fields,
    }
    return admin_client.post(reverse("admin:partnerships_council_add"), data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"name": "Liverpool City Council", "slug": "liverpool-city-council"},
        {"name": "Scouse Town", "slug": "scouse", "aliases": "Liverpool Council"},
        {"name": "Merseyside Port", "slug": "port", "official_name": "City of Liverpool"},
    ],
)
def test_a_council_already_in_the_register_is_not_added_again(admin_client, fields):
    liverpool = make_council(name="Liverpool", council_type=CouncilType.METROPOLITAN_BOROUGH)

    response = add_council(admin_client, council_type=CouncilType.METROPOLITAN_BOROUGH, **fields)

    assert response.status_code == 200
    link = reverse("admin:partnerships_council_change", args=[liverpool.pk])
    assert f'<a href="{link}">Liverpool</a>' in response.content.decode()
    assert Council.objects.count() == 1


@pytest.mark.django_db
def test_a_unitary_may_share_a_name_with_the_county_council_it_replaced(admin_client):
    make_council(
        name="North Yorkshire County Council", council_type=CouncilType.COUNTY, ended_year=2023
    )

    response = add_council(admin_client, name="North Yorkshire", slug="north-yorkshire")

    assert response.status_code == 302
    assert Council.objects.filter(name="North Yorkshire").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"council_type": CouncilType.WELSH_PRINCIPAL, "nation": Nation.ENGLAND},
            "nation",
            "A “Welsh principal council” is in Wales.",
        ),
        (
            {
                "nation": Nation.WALES,
                "region": Region.NORTH_WEST,
                "council_type": CouncilType.WELSH_PRINCIPAL,
            },
            "region",
            "North West is not a region of Wales.",
        ),
        (
            {"gss_code": "E07000999", "council_type": CouncilType.UNITARY},
            "council_type",
            "A GSS code starting E07 is a “District council”&#x27;s.",
        ),
        (
            {"council_type": CouncilType.LONDON_BOROUGH, "region": Region.SOUTH_EAST},
            "region",
            "A London borough is in London.",
        ),
        ({"gss_code": "X01000001"}, "gss_code", "A council&#x27;s GSS code starts with one of"),
    ],
)
def test_type_nation_region_and_code_must_agree(admin_client, fields, field, message):
    response = add_council(admin_client, name="Newplace", slug="newplace", **fields)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Constraint" not in response.content.decode()  # said once, in words
    assert not Council.objects.exists()


@pytest.mark.django_db
def test_a_councils_page_gives_its_names(client):
    council = make_council(
        name="Bristol, City of",
        gss_code="E06000023",
        official_name="Bristol City Council",
        aliases="Brizzle",
    )
    make_case_study(councils=[council])

    page = client.get(f"/councils/{council.slug}/").content.decode()

    assert "<h1>City of Bristol</h1>" in page
    assert "<dd>Bristol City Council</dd>" in page
    assert "<dd>Bristol, City of</dd>" in page
    assert "<dd>Brizzle</dd>" in page
