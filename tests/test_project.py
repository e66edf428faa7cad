import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError

from catalogue import facets
from catalogue.models import CaseStudy, CatalogueVersion, Outcome, ResponseType, Source, Status
from config import gunicorn
from partnerships.models import Council, CouncilType, Organisation, Partnership
from tests.factories import make_case_study


def test_system_checks_pass():
    call_command("check", fail_level="WARNING")


@pytest.mark.django_db
def test_migrations_match_the_models():
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


def table_sizes() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in [Council, Organisation, Partnership, CaseStudy, Outcome, Source]
    }


@pytest.mark.django_db
def test_seed_data_loads_twice_without_duplicates():
    """The one test that reads fixtures/: the real data, as `make run` loads it."""
    call_command("loadseed", stdout=StringIO())
    first = table_sizes()
    output = StringIO()
    call_command("loadseed", stdout=output)

    assert table_sizes() == first
    assert "0 case studies added" in output.getvalue()
    published = CaseStudy.objects.published()
    assert published.count() == 42
    assert set(published.values_list("response", flat=True)) == set(ResponseType.values)
    assert all(case_study.sources.exists() for case_study in published)
    assert all(case_study.councils.exists() for case_study in published)
    assert published.filter(from_transforming_together=True).count() == 5
    # The full register: every current UK council, each with its GSS code.
    current = Council.objects.filter(ended_year=None).exclude(
        council_type__in=[CouncilType.ASSOCIATION, CouncilType.COMBINED_AUTHORITY]
    )
    assert current.count() == 382
    assert not current.filter(gss_code=None).exists()
    assert Council.objects.get(gss_code="E08000010").name == "Wigan"
    northamptonshire = Council.objects.get(gss_code="E10000021")
    assert northamptonshire.is_former
    assert northamptonshire.ended_year == 2021
    assert {c.name for c in northamptonshire.successors.all()} == {
        "North Northamptonshire",
        "West Northamptonshire",
    }


@pytest.mark.django_db
def test_loading_the_seed_again_keeps_an_editors_changes():
    call_command("loadseed", stdout=StringIO())
    case_study = CaseStudy.objects.order_by("pk").first()
    case_study.title = "Retitled by an editor"
    case_study.status = Status.DRAFT
    case_study.save()

    call_command("loadseed", stdout=StringIO())

    case_study.refresh_from_db()
    assert case_study.title == "Retitled by an editor"
    assert case_study.status == Status.DRAFT


class FakeWorker:
    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.log = self

    def warning(self, message: str, *args) -> None:
        self.warnings.append(message % args)


@pytest.mark.django_db(transaction=True)
def test_a_gunicorn_worker_is_ready_before_its_facet_index_is_built(monkeypatch, settings):
    settings.CATALOGUE_INDEX_IN_BACKGROUND = True
    make_case_study(title="Built at start")
    monkeypatch.setattr(facets, "_index", None)
    release = threading.Event()
    build = facets.build_index
    monkeypatch.setattr(facets, "build_index", lambda: release.wait(5) and build())
    worker = FakeWorker()

    gunicorn.post_worker_init(worker)  # returns while the build is still held back

    assert facets._index is None
    release.set()
    facets.finish_rebuild()
    assert facets._index.version == CatalogueVersion.current()
    assert len(facets._index.ids) == 1
    assert worker.warnings == []


@pytest.mark.django_db(transaction=True)
def test_a_worker_still_starts_when_the_database_is_down(monkeypatch, settings, client):
    settings.CATALOGUE_INDEX_IN_BACKGROUND = True
    make_case_study(title="Found later")
    monkeypatch.setattr(facets, "_index", None)
    build = facets.build_index

    def unreachable():
        raise OperationalError("connection refused")

    monkeypatch.setattr(facets, "build_index", unreachable)
    worker = FakeWorker()

    gunicorn.post_worker_init(worker)
    facets.finish_rebuild()

    assert facets._index is None
    monkeypatch.setattr(facets, "build_index", build)  # the database is back
    assert "Found later" in client.get("/case-studies/").content.decode()
