import pytest
from django.db import IntegrityError, transaction

from partnerships.models import Council, CouncilType, Membership
from tests.factories import make_council, make_organisation, make_partnership


def violates_constraint(action) -> bool:
    try:
        with transaction.atomic():
            action()
    except IntegrityError:
        return True
    return False


@pytest.mark.django_db
def test_gss_code_is_unique_when_set_and_optional():
    make_council(gss_code="E08000010")
    make_council(gss_code=None)
    make_council(gss_code=None)

    assert violates_constraint(lambda: make_council(gss_code="E08000010"))


@pytest.mark.django_db
def test_gss_code_has_nine_characters():
    assert violates_constraint(lambda: make_council(gss_code="E0800"))


@pytest.mark.django_db
def test_council_slug_is_unique():
    council = make_council()
    assert violates_constraint(
        lambda: Council.objects.create(
            name="Twin", slug=council.slug, council_type="unitary", nation="england"
        )
    )


@pytest.mark.django_db
def test_council_type_and_region_must_come_from_the_vocabulary():
    assert violates_constraint(lambda: make_council(council_type="parish"))
    assert violates_constraint(lambda: make_council(region="atlantis"))
    assert violates_constraint(lambda: make_council(nation="cornwall"))


@pytest.mark.django_db
def test_council_abolition_year_is_in_range():
    assert violates_constraint(lambda: make_council(ended_year=1800))
    assert make_council(ended_year=2021).is_former


@pytest.mark.django_db
def test_partnership_cannot_end_before_it_starts():
    assert violates_constraint(lambda: make_partnership(start_year=2018, end_year=2016))
    make_partnership(start_year=2018, end_year=2018)


@pytest.mark.django_db
def test_partnership_years_are_in_range():
    assert violates_constraint(lambda: make_partnership(start_year=20150))


@pytest.mark.django_db
def test_partnership_governance_comes_from_the_vocabulary():
    assert violates_constraint(lambda: make_partnership(governance="secret-society"))


@pytest.mark.django_db
def test_organisation_sector_comes_from_the_vocabulary():
    assert violates_constraint(lambda: make_organisation(sector="pirates"))


@pytest.mark.django_db
def test_an_organisation_joins_a_partnership_once():
    nhs = make_organisation()
    partnership = make_partnership(partners={nhs: "Provider"})
    assert violates_constraint(
        lambda: Membership.objects.create(partnership=partnership, organisation=nhs)
    )


def test_council_type_follows_the_gss_prefix():
    assert CouncilType.from_gss_code("E07000244") == CouncilType.DISTRICT
    assert CouncilType.from_gss_code("W06000015") == CouncilType.WELSH_PRINCIPAL
    assert CouncilType.from_gss_code("S12000008") == CouncilType.SCOTTISH


@pytest.mark.django_db
def test_type_nation_region_and_gss_code_agree_in_the_database():
    wales = {"nation": "wales", "region": "wales"}
    assert violates_constraint(lambda: make_council(council_type="welsh-principal"))
    assert violates_constraint(lambda: make_council(council_type="unitary", **wales))
    assert violates_constraint(lambda: make_council(region="wales"))  # an English council
    assert violates_constraint(lambda: make_council(gss_code="E07000001", council_type="unitary"))
    assert violates_constraint(lambda: make_council(council_type="london-borough"))
    make_council(council_type="welsh-principal", gss_code="W06000001", **wales)
    make_council(council_type="association", nation="scotland", region="scotland")
    make_council(council_type="association", nation="england", region="")
