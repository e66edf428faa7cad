"""The council register's files (fixtures/councils/) and loading them into an existing site."""

import functools
import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from catalogue.insights import HEX_FILES
from catalogue.management.commands import loadseed
from catalogue.seed import load_seed
from partnerships.models import GSS_PREFIX_TYPES, Council, CouncilType, Nation
from partnerships.register import (
    UPPER_TIER_FILE,
    load_council_register,
    read_register,
)

REGISTER = Path(__file__).resolve().parents[2] / "fixtures" / "councils"
UPPER_TIER_TYPES = {
    CouncilType.COUNTY,
    CouncilType.UNITARY,
    CouncilType.METROPOLITAN_BOROUGH,
    CouncilType.LONDON_BOROUGH,
}


@pytest.fixture(scope="module")
def entries():
    return read_register(REGISTER)


def test_every_former_council_has_an_end_year_and_current_successors(entries):
    current = {e.gss_code for e in entries if e.gss_code and e.ended_year is None}
    former = [e for e in entries if e.ended_year is not None]

    assert former
    for entry in former:
        assert entry.successor_codes, f"{entry.name} has no successor"
        assert set(entry.successor_codes) <= current, f"{entry.name}'s successor is not current"


@pytest.mark.parametrize(
    ("successor", "predecessors", "ended"),
    [
        ("E06000063", {"Allerdale", "Carlisle", "Copeland"}, 2023),
        ("E06000064", {"Barrow-in-Furness", "Eden", "South Lakeland"}, 2023),
        (
            "E06000065",
            {"Craven", "Hambleton", "Harrogate", "Richmondshire", "Ryedale", "Scarborough"}
            | {"Selby"},
            2023,
        ),
        (
            "E06000066",
            {"Mendip", "Sedgemoor", "South Somerset", "Somerset West and Taunton"},
            2023,
        ),
        ("E07000245", {"Forest Heath", "St Edmundsbury"}, 2019),
    ],
)
def test_the_districts_replaced_by_a_new_council_are_its_predecessors(
    entries, successor, predecessors, ended
):
    districts = {
        e.name: e
        for e in entries
        if successor in e.successor_codes and e.council_type == CouncilType.DISTRICT
    }

    assert set(districts) == predecessors
    assert {e.ended_year for e in districts.values()} == {ended}


def test_the_devolved_nations_associations_are_councils_of_their_nation(entries):
    associations = {e.name: e for e in entries if e.council_type == CouncilType.ASSOCIATION}

    assert associations["Convention of Scottish Local Authorities"].nation == Nation.SCOTLAND
    assert associations["Welsh Local Government Association"].nation == Nation.WALES
    assert (
        associations["Northern Ireland Local Government Association"].nation
        == Nation.NORTHERN_IRELAND
    )
    assert "Core Cities UK" in associations
    assert "COSLA" in associations["Convention of Scottish Local Authorities"].aliases


def hexes(filename: str) -> dict:
    return json.loads((REGISTER / filename).read_text(encoding="utf-8"))["hexes"]


def test_the_upper_tier_map_shows_exactly_the_current_upper_tier_councils(entries):
    mapped = hexes(UPPER_TIER_FILE)
    current_upper_tier = {
        e.gss_code
        for e in entries
        if e.gss_code and e.ended_year is None and e.council_type in UPPER_TIER_TYPES
    }
    former = {e.gss_code for e in entries if e.ended_year is not None}

    assert not set(mapped) & former
    assert set(mapped) == current_upper_tier


@pytest.mark.parametrize("filename", [filename for filename, _ in HEX_FILES.values()])
def test_no_two_hexes_share_a_place_and_each_is_a_current_council(entries, filename):
    mapped = hexes(filename)
    current = {e.gss_code for e in entries if e.gss_code and e.ended_year is None}
    places = [(cell["q"], cell["r"]) for cell in mapped.values()]

    assert len(set(places)) == len(places)
    assert set(mapped) <= current
    assert all(code[:3] in GSS_PREFIX_TYPES for code in mapped)


def test_the_map_files_keep_their_format_and_credit():
    assert json.loads((REGISTER / UPPER_TIER_FILE).read_text())["layout"] == "odd-r"
    assert "Open Innovations" in (REGISTER / "LICENSE-hexmaps.txt").read_text()


def counts() -> dict[str, int]:
    return {
        "councils": Council.objects.count(),
        "successor links": Council.successors.through.objects.count(),
    }


@pytest.mark.django_db
def test_an_update_brings_an_older_register_up_to_date_without_duplicates():
    load_council_register(directory=REGISTER)
    full = counts()
    # A site loaded before these councils, names and end years were in the files, where an
    # editor had since added COSLA by hand and called Wigan by a name of their own.
    Council.objects.filter(slug__in=["wlga", "nilga", "core-cities-uk", "harrogate"]).delete()
    Council.objects.filter(slug="cosla").update(
        slug="cosla-by-hand", name="COSLA", aliases="", name_keys="|cosla|"
    )
    Council.objects.update(official_name="")
    Council.objects.filter(gss_code="E08000010").update(official_name="Wigan MBC")
    selby = Council.objects.get(slug="selby")
    selby.successors.clear()
    Council.objects.filter(pk=selby.pk).update(ended_year=None)

    plain = load_council_register(directory=REGISTER)

    assert plain.created == 4  # the missing councils are added even without --update
    assert Council.objects.get(slug="selby").ended_year is None

    report = load_council_register(directory=REGISTER, update=True)

    assert report.created == 0
    assert counts() == full
    assert not Council.objects.filter(slug="cosla").exists()  # the editor's COSLA is kept
    assert Council.objects.get(slug="cosla-by-hand").alias_list == ["COSLA"]
    selby = Council.objects.get(slug="selby")
    assert selby.ended_year == 2023
    assert [c.name for c in selby.successors.all()] == ["North Yorkshire"]
    assert Council.objects.get(gss_code="E06000061").official_name == (
        "North Northamptonshire Council"
    )
    assert Council.objects.get(gss_code="E08000010").official_name == "Wigan MBC"

    again = load_council_register(directory=REGISTER, update=True)

    assert (again.created, again.updated) == (0, 0)
    assert counts() == full


@pytest.fixture
def seed_of_councils_only(tmp_path, monkeypatch):
    """The real register with no case studies, for `loadseed` (the full seed takes long)."""
    shutil.copytree(REGISTER, tmp_path / "councils")
    (tmp_path / "case_studies").mkdir()
    (tmp_path / "service_areas.yaml").write_text("[]\n")
    monkeypatch.setattr(loadseed, "load_seed", functools.partial(load_seed, directory=tmp_path))


@pytest.mark.django_db
def test_loadseed_update_gives_an_existing_site_the_new_councils_and_names(
    seed_of_councils_only,
):
    call_command("loadseed", stdout=StringIO())
    full = counts()
    Council.objects.filter(slug__in=["nilga", "forest-heath"]).delete()
    Council.objects.filter(slug="eden").update(ended_year=None)
    Council.objects.filter(slug="local-government-association").update(aliases="")

    output = StringIO()
    call_command("loadseed", "--update", stdout=output)

    assert counts() == full
    assert "Seed data loaded: 2 councils," in output.getvalue()
    assert "2 councils brought up to date" in output.getvalue()
    assert Council.objects.get(slug="eden").ended_year == 2023
    assert Council.objects.get(slug="local-government-association").alias_list == ["LGA"]
    assert [c.name for c in Council.objects.get(slug="forest-heath").successors.all()] == [
        "West Suffolk"
    ]
