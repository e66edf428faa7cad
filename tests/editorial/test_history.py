import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from catalogue import history
from catalogue.models import CaseStudy, Outcome, Status
from tests.admin_forms import case_study_form, change_url
from tests.factories import (
    make_case_study,
    make_editor,
    make_outcome,
    make_publisher,
    make_ready_case_study,
    make_source,
)


def history_url(case_study: CaseStudy) -> str:
    return reverse("admin:catalogue_casestudy_history", args=[case_study.pk])


def version_url(case_study: CaseStudy, record) -> str:
    return reverse("admin:catalogue_casestudy_version", args=[case_study.pk, record.history_id])


def restore_url(case_study: CaseStudy, record) -> str:
    return reverse("admin:catalogue_casestudy_restore", args=[case_study.pk, record.history_id])


def latest(case_study: CaseStudy):
    return history.versions(case_study).first()


@pytest.mark.django_db
def test_an_admin_save_is_one_version_with_who_when_and_its_outcomes_and_sources(client):
    editor = make_editor()
    client.force_login(editor)
    case_study = make_case_study(status=Status.DRAFT)
    before = case_study.history.count()
    form = case_study_form(case_study, title="With an outcome")
    form.update(
        {
            "outcomes-TOTAL_FORMS": "1",
            "outcomes-0-kind": "achieved",
            "outcomes-0-evidence": "monitored",
            "outcomes-0-confidence": "high",
            "outcomes-0-description": "Delayed discharges fell by a third",
            "sources-TOTAL_FORMS": "1",
            "sources-0-title": "Annual report",
            "sources-0-url": "https://example.org/annual-report",
        }
    )

    assert client.post(change_url(case_study), form).status_code == 302

    assert case_study.history.count() == before + 1
    version = latest(case_study)
    assert version.history_user == editor
    assert version.history_change_reason == "Edited"
    contents = history.contents(version)
    assert contents["Title"] == "With an outcome"
    assert "Delayed discharges fell by a third" in contents["Outcomes"]
    assert "https://example.org/annual-report" in contents["Sources"]
    # The outcome and the source keep their own history too, with who.
    outcome = Outcome.objects.get(case_study=case_study)
    assert outcome.history.get().history_user == editor


@pytest.mark.django_db
def test_every_move_is_kept_with_who_made_it():
    editor, publisher = make_editor(), make_publisher()
    case_study = make_ready_case_study(status=Status.DRAFT)
    case_study.submit(by=editor)
    case_study.publish(by=publisher)

    records = list(history.versions(case_study)[:2])
    assert [(r.status, r.history_user, r.history_change_reason) for r in records] == [
        (Status.PUBLISHED, publisher, "Published"),
        (Status.IN_REVIEW, editor, "Submitted for review"),
    ]


@pytest.mark.django_db
def test_an_outcome_edited_on_its_own_page_is_a_new_version_of_its_case_study(client):
    editor = make_editor()
    client.force_login(editor)
    case_study = make_ready_case_study()
    outcome = case_study.outcomes.get()

    response = client.post(
        reverse("admin:catalogue_outcome_change", args=[outcome.pk]),
        {
            "case_study": case_study.pk,
            "description": "Rewritten outcome",
            "kind": outcome.kind,
            "evidence": outcome.evidence,
            "confidence": outcome.confidence,
            "figure": "",
            "unit": "",
            "period": "",
        },
    )

    assert response.status_code == 302
    version = latest(case_study)
    assert version.history_user == editor
    assert version.history_change_reason.startswith("Outcome saved")
    assert "Rewritten outcome" in history.contents(version)["Outcomes"]


@pytest.mark.django_db
def test_the_history_page_lists_versions_with_who_and_what_changed(client):
    editor = make_editor()
    client.force_login(editor)
    case_study = make_ready_case_study()
    client.post(change_url(case_study), case_study_form(case_study, title="Second title"))

    page = client.get(history_url(case_study)).content.decode()

    assert editor.username in page
    assert "Edited" in page
    assert "title" in page  # the field that changed


@pytest.mark.django_db
def test_a_version_is_compared_field_by_field_with_the_published_one(client):
    publisher = make_publisher()
    client.force_login(publisher)
    case_study = make_ready_case_study(status=Status.IN_REVIEW, title="Pooled budgets in Wigan")
    case_study.publish(by=publisher)
    case_study.unpublish(by=publisher)  # taken down for a rewrite
    client.post(
        change_url(case_study),
        case_study_form(case_study, title="Pooled budgets across Wigan", summary="New summary."),
    )

    response = client.get(version_url(case_study, latest(case_study)))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Compared with the <strong>published version</strong>" in page
    assert '<th scope="row">Title</th>' in page and '<th scope="row">Summary</th>' in page
    assert "<del>in</del> <ins>across</ins>" in page
    assert '<th scope="row">Councils</th>' not in page  # unchanged fields are not listed
    # Breadcrumbs lead back through the case study and its history.
    crumbs = page[page.index('class="breadcrumbs"') : page.index("</ol>")]
    assert f'href="{change_url(case_study)}">Pooled budgets across Wigan</a>' in crumbs
    assert ">History</a>" in crumbs


@pytest.mark.django_db
def test_restoring_an_earlier_version_brings_back_its_text_outcomes_and_sources(client):
    editor = make_editor()
    client.force_login(editor)
    case_study = make_ready_case_study(title="The original title")
    original_outcome = case_study.outcomes.get()
    client.post(change_url(case_study), case_study_form(case_study))  # a version to go back to
    good = latest(case_study)
    case_study.refresh_from_db()
    form = case_study_form(case_study, title="A worse title")
    form["outcomes-0-DELETE"] = "on"
    form.update(
        {
            "sources-TOTAL_FORMS": "2",
            "sources-1-title": "A doubtful blog",
            "sources-1-url": "https://example.org/blog",
        }
    )
    assert client.post(change_url(case_study), form).status_code == 302
    case_study.refresh_from_db()
    assert not case_study.outcomes.exists()

    response = client.post(
        restore_url(case_study, good), {"opened_version": case_study.version}, follow=True
    )

    assert "Restored the version of" in response.content.decode()
    case_study.refresh_from_db()
    assert case_study.title == "The original title"
    assert [o.description for o in case_study.outcomes.all()] == [original_outcome.description]
    assert not case_study.sources.filter(url="https://example.org/blog").exists()
    assert case_study.sources.count() == 1
    assert case_study.status == Status.DRAFT
    assert latest(case_study).history_change_reason.startswith("Restored the version of")
    assert latest(case_study).history_user == editor


@pytest.mark.django_db
def test_restoring_never_changes_the_status():
    publisher = make_publisher()
    case_study = make_ready_case_study(status=Status.IN_REVIEW)
    draft_version = latest(case_study)
    case_study.publish(by=publisher)

    history.restore(case_study=case_study, record=draft_version, by=publisher)

    assert CaseStudy.objects.get(pk=case_study.pk).status == Status.PUBLISHED


@pytest.mark.django_db
def test_restoring_a_published_case_study_goes_to_its_pending_changes(client):
    publisher = make_publisher()
    client.force_login(make_editor())
    case_study = make_case_study(status=Status.IN_REVIEW, title="Before sources")
    bare = latest(case_study)
    make_outcome(case_study=case_study)
    make_source(case_study=case_study)
    case_study.title = "As published"
    case_study.save()
    case_study.publish(by=publisher)

    response = client.post(
        restore_url(case_study, bare), {"opened_version": case_study.version}, follow=True
    )

    assert "into the pending changes of “As published”" in response.content.decode()
    revision = CaseStudy.objects.get(revision_of=case_study)
    assert revision.title == "Before sources"
    assert not revision.outcomes.exists() and not revision.sources.exists()
    # Readers still see the published version, outcomes and sources included.
    case_study.refresh_from_db()
    assert case_study.title == "As published"
    assert case_study.outcomes.count() == 1 and case_study.sources.count() == 1
    page = client.get(case_study.get_absolute_url()).content.decode()
    assert "Before sources" not in page
    # Published as it is, it would strip the case study of what publishing needs.
    client.force_login(publisher)
    response = client.post(
        reverse("admin:catalogue_casestudy_revision", args=[revision.pk]),
        {"publish": "1"},
        follow=True,
    )
    assert "cannot be published yet. It still needs at least one outcome" in (
        response.content.decode()
    )
    assert CaseStudy.objects.get(pk=case_study.pk).title == "As published"


@pytest.mark.django_db
def test_restoring_needs_change_permission_and_a_post(client):
    case_study = make_ready_case_study()
    record = latest(case_study)
    viewer = User.objects.create_user(username="viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_casestudy"))
    client.force_login(viewer)

    assert client.get(history_url(case_study)).status_code == 200
    assert client.get(version_url(case_study, record)).status_code == 200
    assert client.post(restore_url(case_study, record)).status_code == 403

    client.force_login(make_editor())
    assert client.get(restore_url(case_study, record)).status_code == 405


@pytest.mark.django_db
def test_a_restore_from_a_stale_page_is_refused(client):
    client.force_login(make_editor())
    case_study = make_ready_case_study(title="First")
    first = latest(case_study)
    opened = case_study.version
    case_study.title = "Saved by someone else meanwhile"
    case_study.save()

    response = client.post(restore_url(case_study, first), {"opened_version": opened}, follow=True)

    assert "nothing was restored" in response.content.decode()
    assert CaseStudy.objects.get(pk=case_study.pk).title == "Saved by someone else meanwhile"
