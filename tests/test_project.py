from io import StringIO

import pytest
from django.core.management import call_command

from catalogue.models import CaseStudy, Outcome, ResponseType, Source, Status
from partnerships.models import Council, CouncilType, Organisation, Partnership


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
