"""`loadseed --update` brings a site loaded from the old, uncorrected seed up to date."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db.models import Count

from catalogue.models import CaseStudy, Outcome, Source
from catalogue.seed import SEED_DIRECTORY, load_seed, read_case_studies
from partnerships.models import Membership, Organisation, Partnership

GM_BOROUGHS = [f"E08{n:06d}" for n in range(1, 11)]
GUARDIAN = "https://www.theguardian.com/education/2011/feb/11/gove-school-building-court"


def with_the_old_errors(case: dict) -> dict:
    """A case study as the seed had it before issue 14's corrections."""
    case = {key: value for key, value in case.items() if key != "confidence"}
    if case["slug"] == "oldham-cooperative-council":
        case["councils"] = GM_BOROUGHS
        case["partnership"]["member_councils"] = GM_BOROUGHS
    if case["slug"] == "whole-essex-community-budget":
        for partner in case["partnership"]["partners"]:
            if partner["name"] == "Department for Communities and Local Government":
                partner["name"] = "Ministry of Housing, Communities and Local Government"
    if case["slug"] == "northamptonshire-s114-2018":
        case["response"], case["secondary_response"] = "fight", ""
    for outcome in case["outcomes"]:
        outcome.pop("sources", None)
        if outcome["description"].startswith("Chosen by RAND Europe"):
            outcome["evidence"] = "independently-evaluated"
    for source in case["sources"]:
        if source.get("copy_url") and not source.get("url"):
            source["url"] = source.pop("copy_url")
        if source.get("url") == GUARDIAN:
            source["url"] += "?INTCMP=SRCH"
    return case


@pytest.fixture
def old_seed(tmp_path: Path) -> Path:
    """The seed files with the old errors back in, and without organisations.yaml."""
    shutil.copytree(SEED_DIRECTORY / "councils", tmp_path / "councils")
    shutil.copy(SEED_DIRECTORY / "service_areas.yaml", tmp_path)
    cases = [
        with_the_old_errors(case) for case in read_case_studies(SEED_DIRECTORY / "case_studies")
    ]
    (tmp_path / "case_studies").mkdir()
    (tmp_path / "case_studies" / "all.yaml").write_text(yaml.safe_dump(cases, allow_unicode=True))
    return tmp_path


@pytest.mark.django_db
def test_loadseed_update_applies_every_correction_without_duplicates(old_seed):
    load_seed(directory=old_seed)
    oldham = CaseStudy.objects.get(slug="oldham-cooperative-council")
    assert oldham.councils.count() == 10  # the error is there to correct
    output = StringIO()

    call_command("loadseed", "--update", stdout=output)

    assert "42 case studies updated" in output.getvalue()
    # Oldham is found under Oldham only, in the case and in its partnership.
    assert [c.gss_code for c in oldham.councils.all()] == ["E08000004"]
    assert [c.gss_code for c in oldham.partnership.member_councils.all()] == ["E08000004"]
    assert not CaseStudy.objects.filter(slug=oldham.slug, councils__gss_code="E08000001")
    # The department keeps one record and has the name it had in 2011 again.
    essex = CaseStudy.objects.get(slug="whole-essex-community-budget")
    department = essex.partnership.organisations.get(
        sector="central-government", slug__contains="housing"
    )
    assert (
        department.name_in(essex.year_of_names)
        == "Department for Communities and Local Government"
    )
    # Grades, responses, sources and the research's confidence.
    assert set(
        Outcome.objects.filter(description__startswith="Chosen by RAND").values_list(
            "evidence", flat=True
        )
    ) == {"reported"}
    northants = CaseStudy.objects.get(slug="northamptonshire-s114-2018")
    assert (northants.response, northants.secondary_response) == ("exit", "fight")
    assert Source.objects.filter(url=GUARDIAN).exists()
    assert not Source.objects.filter(url__contains="docslib").exists()
    assert not CaseStudy.objects.filter(confidence="").exists()
    assert Outcome.sources.through.objects.exists()
    # Nothing twice: exactly what the files hold.
    cases = read_case_studies(SEED_DIRECTORY / "case_studies")
    partnerships = [c["partnership"] for c in cases if c.get("partnership")]
    assert CaseStudy.objects.count() == len(cases)
    assert Partnership.objects.count() == len({p["slug"] for p in partnerships})
    assert Source.objects.count() == sum(len(c["sources"]) for c in cases)
    assert Outcome.objects.count() == sum(len(c["outcomes"]) for c in cases)
    assert Membership.objects.count() == sum(len(p["partners"]) for p in partnerships)
    assert not Organisation.objects.values("name").annotate(n=Count("pk")).filter(n__gt=1)
