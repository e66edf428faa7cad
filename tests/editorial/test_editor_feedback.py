"""What the admin tells editors: status moves by name, newest first, real changes only."""

import pytest
from django.urls import reverse

from catalogue import history
from catalogue.models import CaseStudy, Status
from tests.admin_forms import case_study_form, change_url
from tests.factories import make_editor, make_publisher, make_ready_case_study


@pytest.mark.django_db
def test_saving_with_a_new_status_says_which_move_was_made(client):
    client.force_login(make_editor())
    case_study = make_ready_case_study(status=Status.DRAFT)

    response = client.post(
        change_url(case_study), case_study_form(case_study, status=Status.IN_REVIEW), follow=True
    )

    assert "Moved from draft to in review." in response.content.decode()
    assert CaseStudy.objects.get(pk=case_study.pk).status == Status.IN_REVIEW


@pytest.mark.django_db
def test_the_newest_case_study_is_listed_first_even_as_a_draft(client):
    client.force_login(make_editor())
    make_ready_case_study(status=Status.PUBLISHED, title="An older published one")
    make_ready_case_study(status=Status.DRAFT, title="A brand new draft")

    page = client.get(reverse("admin:catalogue_casestudy_changelist")).content.decode()

    assert page.index("A brand new draft") < page.index("An older published one")


@pytest.mark.django_db
def test_a_change_of_line_endings_alone_is_no_change_in_the_history(client):
    client.force_login(make_editor())
    case_study = make_ready_case_study(status=Status.DRAFT, body="One line.\nAnother line.")
    client.post(change_url(case_study), case_study_form(case_study))
    case_study.refresh_from_db()

    client.post(
        change_url(case_study), case_study_form(case_study, body="One line.\r\nAnother line.")
    )

    latest = history.versions(case_study).first()
    page = client.get(reverse("admin:catalogue_casestudy_history", args=[case_study.pk]))
    assert "Body" not in [change.field for change in history.changes_since(case_study, 1)[0]]
    row = next(row for row in history.timeline(case_study) if row["record"] == latest)
    assert row["changed"] == []
    assert page.status_code == 200


@pytest.mark.django_db
def test_a_version_is_shown_from_old_to_new(client):
    publisher = make_publisher()
    client.force_login(publisher)
    case_study = make_ready_case_study(status=Status.IN_REVIEW, title="First title")
    first = history.versions(case_study).first()
    case_study.title = "Second title"
    case_study.save()

    page = client.get(
        reverse("admin:catalogue_casestudy_version", args=[case_study.pk, first.history_id])
        + "?against=current"
    ).content.decode()

    assert "Old: this version" in page and "→ New: the current version" in page
    assert "<del>First</del> <ins>Second</ins>" in page
