"""The facet index after an edit: readers never wait for its rebuild, and a publish in the
middle of a build never breaks a page."""

import re
import threading

import pytest
from django.db import connection

from catalogue import facets
from catalogue.models import ResponseType, Status
from tests.factories import make_case_study, make_publisher, make_ready_case_study


def count(response) -> int:
    return int(re.search(r'data-result-count="(\d+)"', response.content.decode())[1])


@pytest.mark.django_db(transaction=True)  # the rebuild thread reads through its own connection
def test_an_edit_never_makes_a_reader_wait_and_shows_after_the_rebuild(
    client, settings, monkeypatch
):
    settings.CATALOGUE_INDEX_IN_BACKGROUND = True
    settings.CATALOGUE_CACHE = True
    make_case_study(title="Already there", response=ResponseType.EXIT)
    draft = make_ready_case_study(
        title="Just published", status=Status.IN_REVIEW, response=ResponseType.EXIT
    )
    monkeypatch.setattr(facets, "_index", None)
    assert count(client.get("/case-studies/?response=exit")) == 1  # waits for the first build
    release = threading.Event()
    build = facets.build_index
    monkeypatch.setattr(facets, "build_index", lambda: release.wait(10) and build())
    # As after an edit the index cannot catch up with by itself (a council renamed, say).
    monkeypatch.setattr(facets, "updated_index", lambda index: None)

    draft.publish(by=make_publisher())

    # The rebuild is held back, yet the reader gets a whole page at once, as it was before.
    reader = client.get("/case-studies/?response=exit")
    assert reader.status_code == 200
    assert count(reader) == 1
    release.set()
    facets.finish_rebuild()
    # The next page after the rebuild shows it (the page made from the old index was not
    # cached as the new version's).
    after = client.get("/case-studies/?response=exit")
    assert count(after) == 2
    assert "Just published" in after.content.decode()


@pytest.mark.django_db
def test_a_publish_between_a_builds_queries_breaks_nothing(client, monkeypatch):
    """After the build has read the published case studies and before its next query, a case
    study is published: the later queries (orders, links) see one the index does not hold."""
    make_case_study(title="Already there", response=ResponseType.EXIT)
    draft = make_ready_case_study(
        title="Published mid-build", status=Status.IN_REVIEW, response=ResponseType.EXIT
    )
    publisher = make_publisher()
    monkeypatch.setattr(facets, "_index", None)
    published_mid_build = []

    def publish_before_the_orders(execute, sql, params, many, context):
        if not published_mid_build and '"catalogue_casestudy"."published_at" DESC' in sql:
            published_mid_build.append(True)
            draft.publish(by=publisher)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(publish_before_the_orders):
        response = client.get("/case-studies/?response=exit")

    assert published_mid_build
    assert response.status_code == 200
    assert count(response) == 1  # the index read before the publish
    # The index knew it was older than the catalogue: the next page rebuilds and shows it.
    after = client.get("/case-studies/?response=exit")
    assert count(after) == 2
    assert "Published mid-build" in after.content.decode()


@pytest.mark.django_db(transaction=True)  # outside any transaction, as in a worker's rebuild
def test_a_build_on_sqlite_only_reads_so_editors_and_other_builds_never_wait_for_it():
    """Our SQLite transactions begin IMMEDIATE (they take the write lock, so writers never
    deadlock); a build taking it would make every save and every other worker's build wait
    for its whole length (seconds at 100,000 case studies)."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's snapshot is a READ ONLY transaction, which takes no lock")
    make_case_study(title="Already there")
    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql.upper())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        index = facets.build_index()

    assert len(index.ids) == 1
    begins = [sql for sql in statements if sql.startswith("BEGIN")]
    assert begins == ["BEGIN DEFERRED"]
    assert "COMMIT" in statements


@pytest.mark.django_db
def test_processes_share_each_index_one_builds_the_others_load_it(settings, tmp_path, monkeypatch):
    settings.CATALOGUE_INDEX_DIR = str(tmp_path / "indexes")
    make_case_study(title="Shared", response=ResponseType.EXIT)

    built = facets.shared_build()  # the first process to need this version builds it
    build = facets.build_index
    monkeypatch.setattr(facets, "build_index", lambda: pytest.fail("built twice"))
    loaded = facets.shared_build()  # another process loads it

    assert loaded == built
    assert loaded.options["response"]["exit"] == built.everything
    # After an edit the next process to need the new version builds it, and the old goes.
    monkeypatch.setattr(facets, "build_index", build)
    make_case_study(title="Added", response=ResponseType.FIGHT)
    rebuilt = facets.shared_build()
    assert len(rebuilt.ids) == 2
    saved = list((tmp_path / "indexes").glob("*/index-*.pickle"))
    assert [path.name for path in saved] == [
        f"index-{facets.code_version()}-{rebuilt.version}.pickle"
    ]


@pytest.mark.django_db
def test_an_index_saved_by_other_code_is_never_loaded(settings, tmp_path, monkeypatch):
    """After a deploy the new code may build indexes differently: it builds its own."""
    settings.CATALOGUE_INDEX_DIR = str(tmp_path / "indexes")
    make_case_study(title="Indexed")
    monkeypatch.setattr(facets, "code_version", lambda: "yesterdays-code")
    facets.shared_build()
    monkeypatch.setattr(facets, "code_version", lambda: "todays-code")
    monkeypatch.setattr(facets.pickle, "load", lambda file: pytest.fail("loaded an old index"))

    index = facets.shared_build()

    assert len(index.ids) == 1
    saved = [path.name for path in (tmp_path / "indexes").glob("*/index-*.pickle")]
    assert saved == [f"index-todays-code-{index.version}.pickle"]


@pytest.mark.django_db
def test_a_folder_others_could_write_in_is_never_read(settings, tmp_path, monkeypatch):
    shared = tmp_path / "indexes"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)  # as another user could have left it (the umask may have narrowed it)
    settings.CATALOGUE_INDEX_DIR = str(shared)
    make_case_study(title="Kept private")
    monkeypatch.setattr(facets.pickle, "load", lambda file: pytest.fail("read a planted index"))

    index = facets.shared_build()
    facets.shared_build()

    assert len(index.ids) == 1
    assert not list(shared.glob("*/index-*.pickle"))
