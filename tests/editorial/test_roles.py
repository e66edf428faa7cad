import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.urls import reverse

from catalogue.models import CaseStudy, Status
from tests.admin_forms import case_study_form, change_url
from tests.editorial.test_accounts import Terminal
from tests.factories import (
    make_case_study,
    make_council,
    make_editor,
    make_organisation,
    make_partnership,
    make_publisher,
    make_ready_case_study,
    make_service_area,
)

EDITOR_PERMISSIONS = {
    "catalogue.add_casestudy",
    "catalogue.change_casestudy",
    "catalogue.view_casestudy",
    "catalogue.submit_casestudy",
    "catalogue.add_outcome",
    "catalogue.change_outcome",
    "catalogue.delete_outcome",
    "catalogue.view_outcome",
    "catalogue.add_source",
    "catalogue.change_source",
    "catalogue.delete_source",
    "catalogue.view_source",
    "catalogue.view_servicearea",
    "partnerships.add_council",
    "partnerships.change_council",
    "partnerships.view_council",
    "partnerships.add_organisation",
    "partnerships.change_organisation",
    "partnerships.view_organisation",
    "partnerships.add_partnership",
    "partnerships.change_partnership",
    "partnerships.view_partnership",
    "partnerships.add_membership",
    "partnerships.change_membership",
    "partnerships.delete_membership",
    "partnerships.view_membership",
}
PUBLISHER_PERMISSIONS = EDITOR_PERMISSIONS | {
    "catalogue.publish_casestudy",
    "catalogue.unpublish_casestudy",
    "catalogue.archive_casestudy",
}
CHANGELIST = reverse("admin:catalogue_casestudy_changelist")


def group_permissions(name: str) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=name).permissions.select_related("content_type")
    }


@pytest.mark.django_db
def test_the_roles_have_exactly_their_permissions():
    assert group_permissions("Editor") == EDITOR_PERMISSIONS
    assert group_permissions("Publisher") == PUBLISHER_PERMISSIONS


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["editor", "publisher"])
def test_an_account_is_created_in_a_role_with_a_prompted_password(monkeypatch, role):
    typed = iter(["short", "short", "a-long-enough-passphrase", "a-long-enough-passphrase"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    monkeypatch.setattr("sys.stdin", Terminal())

    call_command("createeditor", "alex", role=role)

    alex = User.objects.get(username="alex")
    assert alex.is_staff and not alex.is_superuser
    assert [g.name for g in alex.groups.all()] == [role.capitalize()]
    assert alex.check_password("a-long-enough-passphrase")  # the weak one was refused


@pytest.mark.django_db
def test_an_existing_username_is_not_taken_over():
    make_editor()
    existing = User.objects.get()
    with pytest.raises(CommandError, match="already an account"):
        call_command("createeditor", existing.username, role="publisher")


@pytest.mark.django_db
@pytest.mark.parametrize("make_user", [make_editor, make_publisher], ids=["editor", "publisher"])
def test_both_roles_create_and_edit_everything_a_case_study_is_made_of(client, make_user):
    client.force_login(make_user())
    case_study = make_ready_case_study()
    partnership = make_partnership(partners={make_organisation(): "Provider"})
    objects = {
        "catalogue_casestudy": case_study,
        "catalogue_outcome": case_study.outcomes.get(),
        "catalogue_source": case_study.sources.get(),
        "partnerships_council": make_council(),
        "partnerships_organisation": make_organisation(),
        "partnerships_partnership": partnership,
    }
    for name, obj in objects.items():
        assert client.get(reverse(f"admin:{name}_add")).status_code == 200, name
        assert client.get(reverse(f"admin:{name}_change", args=[obj.pk])).status_code == 200

    response = client.post(
        change_url(case_study), case_study_form(case_study, title="Edited by a role")
    )

    assert response.status_code == 302
    assert CaseStudy.objects.get(pk=case_study.pk).title == "Edited by a role"


@pytest.mark.django_db
@pytest.mark.parametrize("make_user", [make_editor, make_publisher], ids=["editor", "publisher"])
def test_neither_role_deletes_case_studies_or_changes_the_taxonomy(client, make_user):
    client.force_login(make_user())
    case_study = make_case_study()
    area = make_service_area()

    assert (
        client.get(reverse("admin:catalogue_casestudy_delete", args=[case_study.pk])).status_code
        == 403
    )
    response = client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [case_study.pk], "post": "yes"},
    )
    assert CaseStudy.objects.filter(pk=case_study.pk).exists(), response
    assert client.get(reverse("admin:catalogue_servicearea_add")).status_code == 403
    assert (
        client.get(reverse("admin:catalogue_servicearea_change", args=[area.pk])).status_code
        == 200
    )
    assert (
        client.post(
            reverse("admin:catalogue_servicearea_change", args=[area.pk]),
            {"name": "Renamed", "slug": area.slug},
        ).status_code
        == 403
    )


@pytest.mark.django_db
def test_an_editor_is_not_offered_publishing(client):
    client.force_login(make_editor())
    case_study = make_ready_case_study(status=Status.IN_REVIEW)

    changelist = client.get(CHANGELIST).content.decode()
    change_form = client.get(change_url(case_study)).content.decode()

    assert "submit_selected" in changelist
    for action in ["publish_selected", "unpublish_selected", "archive_selected"]:
        assert action not in changelist
    assert '<option value="published"' not in change_form
    assert '<option value="draft"' in change_form  # an editor may withdraw a submission


@pytest.mark.django_db
def test_an_editors_crafted_publish_action_is_refused(client):
    client.force_login(make_editor())
    case_study = make_ready_case_study(status=Status.IN_REVIEW)

    client.post(CHANGELIST, {"action": "publish_selected", "_selected_action": [case_study.pk]})

    case_study.refresh_from_db()
    assert case_study.status == Status.IN_REVIEW
    assert client.get(case_study.get_absolute_url()).status_code == 200  # a preview, not public
    client.logout()
    assert client.get(case_study.get_absolute_url()).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.IN_REVIEW, Status.PUBLISHED),
        (Status.DRAFT, Status.PUBLISHED),
        (Status.PUBLISHED, Status.ARCHIVED),
        (Status.PUBLISHED, Status.DRAFT),
    ],
)
def test_an_editors_crafted_change_form_post_cannot_publish_or_withdraw(client, start, target):
    client.force_login(make_editor())
    case_study = make_ready_case_study(status=start)

    response = client.post(
        change_url(case_study), case_study_form(case_study, status=target, title="Sneaky")
    )

    if start == Status.PUBLISHED:  # changed only through its pending changes
        assert response.status_code == 409
    else:
        assert response.status_code == 200
        assert "that is for a publisher" in response.content.decode() or (
            "cannot become" in response.content.decode()
        )
    case_study = CaseStudy.objects.get(pk=case_study.pk)
    assert case_study.status == start
    assert case_study.title != "Sneaky"  # nothing from a refused save is kept


@pytest.mark.django_db
def test_an_editor_submits_for_review_through_the_change_form(client):
    client.force_login(make_editor())
    case_study = make_case_study(status=Status.DRAFT)

    response = client.post(
        change_url(case_study), case_study_form(case_study, status=Status.IN_REVIEW)
    )

    assert response.status_code == 302
    assert CaseStudy.objects.get(pk=case_study.pk).status == Status.IN_REVIEW


@pytest.mark.django_db
def test_a_publisher_publishes_and_archives_through_the_admin(client):
    client.force_login(make_publisher())
    case_study = make_ready_case_study(status=Status.IN_REVIEW)

    response = client.post(
        change_url(case_study), case_study_form(case_study, status=Status.PUBLISHED)
    )
    assert response.status_code == 302
    assert CaseStudy.objects.get(pk=case_study.pk).status == Status.PUBLISHED

    client.post(CHANGELIST, {"action": "archive_selected", "_selected_action": [case_study.pk]})
    assert CaseStudy.objects.get(pk=case_study.pk).status == Status.ARCHIVED


@pytest.mark.django_db
def test_an_editors_crafted_publish_from_the_edit_pages_action_menu_is_refused(client):
    client.force_login(make_editor())
    case_study = make_ready_case_study(status=Status.IN_REVIEW)

    client.post(
        change_url(case_study),
        {"CHANGE_FORM-action": "publish_selected", "_selected_action": [case_study.pk]},
    )

    assert CaseStudy.objects.get(pk=case_study.pk).status == Status.IN_REVIEW


@pytest.mark.django_db
def test_a_publisher_publishes_from_the_edit_pages_action_menu(client):
    client.force_login(make_publisher())
    case_study = make_ready_case_study(status=Status.IN_REVIEW)
    page = client.get(change_url(case_study)).content.decode()
    assert '<option value="publish_selected">Publish</option>' in page

    response = client.post(
        change_url(case_study),
        {"CHANGE_FORM-action": "publish_selected", "_selected_action": [case_study.pk]},
        follow=True,
    )

    assert "Published 1 case study." in response.content.decode()
    assert CaseStudy.objects.get(pk=case_study.pk).status == Status.PUBLISHED
