from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalogue import history
from catalogue.models import CaseStudy, months_before
from tests.admin_forms import case_study_form, change_url
from tests.factories import make_case_study, make_editor, make_ready_case_study

CHANGELIST = reverse("admin:catalogue_casestudy_changelist")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 28), date(2025, 5, 28)),
        (date(2026, 8, 31), date(2025, 2, 28)),
        (date(2026, 1, 15), date(2024, 7, 15)),
    ],
)
def test_eighteen_months_before_a_day(day, expected):
    assert months_before(day, 18) == expected


@pytest.mark.django_db
def test_marking_as_checked_is_recorded_apart_from_editing(client):
    editor = make_editor()
    client.force_login(editor)
    case_study = make_case_study()
    edited = case_study.updated_at

    response = client.post(
        CHANGELIST,
        {"action": "mark_checked_selected", "_selected_action": [case_study.pk]},
        follow=True,
    )

    assert "Marked as checked today: 1 case study." in response.content.decode()
    case_study = CaseStudy.objects.get(pk=case_study.pk)
    assert case_study.last_checked == timezone.localdate()
    assert case_study.updated_at == edited  # checking is not editing
    version = history.versions(case_study).first()
    assert (version.history_user, version.history_change_reason) == (
        editor,
        "Checked against its sources",
    )


@pytest.mark.django_db
def test_save_and_mark_as_checked_from_the_edit_page(client):
    client.force_login(make_editor())
    case_study = make_ready_case_study()
    assert "Save and mark as checked today" in client.get(change_url(case_study)).content.decode()

    form = case_study_form(case_study, summary="Corrected against the council's report.")
    form["_mark_checked"] = "Save and mark as checked today"
    assert client.post(change_url(case_study), form).status_code == 302

    case_study = CaseStudy.objects.get(pk=case_study.pk)
    assert case_study.last_checked == timezone.localdate()
    assert case_study.summary == "Corrected against the council's report."


@pytest.mark.django_db
def test_the_admin_lists_case_studies_not_checked_for_eighteen_months(client):
    client.force_login(make_editor())
    today = timezone.localdate()
    never = make_case_study(title="Never checked")
    stale = make_case_study(title="Checked long ago")
    fresh = make_case_study(title="Checked recently")
    CaseStudy.objects.filter(pk=stale.pk).update(last_checked=today - timedelta(days=560))
    CaseStudy.objects.filter(pk=fresh.pk).update(last_checked=today - timedelta(days=180))

    page = client.get(CHANGELIST, {"checked": "due"}).content.decode()

    assert "Not checked for 18 months (or never)" in page
    assert never.title in page and stale.title in page
    assert fresh.title not in page


@pytest.mark.django_db
def test_readers_see_when_a_case_study_was_last_checked(client):
    case_study = make_case_study()
    CaseStudy.objects.filter(pk=case_study.pk).update(last_checked=date(2026, 3, 2))

    page = client.get(case_study.get_absolute_url()).content.decode()

    assert "Checked against its sources" in page
    assert "2 March 2026" in page
