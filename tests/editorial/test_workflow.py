import pytest
from django.urls import reverse

from catalogue.models import TRANSITIONS, CaseStudy, Status, WorkflowError
from tests.admin_forms import case_study_form, change_url
from tests.factories import (
    make_case_study,
    make_editor,
    make_outcome,
    make_publisher,
    make_ready_case_study,
    make_source,
)

ALLOWED = [
    (Status.DRAFT, "submit", Status.IN_REVIEW, "editor"),
    (Status.IN_REVIEW, "return_to_draft", Status.DRAFT, "editor"),
    (Status.IN_REVIEW, "publish", Status.PUBLISHED, "publisher"),
    (Status.PUBLISHED, "unpublish", Status.DRAFT, "publisher"),
    (Status.PUBLISHED, "archive", Status.ARCHIVED, "publisher"),
    (Status.ARCHIVED, "return_to_draft", Status.DRAFT, "publisher"),
]
ROLES = {"editor": make_editor, "publisher": make_publisher}


def test_the_tests_cover_every_transition():
    assert {(start, end) for start, _, end, _ in ALLOWED} == set(TRANSITIONS)


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "method", "end", "role"), ALLOWED)
def test_each_transition_is_allowed_to_its_role(start, method, end, role):
    case_study = make_ready_case_study(status=start)

    getattr(case_study, method)(by=ROLES[role]())

    assert CaseStudy.objects.get(pk=case_study.pk).status == end


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "method", "end", "role"), ALLOWED)
def test_publishers_may_make_every_move_editors_may(start, method, end, role):
    case_study = make_ready_case_study(status=start)
    getattr(case_study, method)(by=make_publisher())
    assert CaseStudy.objects.get(pk=case_study.pk).status == end


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "method"),
    [
        (Status.IN_REVIEW, "publish"),
        (Status.PUBLISHED, "unpublish"),
        (Status.PUBLISHED, "archive"),
        (Status.ARCHIVED, "return_to_draft"),
    ],
)
def test_an_editor_may_not_make_a_publishers_move(start, method):
    case_study = make_ready_case_study(status=start)

    with pytest.raises(WorkflowError, match="that is for a publisher"):
        getattr(case_study, method)(by=make_editor())

    assert CaseStudy.objects.get(pk=case_study.pk).status == start


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "method"),
    [
        (Status.DRAFT, "publish"),
        (Status.DRAFT, "archive"),
        (Status.DRAFT, "unpublish"),
        (Status.DRAFT, "return_to_draft"),
        (Status.IN_REVIEW, "submit"),
        (Status.IN_REVIEW, "archive"),
        (Status.IN_REVIEW, "unpublish"),
        (Status.PUBLISHED, "submit"),
        (Status.PUBLISHED, "publish"),
        (Status.PUBLISHED, "return_to_draft"),
        (Status.ARCHIVED, "publish"),
        (Status.ARCHIVED, "submit"),
        (Status.ARCHIVED, "unpublish"),
    ],
)
def test_moves_outside_the_workflow_are_refused_even_to_a_publisher(start, method):
    case_study = make_ready_case_study(status=start)

    with pytest.raises(WorkflowError) as refusal:
        getattr(case_study, method)(by=make_publisher())

    assert str(refusal.value)  # says why, in words
    assert CaseStudy.objects.get(pk=case_study.pk).status == start


@pytest.mark.django_db
def test_a_refusal_names_the_way_forward():
    case_study = make_ready_case_study(status=Status.DRAFT)
    with pytest.raises(WorkflowError) as refusal:
        case_study.publish(by=make_publisher())
    assert str(refusal.value) == (
        "A case study that is draft cannot become published; from draft it can only become "
        "in review."
    )


@pytest.mark.django_db
def test_publishing_lists_everything_missing_in_plain_words():
    case_study = make_case_study(status=Status.IN_REVIEW, councils=[], service_areas=[])
    make_source(case_study=case_study, url="")  # a source, but with no web address

    with pytest.raises(WorkflowError) as refusal:
        case_study.publish(by=make_publisher())

    assert refusal.value.missing == [
        "at least one service area",
        "at least one council",
        "at least one outcome",
        "at least one source with a web address (URL)",
    ]
    assert "It still needs at least one service area, at least one council, at least one " in (
        str(refusal.value)
    )
    assert CaseStudy.objects.get(pk=case_study.pk).status == Status.IN_REVIEW


@pytest.mark.django_db
def test_a_blank_summary_blocks_publishing():
    case_study = make_ready_case_study(status=Status.IN_REVIEW, summary="   ")
    with pytest.raises(WorkflowError, match="a summary"):
        case_study.publish(by=make_publisher())


@pytest.mark.django_db
def test_the_edit_page_shows_the_checklist(client):
    client.force_login(make_editor())
    case_study = make_case_study(status=Status.DRAFT)
    make_source(case_study=case_study)

    page = client.get(change_url(case_study)).content.decode()

    assert "Still needed before publishing: at least one outcome." in page
    assert "Done: at least one source with a web address (URL)" in page
    assert "Missing: at least one outcome" in page


@pytest.mark.django_db
def test_publishing_through_the_form_is_blocked_with_the_missing_items_and_input_kept(client):
    client.force_login(make_publisher())
    case_study = make_case_study(status=Status.IN_REVIEW)
    make_source(case_study=case_study)
    outcome = make_outcome(case_study=case_study)
    # The publisher deletes the only outcome while publishing, and retitles it.
    form = case_study_form(case_study, status=Status.PUBLISHED, title="A retitled draft")
    form["outcomes-0-DELETE"] = "on"

    response = client.post(change_url(case_study), form)

    assert response.status_code == 200
    page = response.content.decode()
    assert "cannot be published yet. It still needs at least one outcome." in page
    assert 'value="A retitled draft"' in page  # what they typed is still on screen
    case_study = CaseStudy.objects.get(pk=case_study.pk)
    assert case_study.status == Status.IN_REVIEW
    assert case_study.title != "A retitled draft"
    assert case_study.outcomes.get() == outcome  # the whole save was undone


@pytest.mark.django_db
def test_adding_the_missing_outcome_while_publishing_succeeds(client):
    client.force_login(make_publisher())
    case_study = make_case_study(status=Status.IN_REVIEW)
    make_source(case_study=case_study)
    form = case_study_form(case_study, status=Status.PUBLISHED)
    form.update(
        {
            "outcomes-TOTAL_FORMS": "1",
            "outcomes-0-kind": "achieved",
            "outcomes-0-evidence": "reported",
            "outcomes-0-confidence": "high",
            "outcomes-0-description": "Waiting times halved",
        }
    )

    response = client.post(change_url(case_study), form)

    assert response.status_code == 302
    assert CaseStudy.objects.get(pk=case_study.pk).status == Status.PUBLISHED


@pytest.mark.django_db
def test_the_publish_action_reports_what_it_could_not_publish(client):
    client.force_login(make_publisher())
    ready = make_ready_case_study(status=Status.IN_REVIEW, title="Ready one")
    bare = make_case_study(status=Status.IN_REVIEW, title="Bare one")

    response = client.post(
        reverse("admin:catalogue_casestudy_changelist"),
        {"action": "publish_selected", "_selected_action": [ready.pk, bare.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert "Published 1 case study." in page
    assert "“Bare one” cannot be published yet. It still needs at least one outcome and" in page
    assert CaseStudy.objects.get(pk=ready.pk).status == Status.PUBLISHED
    assert CaseStudy.objects.get(pk=bare.pk).status == Status.IN_REVIEW


@pytest.mark.django_db
def test_archived_case_studies_are_not_public(client):
    case_study = make_ready_case_study(status=Status.PUBLISHED)
    case_study.archive(by=make_publisher())

    assert client.get(case_study.get_absolute_url()).status_code == 404
    assert case_study.title not in client.get("/case-studies/").content.decode()
    assert not CaseStudy.objects.published().exists()


@pytest.mark.django_db
def test_an_edit_posted_to_a_published_case_study_changes_nothing_readers_see(client):
    client.force_login(make_editor())
    case_study = make_ready_case_study(status=Status.PUBLISHED, title="As published")
    form = case_study_form(case_study, title="Crafted straight onto the live page")
    form["sources-0-DELETE"] = "on"
    form["outcomes-0-description"] = "A crafted outcome"

    client.post(change_url(case_study), form)

    case_study.refresh_from_db()
    assert case_study.title == "As published"
    assert case_study.sources.count() == 1
    assert case_study.outcomes.get().description != "A crafted outcome"
    assert "Crafted" not in client.get(case_study.get_absolute_url()).content.decode()
