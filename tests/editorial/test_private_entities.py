"""Partners made for a draft, and draft addresses, stay out of public view."""

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from catalogue.models import CaseStudy, Status
from tests.factories import (
    make_council,
    make_editor,
    make_organisation,
    make_partnership,
    make_publisher,
    make_ready_case_study,
)


def public_addresses(partnership, organisation, council) -> dict[str, str]:
    return {
        "partnership page": reverse("catalogue:partnership_detail", args=[partnership.slug]),
        "organisation page": reverse("catalogue:organisation_detail", args=[organisation.slug]),
        "partnership in the API": f"/api/partnerships/{partnership.slug}/",
        "organisation in the API": f"/api/organisations/{organisation.slug}/",
    }


@pytest.mark.django_db
def test_a_partnership_and_partner_made_for_a_draft_are_private_until_it_is_published(client):
    council = make_council(name="Draftshire")
    organisation = make_organisation(name="Quiet Trust")
    partnership = make_partnership(
        name="Quiet alliance", lead_council=council, partners={organisation: "partner"}
    )
    case_study = make_ready_case_study(
        status=Status.IN_REVIEW, partnership=partnership, councils=[council]
    )
    addresses = public_addresses(partnership, organisation, council)

    for address in addresses.values():
        assert client.get(address).status_code == 404, address
    for listing in ["/api/partnerships/", "/api/organisations/", council.get_absolute_url()]:
        page = client.get(listing).content.decode()
        assert "Quiet alliance" not in page and "Quiet Trust" not in page, listing

    case_study.publish(by=make_publisher())

    for address in addresses.values():
        assert client.get(address).status_code == 200, address
    assert "Quiet alliance" in client.get("/api/partnerships/").content.decode()
    assert "Quiet Trust" in client.get("/api/organisations/").content.decode()


@pytest.mark.django_db
def test_staff_without_a_role_get_nothing_from_the_admins_view_on_site_redirect(client):
    draft = make_ready_case_study(status=Status.DRAFT)
    address = reverse(
        "admin:view_on_site", args=[ContentType.objects.get_for_model(CaseStudy).pk, draft.pk]
    )
    client.force_login(
        User.objects.create_user(username="nobody", password="x-long-password", is_staff=True)
    )

    response = client.get(address)

    assert response.status_code == 404
    assert draft.slug not in response.content.decode()
    client.force_login(make_editor())
    response = client.get(address)
    assert response.status_code == 302 and draft.slug in response["Location"]
