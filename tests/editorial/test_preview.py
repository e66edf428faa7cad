import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from catalogue.models import Status
from tests.factories import (
    make_case_study,
    make_council,
    make_editor,
    make_publisher,
    make_service_area,
)

UNPUBLISHED = [Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED]


@pytest.mark.django_db
@pytest.mark.parametrize("status", UNPUBLISHED)
@pytest.mark.parametrize("make_user", [make_editor, make_publisher], ids=["editor", "publisher"])
def test_staff_preview_an_unpublished_case_study_at_its_public_address(client, status, make_user):
    client.force_login(make_user())
    case_study = make_case_study(title="Work in progress", status=status)

    response = client.get(case_study.get_absolute_url())

    page = response.content.decode()
    assert response.status_code == 200
    assert "Draft preview." in page
    state = "a draft" if status == Status.DRAFT else case_study.get_status_display().lower()
    assert f"This case study is {state}: only editors can see this page" in page
    assert "Work in progress" in page
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"


@pytest.mark.django_db
@pytest.mark.parametrize("status", UNPUBLISHED)
def test_everyone_else_gets_not_found(client, status):
    case_study = make_case_study(status=status)
    url = case_study.get_absolute_url()
    assert client.get(url).status_code == 404  # anonymous

    client.force_login(User.objects.create_user(username="reader", password="x"))
    assert client.get(url).status_code == 404  # signed in, but not staff

    client.force_login(User.objects.create_user(username="idle", password="x", is_staff=True))
    assert client.get(url).status_code == 404  # staff without permission to see case studies


@pytest.mark.django_db
def test_a_published_case_study_shows_no_preview_banner_to_staff(client):
    client.force_login(make_editor())
    case_study = make_case_study(status=Status.PUBLISHED)

    response = client.get(case_study.get_absolute_url())

    assert response.status_code == 200
    assert "Draft preview" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("status", UNPUBLISHED)
def test_drafts_stay_out_of_every_listing_and_count_even_for_staff(client, status):
    client.force_login(make_publisher())
    council, area = make_council(), make_service_area()
    make_case_study(title="Public example", councils=[council], service_areas=[area])
    draft = make_case_study(
        title="Unpublished example", status=status, councils=[council], service_areas=[area]
    )

    for url in [
        "/",
        "/case-studies/",
        "/case-studies/?q=Unpublished",
        council.get_absolute_url(),
        area.get_absolute_url(),
        reverse("catalogue:response_detail", args=["collaborate"]),
    ]:
        page = client.get(url).content.decode()
        assert "Unpublished example" not in page, url
    assert 'data-result-count="1"' in client.get("/case-studies/").content.decode()
    assert client.get(f"/case-studies/{draft.pk}/").status_code == 404  # the permalink too
