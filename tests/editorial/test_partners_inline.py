"""Partners are added on the case study's own form: no pop-ups, no second page."""

import pytest

from partnerships.models import Membership, Organisation, Partnership, Sector
from tests.admin_forms import case_study_form, change_url
from tests.factories import make_editor, make_organisation, make_partnership, make_ready_case_study


def new_partners(*rows: tuple[str, str, str], start: int = 0, initial: int = 0) -> dict:
    data = {"partners-TOTAL_FORMS": str(start + len(rows)), "partners-INITIAL_FORMS": str(initial)}
    for n, (name, sector, role) in enumerate(rows, start=start):
        data |= {f"partners-{n}-organisation_name": name, f"partners-{n}-sector": sector,
                 f"partners-{n}-role": role}  # fmt: skip
    return data


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


@pytest.mark.django_db
def test_the_form_offers_partner_rows_and_a_governance_for_a_new_partnership(editor_client):
    case_study = make_ready_case_study()

    page = editor_client.get(change_url(case_study)).content.decode()

    assert 'name="partners-0-organisation_name"' in page
    assert '<label for="id_partners-governance">' in page
    assert 'name="partners-0-organisation"' not in page  # no select with a "+" pop-up


@pytest.mark.django_db
def test_new_and_existing_organisations_become_partners_in_a_new_partnership(editor_client):
    case_study = make_ready_case_study(title="Reading together")
    make_organisation(name="County Library Trust", sector=Sector.SOCIAL_ENTERPRISE)
    form = case_study_form(case_study) | new_partners(
        ("Friends of the Library", "voluntary-community", "Runs the volunteers"),
        ("county library trust", "", "Hosts the service"),  # an existing one, by its name
    )
    form["partners-governance"] = "alliance"

    response = editor_client.post(change_url(case_study), form)

    assert response.status_code == 302, response.content.decode()[:3000]
    case_study.refresh_from_db()
    partnership = case_study.partnership
    assert (partnership.name, partnership.governance) == ("Reading together", "alliance")
    assert set(partnership.member_councils.all()) == set(case_study.councils.all())
    partners = {
        (m.organisation.name, m.organisation.sector, m.role)
        for m in partnership.memberships.select_related("organisation")
    }
    assert partners == {
        ("Friends of the Library", "voluntary-community", "Runs the volunteers"),
        ("County Library Trust", "social-enterprise-mutual", "Hosts the service"),
    }
    assert Organisation.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("governance", "row", "message"),
    [
        ("alliance", ("Brand new body", "", "Funds it"),
         "“Brand new body” is a new organisation: choose its sector."),
        ("", ("Brand new body", "nhs", "Funds it"),
         "Choose the governance of the new partnership"),
    ],
)  # fmt: skip
def test_a_missing_sector_or_governance_is_asked_for_and_nothing_is_saved(
    editor_client, governance, row, message
):
    case_study = make_ready_case_study()
    form = case_study_form(case_study, title="Typed meanwhile") | new_partners(row)
    form["partners-governance"] = governance

    response = editor_client.post(change_url(case_study), form)

    page = response.content.decode()
    assert response.status_code == 200
    assert message in page and "Typed meanwhile" in page
    case_study.refresh_from_db()
    assert case_study.partnership is None and case_study.title != "Typed meanwhile"
    assert not Organisation.objects.exists() and not Partnership.objects.exists()


@pytest.mark.django_db
def test_partners_of_an_existing_partnership_are_added_changed_and_removed(editor_client):
    staying, leaving = make_organisation(name="Staying"), make_organisation(name="Leaving")
    partnership = make_partnership(partners={staying: "Old role", leaving: "Provider"})
    case_study = make_ready_case_study(partnership=partnership)
    form = case_study_form(case_study)
    memberships = {form[f"partners-{n}-organisation_name"]: n for n in range(2)}
    form[f"partners-{memberships['Staying']}-role"] = "New role"
    form[f"partners-{memberships['Leaving']}-DELETE"] = "on"
    form |= new_partners(("Newcomer", "police", "Shares data"), start=2, initial=2)

    response = editor_client.post(change_url(case_study), form)

    assert response.status_code == 302, response.content.decode()[:3000]
    roles = dict(
        Membership.objects.filter(partnership=partnership).values_list(
            "organisation__name", "role"
        )
    )
    assert roles == {"Staying": "New role", "Newcomer": "Shares data"}
    assert Organisation.objects.filter(name="Leaving").exists()  # the organisation stays
