import pytest
from django.contrib import admin
from django.urls import reverse

from catalogue.models import CaseStudy, Status
from tests.factories import (
    make_case_study,
    make_council,
    make_organisation,
    make_outcome,
    make_partnership,
    make_ready_case_study,
    make_source,
    make_staff_user,
)


@pytest.fixture
def staff_client(client):
    client.force_login(make_staff_user())
    return client


@pytest.fixture
def one_of_everything(db):
    nhs = make_organisation()
    partnership = make_partnership(lead_council=make_council(), partners={nhs: "Provider"})
    case_study = make_case_study(partnership=partnership)
    make_outcome(case_study=case_study)
    make_source(case_study=case_study)


def registered_models():
    return [
        model
        for model in admin.site._registry
        if model._meta.app_label in {"catalogue", "partnerships"}
    ]


def test_every_domain_model_is_in_the_admin():
    names = {model.__name__ for model in registered_models()}
    assert names >= {
        "Council",
        "Organisation",
        "Partnership",
        "ServiceArea",
        "CaseStudy",
        "Outcome",
        "Source",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m.__name__)
def test_admin_pages_open_for_staff(staff_client, one_of_everything, model):
    meta = model._meta
    obj = model.objects.first()
    urls = [
        reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
        reverse(f"admin:{meta.app_label}_{meta.model_name}_add"),
        reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]),
    ]
    for url in urls:
        assert staff_client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_admin_is_closed_to_the_public(client):
    response = client.get(reverse("admin:catalogue_casestudy_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


@pytest.mark.django_db
def test_submit_publish_and_unpublish_actions(staff_client):
    draft = make_ready_case_study(status=Status.DRAFT)
    url = reverse("admin:catalogue_casestudy_changelist")

    staff_client.post(url, {"action": "submit_selected", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW

    staff_client.post(url, {"action": "publish_selected", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert draft.published_at is not None
    staff_client.logout()
    assert staff_client.get(draft.get_absolute_url()).status_code == 200

    staff_client.force_login(make_staff_user())
    staff_client.post(url, {"action": "unpublish_selected", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


@pytest.mark.django_db
def test_editors_pick_councils_from_the_register_by_autocomplete(staff_client):
    make_council(name="Wigan", gss_code="E08000010")
    make_council(name="Wokingham")

    response = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "E08000010",
            "app_label": "catalogue",
            "model_name": "casestudy",
            "field_name": "councils",
        },
    )

    assert [result["text"] for result in response.json()["results"]] == ["Wigan"]


@pytest.mark.django_db
def test_a_case_study_is_edited_on_one_page_with_outcomes_and_sources(staff_client):
    council = make_council()
    case_study = make_case_study(councils=[council], status=Status.DRAFT)
    area = case_study.service_areas.get()
    url = reverse("admin:catalogue_casestudy_change", args=[case_study.pk])
    form = {
        "title": "Rewritten title",
        "slug": case_study.slug,
        "summary": "A new summary.",
        "body": "",
        "response": "adapt",
        "secondary_response": "",
        "service_areas": [area.pk],
        "start_year": "2016",
        "councils": [council.pk],
        "partnership": "",
        "status": "draft",
        "opened_version": case_study.version,
        "outcomes-TOTAL_FORMS": "1",
        "outcomes-INITIAL_FORMS": "0",
        "outcomes-0-kind": "projected",
        "outcomes-0-evidence": "reported",
        "outcomes-0-confidence": "medium",
        "outcomes-0-description": "Savings of £2m expected",
        "outcomes-0-figure": "2",
        "outcomes-0-unit": "£m",
        "outcomes-0-period": "by 2020",
        "sources-TOTAL_FORMS": "1",
        "sources-INITIAL_FORMS": "0",
        "sources-0-title": "Cabinet report",
        "sources-0-publisher": "The council",
        "sources-0-year": "2016",
        "sources-0-url": "https://example.org/cabinet",
        "sources-0-section": "p. 4",
    }

    response = staff_client.post(url, form)

    assert response.status_code == 302, response.content.decode()[:2000]
    case_study = CaseStudy.objects.get(pk=case_study.pk)
    assert case_study.title == "Rewritten title"
    assert case_study.outcomes.get().figure_text == "£2m"
    assert case_study.sources.get().section == "p. 4"
