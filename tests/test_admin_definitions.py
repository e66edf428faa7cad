"""The admin shows what each vocabulary value means beside the choice an editor makes."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from catalogue.models import Confidence, EvidenceStrength, OutcomeKind, ResponseType, Status
from partnerships.models import Governance, Region, Sector
from tests.factories import make_case_study, make_outcome


def shows_every_definition(page: str, vocabulary) -> bool:
    return all(
        f"<dt>{escape(member.label)}</dt><dd>{escape(member.definition)}</dd>" in page
        for member in vocabulary
    )


@pytest.mark.django_db
def test_the_case_study_form_defines_response_types_and_outcome_vocabularies(admin_client):
    case_study = make_case_study(status=Status.DRAFT)  # a published one's form is read-only
    make_outcome(case_study=case_study)

    page = admin_client.get(
        reverse("admin:catalogue_casestudy_change", args=[case_study.pk])
    ).content.decode()

    for vocabulary in [ResponseType, OutcomeKind, EvidenceStrength, Confidence]:
        assert shows_every_definition(page, vocabulary), vocabulary.__name__


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "vocabulary"),
    [
        ("admin:partnerships_partnership_add", Governance),
        ("admin:partnerships_organisation_add", Sector),
        ("admin:catalogue_outcome_add", EvidenceStrength),
    ],
)
def test_partners_and_partnerships_forms_define_their_vocabularies(admin_client, url, vocabulary):
    page = admin_client.get(reverse(url)).content.decode()

    assert shows_every_definition(page, vocabulary)


@pytest.mark.django_db
def test_regions_are_not_defined_by_their_codes(admin_client):
    page = admin_client.get(reverse("admin:partnerships_council_add")).content.decode()

    assert escape(Region.NORTH_EAST.definition) not in page
