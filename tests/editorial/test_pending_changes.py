"""A published case study changes only through pending changes that a publisher publishes."""

import pytest
from django.test import Client
from django.urls import reverse

from catalogue import history
from catalogue.models import CaseStudy, Outcome, Source, Status
from tests.admin_forms import case_study_form, change_url
from tests.factories import (
    make_council,
    make_editor,
    make_outcome,
    make_publisher,
    make_ready_case_study,
)


def revise_url(case_study: CaseStudy) -> str:
    return reverse("admin:catalogue_casestudy_revise", args=[case_study.pk])


def revision_url(revision: CaseStudy) -> str:
    return reverse("admin:catalogue_casestudy_revision", args=[revision.pk])


def start_pending_changes(client: Client, case_study: CaseStudy) -> CaseStudy:
    response = client.post(revise_url(case_study))
    revision = CaseStudy.objects.get(revision_of=case_study)
    assert response.status_code == 302 and response["Location"] == change_url(revision)
    return revision


def public_page(case_study: CaseStudy) -> str:
    response = Client().get(case_study.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_an_editors_change_to_a_published_case_study_waits_for_a_publisher(client):
    editor, publisher = make_editor(), make_publisher()
    live = make_ready_case_study(status=Status.PUBLISHED, title="Shared care in Wigan")
    outcome = live.outcomes.get()
    outcome.description = "Fewer hospital admissions"
    outcome.save()
    client.force_login(editor)
    page = client.get(change_url(live)).content.decode()
    assert "Edit as pending changes" in page and 'name="_save"' not in page

    revision = start_pending_changes(client, live)
    new_council = make_council(name="Bolton")
    form = case_study_form(revision, title="Shared care across Wigan")
    form["outcomes-0-description"] = "Far fewer hospital admissions"
    form["councils"] = [*form["councils"], str(new_council.pk)]
    response = client.post(change_url(revision), form, follow=True)

    assert "Saved in the pending changes of “Shared care in Wigan”" in response.content.decode()
    page = public_page(live)
    assert "Shared care in Wigan" in page and "Shared care across Wigan" not in page
    assert "Fewer hospital admissions" in page and "Far fewer" not in page
    assert "Bolton" not in page
    for public in ["/case-studies/", "/case-studies/export.csv", "/case-studies/feed.atom",
                   f"/api/case-studies/{live.slug}/", "/api/case-studies/"]:  # fmt: skip
        response = Client().get(public)
        body = b"".join(response) if response.streaming else response.content
        text = body.decode("utf-8-sig")
        assert "Shared care in Wigan" in text and "across Wigan" not in text, public
    assert Client().get(revision.get_absolute_url()).status_code == 404
    # The live page offers the pending changes instead of a second copy.
    assert "Open the pending changes" in client.get(change_url(live)).content.decode()
    assert start_pending_changes(client, live) == revision

    client.force_login(publisher)
    review = client.get(revision_url(revision)).content.decode()
    assert "<ins>across</ins>" in review and "<del>in</del>" in review
    assert "<del>Fewer</del> <ins>Far fewer</ins>" in review and "Bolton" in review
    crumbs = review[review.index('class="breadcrumbs"') : review.index("</ol>")]
    assert f'href="{change_url(live)}">' in crumbs  # back to the published case study
    response = client.post(revision_url(revision), {"publish": "1"}, follow=True)

    assert "Published the pending changes" in response.content.decode()
    page = public_page(live)
    assert "Shared care across Wigan" in page and "Far fewer hospital admissions" in page
    assert "Bolton" in page
    live.refresh_from_db()
    assert (live.status, live.slug) == (Status.PUBLISHED, live.slug)
    assert not CaseStudy.objects.filter(revision_of=live).exists()
    assert CaseStudy.objects.count() == 1
    version = history.versions(live).first()
    assert version.history_user == publisher
    assert version.history_change_reason.startswith("Published pending changes made by")
    assert editor.username in version.history_change_reason


@pytest.mark.django_db
def test_a_publisher_publishes_pending_changes_through_the_status_field_too(client):
    live = make_ready_case_study(status=Status.PUBLISHED, title="Before")
    client.force_login(make_publisher())
    revision = start_pending_changes(client, live)
    form = case_study_form(revision, title="After", status=Status.IN_REVIEW)
    assert client.post(change_url(revision), form).status_code == 302
    revision.refresh_from_db()

    response = client.post(
        change_url(revision), case_study_form(revision, status=Status.PUBLISHED), follow=True
    )

    assert response.redirect_chain[-1][0] == change_url(live)
    assert "After" in public_page(live)
    assert CaseStudy.objects.count() == 1


@pytest.mark.django_db
def test_pending_changes_can_be_discarded(client):
    live = make_ready_case_study(status=Status.PUBLISHED, title="Kept")
    client.force_login(make_editor())
    revision = start_pending_changes(client, live)
    client.post(change_url(revision), case_study_form(revision, title="Thrown away"))

    response = client.post(revision_url(revision), {"discard": "1"}, follow=True)

    assert "Discarded the pending changes" in response.content.decode()
    assert not CaseStudy.objects.filter(revision_of=live).exists()
    assert "Kept" in public_page(live)


@pytest.mark.django_db
def test_an_editor_cannot_publish_pending_changes(client):
    live = make_ready_case_study(status=Status.PUBLISHED, title="Kept")
    client.force_login(make_editor())
    revision = start_pending_changes(client, live)
    client.post(change_url(revision), case_study_form(revision, title="Unreviewed"))

    assert "Publish these changes" not in client.get(revision_url(revision)).content.decode()
    response = client.post(revision_url(revision), {"publish": "1"}, follow=True)

    assert "Nothing was published" in response.content.decode()
    assert "Kept" in public_page(live)


# -- the Outcome and Source pages --------------------------------------------------------------


def outcome_url(outcome: Outcome, action: str = "change") -> str:
    return reverse(f"admin:catalogue_outcome_{action}", args=[outcome.pk])


@pytest.mark.django_db
def test_the_outcome_page_cannot_change_or_delete_a_published_case_studys_outcome(client):
    live = make_ready_case_study(status=Status.PUBLISHED)
    outcome = live.outcomes.get()
    client.force_login(make_editor())

    page = client.get(outcome_url(outcome)).content.decode()
    assert "belongs to the published case study" in page
    post = {
        "case_study": live.pk, "description": "Changed", "kind": "achieved",
        "evidence": "reported", "confidence": "high",
    }  # fmt: skip
    assert client.post(outcome_url(outcome), post).status_code == 403
    response = client.post(outcome_url(outcome, "delete"), {"post": "yes"}, follow=True)
    assert "Nothing was deleted" in response.content.decode()
    response = client.post(
        reverse("admin:catalogue_outcome_changelist"),
        {"action": "delete_selected", "_selected_action": [outcome.pk], "post": "yes"},
        follow=True,
    )
    assert "Nothing was deleted" in response.content.decode()
    assert Outcome.objects.get(pk=outcome.pk).description == outcome.description


@pytest.mark.django_db
def test_a_drafts_outcome_cannot_be_moved_into_a_published_case_study(client):
    live = make_ready_case_study(status=Status.PUBLISHED, title="Live one")
    draft = make_ready_case_study(status=Status.DRAFT)
    outcome = draft.outcomes.get()
    client.force_login(make_editor())

    response = client.post(
        outcome_url(outcome),
        {
            "case_study": live.pk, "description": outcome.description, "kind": "achieved",
            "evidence": "reported", "confidence": "high",
        },
    )  # fmt: skip

    assert response.status_code == 200
    assert "“Live one” is published: add outcomes to it in its pending changes" in (
        response.content.decode()
    )
    assert Outcome.objects.get(pk=outcome.pk).case_study == draft
    assert live.outcomes.count() == 1


@pytest.mark.django_db
def test_a_source_saved_on_its_own_page_is_not_reverted_by_an_earlier_case_study_form():
    case_study = make_ready_case_study(status=Status.DRAFT)
    source = case_study.sources.get()
    anna, ben = Client(), Client()
    anna.force_login(make_editor())
    ben.force_login(make_editor())
    anna_form = case_study_form(case_study)  # Anna opens the case study

    response = ben.post(
        reverse("admin:catalogue_source_change", args=[source.pk]),
        {"case_study": case_study.pk, "title": "Corrected title", "url": source.url},
    )
    assert response.status_code == 302
    response = anna.post(change_url(case_study), {**anna_form, "summary": "Anna's summary"})

    assert "Someone else saved this case study after you opened it" in (response.content.decode())
    assert "<ins>Corrected</ins>" in response.content.decode()  # what Ben changed is shown
    assert Source.objects.get(pk=source.pk).title == "Corrected title"


@pytest.mark.django_db
def test_an_outcome_deleted_on_its_own_page_is_not_brought_back_by_an_earlier_form():
    case_study = make_ready_case_study(status=Status.DRAFT)
    extra = make_outcome(case_study=case_study, description="A doubtful claim")
    anna, ben = Client(), Client()
    anna.force_login(make_editor())
    ben.force_login(make_editor())
    anna_form = case_study_form(case_study)

    ben.post(outcome_url(extra, "delete"), {"post": "yes"})
    response = anna.post(change_url(case_study), anna_form)

    assert response.status_code == 200
    assert "Someone else saved this case study" in response.content.decode()
    assert not Outcome.objects.filter(description="A doubtful claim").exists()


@pytest.mark.django_db
def test_the_publish_action_publishes_pending_changes_onto_the_published_case_study(client):
    live = make_ready_case_study(status=Status.PUBLISHED, title="Before")
    client.force_login(make_editor())
    revision = start_pending_changes(client, live)
    form = case_study_form(revision, title="After", status=Status.IN_REVIEW)
    client.post(change_url(revision), form)
    changelist = client.get(reverse("admin:catalogue_casestudy_changelist")).content.decode()
    assert "After (pending changes)" in changelist and "Has pending changes" in changelist
    assert "Before" in public_page(live)
    client.force_login(make_publisher())

    response = client.post(
        reverse("admin:catalogue_casestudy_changelist"),
        {"action": "publish_selected", "_selected_action": [revision.pk]},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == change_url(live)
    assert "After" in public_page(live)
    assert CaseStudy.objects.get().status == Status.PUBLISHED
