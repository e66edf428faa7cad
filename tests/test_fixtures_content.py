"""Rules the seed case studies keep, each checked against the research they were written from
(../shared/research/case-studies.yaml beside the repository, or RESEARCH_DIR); the tests
that need it are skipped where it is missing.

These read fixtures/ and the research file only, never the database: an error slipped into
the files on their way from the research (issue 14) fails here before anyone loads it.
"""

import os
import re
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from django.utils.text import slugify

from catalogue import source_checks
from catalogue.models import EvidenceStrength, OutcomeKind, ResponseType, is_tracking
from catalogue.seed import (
    ORGANISATIONS_FILE,
    SEED_DIRECTORY,
    SeedError,
    case_year,
    check_partner_names,
    read_case_studies,
    read_organisations,
)
from partnerships.register import read_register

REPOSITORY = SEED_DIRECTORY.parent
# ../shared/research beside the main checkout; a worktree sits one level deeper.
RESEARCH = next(
    (
        directory
        for directory in [
            Path(os.environ.get("RESEARCH_DIR", REPOSITORY / "no-research")),
            REPOSITORY.parent / "shared" / "research",
            REPOSITORY.parent.parent / "shared" / "research",
        ]
        if (directory / "case-studies.yaml").exists()
    ),
    REPOSITORY.parent / "shared" / "research",
)
RESEARCH_FILE = RESEARCH / "case-studies.yaml"

needs_research = pytest.mark.skipif(
    not RESEARCH_FILE.exists(), reason=f"the research file is not at {RESEARCH_FILE}"
)

# Groups of councils the research names in one phrase, and the councils each stands for.
GROUPS = {
    "The ten Greater Manchester borough councils": [f"E08{n:06d}" for n in range(1, 11)],
    "Surrey's 11 district and borough councils": [f"E07{n:06d}" for n in range(207, 218)],
    "Essex district councils incl. Tendring": [f"E07{n:06d}" for n in range(66, 78)],
}


@cache
def case_studies() -> list[dict]:
    return read_case_studies(SEED_DIRECTORY / "case_studies")


@cache
def research() -> dict[str, dict]:
    entries = yaml.safe_load(RESEARCH_FILE.read_text(encoding="utf-8"))["examples"]
    return {entry["id"]: entry for entry in entries}


@cache
def register_names() -> dict[str, str]:
    """Council names by GSS code and by slug, as the case studies refer to them."""
    names = {}
    for entry in read_register(SEED_DIRECTORY / "councils"):
        names[entry.slug or slugify(entry.name)] = entry.name
        if entry.gss_code:
            names[entry.gss_code] = entry.name
    return names


def simplified(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("&", "and")))


def sources() -> list[tuple[str, dict]]:
    return [(case["slug"], source) for case in case_studies() for source in case["sources"]]


def outcomes() -> list[tuple[str, dict]]:
    return [(case["slug"], outcome) for case in case_studies() for outcome in case["outcomes"]]


# -- councils --------------------------------------------------------------------------------


@needs_research
def test_every_case_studys_councils_are_among_those_the_research_names():
    """Councils that were only partners (Oldham's campaign partners, say) stay out."""
    wrong = []
    for case in case_studies():
        named = [council["name"] for council in research()[case["source_id"]]["councils"]]
        text = simplified(" / ".join(named))
        grouped = {code for phrase in named for code in GROUPS.get(phrase, [])}
        for reference in case["councils"]:
            if reference not in grouped and simplified(register_names()[reference]) not in text:
                wrong.append(f"{case['slug']}: {register_names()[reference]}")
    assert wrong == []


@needs_research
def test_a_successor_the_research_names_is_among_the_case_studys_councils():
    """'Waveney District Council (now East Suffolk Council)' brings in East Suffolk."""
    missing = []
    for case in case_studies():
        names = {simplified(register_names()[ref]) for ref in case["councils"]}
        for council in research()[case["source_id"]]["councils"]:
            for successor in re.findall(r"\(now ([^)]+)\)", council["name"]):
                if simplified(successor.removesuffix(" Council")) not in names:
                    missing.append(f"{case['slug']}: {successor}")
    assert missing == []


def test_oldham_is_the_only_council_of_its_co_operative_council_case():
    oldham = next(case for case in case_studies() if case["slug"] == "oldham-cooperative-council")

    assert oldham["councils"] == ["E08000004"]
    assert oldham["partnership"]["member_councils"] == ["E08000004"]


def test_lowestoft_rising_includes_east_suffolk():
    lowestoft = next(case for case in case_studies() if case["slug"] == "lowestoft-rising")

    assert "E07000244" in lowestoft["councils"]  # East Suffolk, Waveney's successor


# -- partners' names -------------------------------------------------------------------------


def test_no_partner_name_is_anachronistic_for_its_case_studys_years():
    named = read_organisations(SEED_DIRECTORY / ORGANISATIONS_FILE)
    anachronistic = [
        f"{case['slug']} ({case_year(case)}): {partner['name']}"
        for case in case_studies()
        for partner in (case.get("partnership") or {}).get("partners", [])
        if partner["name"] in named
        and not named[partner["name"]].name_valid_in(partner["name"], case_year(case))
    ]

    assert anachronistic == []
    # The renamed departments and the ICB are registered, so the rule can see them.
    assert {
        "Ministry of Housing, Communities and Local Government",
        "Department of Health and Social Care",
        "NHS Norfolk and Waveney Integrated Care Board",
    } <= named.keys()


@pytest.mark.parametrize(
    ("name", "year"),
    [
        ("Ministry of Housing, Communities and Local Government", 2011),
        ("Department of Health and Social Care", 2015),
        ("NHS Norfolk and Waveney Integrated Care Board", 2013),
        ("Department for Communities and Local Government", 2019),
    ],
)
def test_the_loader_refuses_a_partner_named_out_of_its_years(name, year):
    named = read_organisations(SEED_DIRECTORY / ORGANISATIONS_FILE)
    case = {"slug": "example", "start_year": year, "partnership": {"partners": [{"name": name}]}}

    with pytest.raises(SeedError, match="did not go by that name"):
        check_partner_names([case], named)


# -- sources ---------------------------------------------------------------------------------


def test_no_source_address_is_cut_short_or_carries_tracking_parameters():
    bad = []
    for slug, source in sources():
        for address in filter(None, [source.get("url"), source.get("copy_url")]):
            query = parse_qsl(urlsplit(address).query, keep_blank_values=True)
            if "..." in address or "…" in address or any(is_tracking(k) for k, _ in query):
                bad.append(f"{slug}: {address}")
    assert bad == []


def test_mirrors_are_copies_credited_to_the_original_publisher():
    """docslib, fdocuments, wikimili and the like go in `copy_url`, never as the original."""
    bad = [
        f"{slug}: {source.get('url')}"
        for slug, source in sources()
        if source.get("url") and source_checks.is_mirror(source_checks.host(source["url"]))
    ] + [
        f"{slug}: publisher {source['publisher']!r}"
        for slug, source in sources()
        if re.search(r"\bcopy\b|mirror|docslib|wikimili|\.com$", source.get("publisher") or "")
    ]
    assert bad == []


def test_only_the_known_staging_copy_remains_on_a_staging_site():
    """Room151's staging copy stays (the research gives no public address) as a copy."""
    staging = [
        (slug, source)
        for slug, source in sources()
        for address in filter(None, [source.get("url"), source.get("copy_url")])
        if source_checks.is_staging(source_checks.host(address))
    ]

    assert [(slug, source["publisher"]) for slug, source in staging] == [
        ("northamptonshire-s114-2018", "Room151")
    ]
    assert not staging[0][1].get("url")


@needs_research
def test_every_research_address_is_kept_as_the_original_or_as_a_copy():
    """Corrections move addresses between `url` and `copy_url` but lose none, tracking
    parameters and a cut-short tail aside."""
    lost = []
    for case in case_studies():
        kept = {
            simplified(address.split("?")[0])
            for source in case["sources"]
            for address in filter(None, [source.get("url"), source.get("copy_url")])
        }
        for address in research()[case["source_id"]]["sources"]:
            stem = simplified(address.split("?")[0].split("...")[0])
            if not any(k.startswith(stem) or stem.startswith(k) for k in kept):
                lost.append(f"{case['slug']}: {address}")
    assert lost == []


# -- grades and responses --------------------------------------------------------------------


def test_only_courts_audits_and_evaluations_count_as_independently_evaluated():
    """Being listed as an example by RAND is reported evidence, not an evaluation."""
    wrong = [
        f"{slug}: {outcome['description']}"
        for slug, outcome in outcomes()
        if outcome["evidence"] == EvidenceStrength.INDEPENDENTLY_EVALUATED
        and not re.search(r"court|judg|audit|evaluat", outcome["description"], re.I)
    ]
    assert wrong == []


def test_a_peer_challenge_is_monitored_evidence():
    graded = [
        outcome["evidence"]
        for _, outcome in outcomes()
        if "peer challenge" in outcome["description"].lower()
    ]
    assert graded and set(graded) == {EvidenceStrength.MONITORED}


def test_nothing_still_planned_is_recorded_as_achieved():
    """Caerphilly's branches that 'were due to shut' are projected."""
    wrong = [
        f"{slug}: {outcome['description']}"
        for slug, outcome in outcomes()
        if outcome["kind"] == OutcomeKind.ACHIEVED
        and re.search(
            r"\b(was|were|is|are) (due|set|planned|expected) to\b", outcome["description"]
        )
    ]
    assert wrong == []


def test_northamptonshires_section_114_notices_are_exit_with_fight_as_secondary():
    case = next(case for case in case_studies() if case["slug"] == "northamptonshire-s114-2018")

    assert (case["response"], case["secondary_response"]) == ("exit", "fight")
    assert "fails financially" in ResponseType.EXIT.definition


# -- what the research says about the case as a whole ----------------------------------------


@needs_research
def test_each_case_studys_confidence_is_the_researchs():
    assert {case["slug"]: case.get("confidence") for case in case_studies()} == {
        case["slug"]: research()[case["source_id"]]["confidence"] for case in case_studies()
    }


@needs_research
def test_start_years_the_research_calls_estimates_are_marked_as_estimates():
    estimate = re.compile(
        r"(start year|date)[^.;]*(estimate|inferred|general knowledge|low)", re.I
    )
    assert {case["slug"] for case in case_studies() if case.get("start_year_estimated")} == {
        case["slug"]
        for case in case_studies()
        if estimate.search(research()[case["source_id"]].get("notes", ""))
    }


@needs_research
def test_every_case_in_the_research_is_in_the_fixtures():
    assert sorted(case["source_id"] for case in case_studies()) == sorted(research())
