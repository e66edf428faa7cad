"""A case study's page reads its stored article (CaseStudyPage) once a reader has rendered it:
the page is byte for byte the one rendered afresh, after every kind of edit."""

import pytest
from django.db import transaction
from django.urls import reverse

from catalogue import exports, pages
from catalogue.facets import current_index
from catalogue.models import CaseStudy, CaseStudyPage, CatalogueVersion, Status
from tests.admin_forms import case_study_form, change_url
from tests.catalogue.edits import EDITS, edit, small_catalogue
from tests.factories import make_case_study, make_editor, make_publisher, make_ready_case_study
from tests.outputs import body


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    settings.CATALOGUE_CACHE = False  # every request renders the page


@pytest.fixture
def catalogue(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return small_catalogue()


def url(case_study: CaseStudy) -> str:
    return f"/case-studies/{case_study.slug}/"


def rendered_afresh(client, monkeypatch, address: str) -> bytes:
    """The page as rendered from the case study, any stored page ignored (and kept)."""
    with monkeypatch.context() as patched:
        patched.setattr(pages, "stored", lambda slug: None)
        patched.setattr(pages, "keep", lambda page, version: None)
        return body(client.get(address))


def stored_ids() -> set[int]:
    return set(CaseStudyPage.objects.values_list("case_study_id", flat=True))


@pytest.mark.django_db
def test_the_first_reader_stores_a_missing_page_and_the_next_reads_it(
    client, catalogue, monkeypatch, django_assert_max_num_queries
):
    first = catalogue["cases"][0]
    CaseStudyPage.objects.all().delete()  # as after a change to everything, or a deploy

    page = body(client.get(url(first)))

    assert stored_ids() == {first.pk}
    monkeypatch.setattr(pages, "rendered", lambda *a: pytest.fail("rendered the article"))
    # The stored page with the catalogue's version and the partnership's case studies; the
    # related case studies' titles, remembered for that version once read.
    with django_assert_max_num_queries(2):
        assert body(client.get(url(first))) == page
    with django_assert_max_num_queries(1):
        assert body(client.get(url(first))) == page
    assert b"The council&#x27;s report, 2015" in page  # the stored part: the sources
    assert b"http://testserver/case-studies/" in page  # and the rest: the citation's address
    assert b"Case 1" in page  # and the related case studies


@pytest.mark.django_db
def test_an_edit_stores_the_page_again_once_it_commits(
    client, catalogue, monkeypatch, django_capture_on_commit_callbacks
):
    first, second, _ = catalogue["cases"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first.title = "Retitled by an editor"
        first.save()
        assert first.pk not in stored_ids()  # deleted in the edit's transaction

    for callback in callbacks:
        callback()

    assert {first.pk, second.pk} <= stored_ids()
    monkeypatch.setattr(pages, "rendered", lambda *a: pytest.fail("rendered the article"))
    assert b"Retitled by an editor" in body(client.get(url(first)))


@pytest.mark.django_db
def test_publishing_pending_changes_stores_the_page_once(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    """Through the admin, as a publisher does: the case study, its councils, service areas,
    outcomes and sources each change, and the page is rendered once for them all."""
    live = make_ready_case_study(status=Status.PUBLISHED, title="Before")
    client.force_login(make_editor())
    client.post(reverse("admin:catalogue_casestudy_revise", args=[live.pk]))
    revision = CaseStudy.objects.get(revision_of=live)
    client.post(
        change_url(revision), case_study_form(revision, title="After", status=Status.IN_REVIEW)
    )
    client.force_login(make_publisher())
    renders = []
    render = pages.rendered
    monkeypatch.setattr(pages, "rendered", lambda c: renders.append(c.pk) or render(c))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:catalogue_casestudy_changelist"),
            {"action": "publish_selected", "_selected_action": [revision.pk]},
        )

    assert renders == [live.pk]
    assert stored_ids() == {live.pk}
    client.logout()
    assert b"<h1>After</h1>" in body(client.get(url(live)))
    assert renders == [live.pk]  # read from the stored page


@pytest.mark.django_db
def test_bulk_work_leaves_its_pages_to_their_readers(
    client, catalogue, django_capture_on_commit_callbacks
):
    """An import changes hundreds of case studies, each many times: none is rendered then."""
    with django_capture_on_commit_callbacks(execute=True), exports.lines_deferred():
        for case_study in catalogue["cases"]:
            case_study.title += " (imported)"
            case_study.save()

    assert not CaseStudyPage.objects.exists()
    first = catalogue["cases"][0]
    assert b"Case 0 (imported)" in body(client.get(url(first)))
    assert stored_ids() == {first.pk}


@pytest.mark.django_db
def test_a_stored_pages_case_study_reads_each_field_as_the_orm_does(client, catalogue):
    first = catalogue["cases"][0]
    client.get(url(first))

    stored, fresh = pages.stored(first.slug).case_study, CaseStudy.objects.get(pk=first.pk)

    for field in pages.PAGE_FIELDS:  # dates as dates, yes/no as True/False on both databases
        read, expected = getattr(stored, field.attname), getattr(fresh, field.attname)
        assert (read, type(read)) == (expected, type(expected)), field.name
    assert stored._state.db == "default" and not stored._state.adding


@pytest.mark.django_db
@pytest.mark.parametrize("kind", EDITS)
def test_after_any_edit_the_stored_page_is_the_page_rendered_afresh(
    client, catalogue, monkeypatch, django_capture_on_commit_callbacks, kind
):
    shown = catalogue["cases"]
    before = {c.pk: body(client.get(url(c))) for c in shown}
    assert stored_ids() == {c.pk for c in shown}

    with django_capture_on_commit_callbacks(execute=True):
        edit(kind, catalogue)

    published = CaseStudy.objects.published().filter(pk__in=before)
    assert stored_ids() <= set(published.values_list("pk", flat=True))  # none left behind
    changed = 0
    for case_study in published:
        for _ in range(2):  # the first reader renders and stores it; the second reads that
            page = body(client.get(url(case_study)))
            assert page == rendered_afresh(client, monkeypatch, url(case_study))
        changed += page != before[case_study.pk]
    assert stored_ids() == set(published.values_list("pk", flat=True))
    for case_study in shown:
        if case_study not in published:  # unpublished or deleted: not found, stored or not
            assert client.get(url(case_study)).status_code == 404
    assert changed or len(published) < len(shown)  # the edit shows


@pytest.mark.django_db
def test_a_change_deletes_the_pages_it_makes_stale_in_its_own_transaction(client, catalogue):
    first, second, third = catalogue["cases"]
    for case_study in catalogue["cases"]:
        client.get(url(case_study))
    assert stored_ids() == {first.pk, second.pk, third.pk}

    with pytest.raises(RuntimeError), transaction.atomic():
        first.title = "Never saved"
        first.save()
        assert stored_ids() == {second.pk, third.pk}  # gone with the change, others kept
        raise RuntimeError("the editor's save fails")

    assert stored_ids() == {first.pk, second.pk, third.pk}
    assert b"Never saved" not in body(client.get(url(first)))


@pytest.mark.django_db
def test_a_page_read_before_a_change_is_not_stored_after_it(client, catalogue):
    """A reader renders the page; an edit commits before its page is stored: it is dropped."""
    first = catalogue["cases"][0]
    version = CatalogueVersion.current()
    page = pages.rendered(pages.everything_shown().get(pk=first.pk))
    first.title = "Retitled meanwhile"
    first.save()

    assert pages.store([(first.pk, version, pages.packed(page))]) == 0
    assert first.pk not in stored_ids()
    assert b"Retitled meanwhile" in body(client.get(url(first)))


@pytest.mark.django_db
def test_a_page_stored_by_other_code_is_rendered_again(client, catalogue, monkeypatch):
    first = catalogue["cases"][0]
    client.get(url(first))
    CaseStudyPage.objects.filter(case_study=first).update(layout="yesterday")

    assert body(client.get(url(first))) == rendered_afresh(client, monkeypatch, url(first))
    assert CaseStudyPage.objects.get(case_study=first).layout == pages.layout()


@pytest.mark.django_db
def test_a_draft_preview_is_never_stored(client, catalogue):
    draft = make_case_study(title="Still a draft", status=Status.DRAFT)
    client.force_login(make_editor())

    assert b"Draft preview" in body(client.get(url(draft)))
    assert draft.pk not in stored_ids()
    client.logout()
    assert client.get(url(draft)).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_worker_stores_pages_in_a_thread_of_its_own(client, settings):
    """Off the tests' transaction, as on a worker: the reader hands the page over."""
    case_study = make_case_study(title="Read on a worker")
    current_index()  # up to date: a page read while the index is rebuilt is not stored
    settings.CATALOGUE_INDEX_IN_BACKGROUND = True

    page = body(client.get(url(case_study)))
    pages.finish_keeping()

    assert stored_ids() == {case_study.pk}
    assert body(client.get(url(case_study))) == page
