import re
import threading

import pytest
from django.db import connection
from django.test import Client

from catalogue.models import CaseStudy, EditConflict, Status
from tests.admin_forms import case_study_form, change_url
from tests.factories import make_editor, make_publisher, make_ready_case_study


def opened_version(page: str) -> str:
    return re.search(r'name="opened_version" value="(\d+)"', page).group(1)


@pytest.mark.django_db
def test_the_second_of_two_overlapping_saves_is_refused_and_keeps_its_text():
    case_study = make_ready_case_study(title="Shared care in Wigan")
    anna, ben = Client(), Client()
    anna_user, ben_user = make_editor(), make_editor()
    anna.force_login(anna_user)
    ben.force_login(ben_user)
    # Both open the edit page.
    anna_form = case_study_form(case_study)
    ben_form = case_study_form(case_study)
    assert opened_version(anna.get(change_url(case_study)).content.decode()) == str(
        case_study.version
    )

    anna_form["title"] = "Shared care across Wigan"
    assert anna.post(change_url(case_study), anna_form).status_code == 302
    ben_form["summary"] = "Ben's careful new summary."
    response = ben.post(change_url(case_study), ben_form)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Someone else saved this case study after you opened it" in page
    assert f"{anna_user.username} saved this case study" in page
    assert "Ben&#x27;s careful new summary." in page  # his text is still on screen
    assert "<ins>across</ins>" in page  # and what Anna changed is shown beside it
    saved = CaseStudy.objects.get(pk=case_study.pk)
    assert saved.title == "Shared care across Wigan"
    assert saved.summary != "Ben's careful new summary."

    # Having merged, Ben saves again from the re-shown form, and this time it is kept.
    ben_form.update(title="Shared care across Wigan", opened_version=opened_version(page))
    assert ben.post(change_url(case_study), ben_form).status_code == 302
    saved = CaseStudy.objects.get(pk=case_study.pk)
    assert (saved.title, saved.summary) == (
        "Shared care across Wigan",
        "Ben's careful new summary.",
    )


@pytest.mark.django_db
def test_a_workflow_move_in_between_also_counts_as_a_save(client):
    case_study = make_ready_case_study(status=Status.IN_REVIEW)
    client.force_login(make_editor())
    form = case_study_form(case_study, title="Edited while it was being published")
    case_study.return_to_draft(by=make_publisher())

    response = client.post(change_url(case_study), form)

    assert response.status_code == 200
    assert "Someone else saved this case study after you opened it" in response.content.decode()
    assert CaseStudy.objects.get(pk=case_study.pk).title != form["title"]


@pytest.mark.django_db
def test_a_save_from_before_publication_is_kept_on_screen_for_the_pending_changes(client):
    case_study = make_ready_case_study(status=Status.IN_REVIEW, title="As submitted")
    client.force_login(make_editor())
    form = case_study_form(case_study, title="Edited while it was being published")
    form["outcomes-0-description"] = "A late correction to the outcome"
    case_study.publish(by=make_publisher())

    response = client.post(change_url(case_study), form)

    page = response.content.decode()
    assert response.status_code == 409
    assert "was published after you opened it" in page
    assert "Edited while it was being published" in page
    assert "Outcome 1: description" in page and "A late correction to the outcome" in page
    assert CaseStudy.objects.get(pk=case_study.pk).title == "As submitted"


@pytest.mark.django_db
def test_a_post_without_the_version_it_was_opened_at_is_refused(client):
    case_study = make_ready_case_study()
    client.force_login(make_editor())
    form = case_study_form(case_study, title="Crafted")
    del form["opened_version"]

    response = client.post(change_url(case_study), form)

    assert response.status_code == 200
    assert CaseStudy.objects.get(pk=case_study.pk).title != "Crafted"


@pytest.mark.django_db
def test_a_stale_copy_cannot_overwrite_a_newer_save():
    case_study = make_ready_case_study()
    first = CaseStudy.objects.get(pk=case_study.pk)
    second = CaseStudy.objects.get(pk=case_study.pk)
    first.title = "First save"
    first.save()

    second.title = "Second save"
    with pytest.raises(EditConflict):
        second.save()

    assert CaseStudy.objects.get(pk=case_study.pk).title == "First save"


@pytest.mark.django_db
def test_a_save_that_lands_between_the_check_and_the_write_is_caught_too(client, monkeypatch):
    case_study = make_ready_case_study(title="Before")
    client.force_login(make_editor())
    form = case_study_form(case_study, title="Mine")
    original_save = CaseStudy.save
    raced = []

    def save_after_a_rival(self, *args, **kwargs):
        if not raced:  # another editor's save commits just before ours is written
            raced.append(True)
            CaseStudy.objects.filter(pk=self.pk).update(title="Theirs", version=self.version + 1)
        original_save(self, *args, **kwargs)

    monkeypatch.setattr(CaseStudy, "save", save_after_a_rival)

    response = client.post(change_url(case_study), form)

    assert response.status_code == 200
    assert "Someone else saved this case study after you opened it" in response.content.decode()
    assert 'value="Mine"' in response.content.decode()
    # (The rival's write shares this test's transaction, so it is rolled back with ours.)
    assert CaseStudy.objects.get(pk=case_study.pk).title != "Mine"


@pytest.mark.django_db(transaction=True)
def test_two_editors_saving_at_the_same_moment_get_one_save_and_one_conflict_form():
    case_study = make_ready_case_study(title="Saved twice at once")
    opened = case_study_form(case_study)
    editors = [make_editor(), make_editor()]
    start = threading.Barrier(len(editors))
    results: dict[int, object] = {}

    def save(n: int) -> None:
        try:
            client = Client()
            client.force_login(editors[n])
            start.wait()
            response = client.post(change_url(case_study), {**opened, "summary": f"By {n}"})
            results[n] = (response.status_code, response.content.decode())
        except Exception as error:  # a "database is locked" would land here
            results[n] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=[n]) for n in range(len(editors))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(isinstance(result, tuple) for result in results.values()), results
    outcomes = sorted(results.values())
    assert [status for status, _ in outcomes] == [200, 302], outcomes
    assert "Someone else saved this case study after you opened it" in outcomes[0][1]
    loser = 0 if "By 0" in outcomes[0][1] else 1
    assert CaseStudy.objects.get(pk=case_study.pk).summary == f"By {1 - loser}"
