"""Load the real seed data in fixtures/: the council register, service areas and case studies.

Loading is idempotent and never overwrites an editor's work: a record that already exists
(matched by GSS code or slug) is left alone unless `update=True` is asked for. Everything is
checked before anything is written, and the whole load is one transaction.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from partnerships.models import Council, Governance, Membership, Organisation, Partnership, Sector
from partnerships.register import load_council_register
from partnerships.vocabulary import Vocabulary

from . import history, search
from .models import (
    CaseStudy,
    Confidence,
    EvidenceStrength,
    Outcome,
    OutcomeKind,
    ResponseType,
    ServiceArea,
    Source,
    Status,
)

SEED_DIRECTORY = Path(__file__).resolve().parent.parent / "fixtures"


class SeedError(Exception):
    """The seed files are inconsistent; `problems` lists each one in plain words."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class SeedReport:
    councils_created: int = 0
    councils_updated: int = 0
    service_areas_created: int = 0
    organisations_created: int = 0
    partnerships_created: int = 0
    case_studies_created: int = 0
    case_studies_updated: int = 0
    case_studies_unchanged: int = 0
    notes: list[str] = field(default_factory=list)


def load_seed(*, directory: Path = SEED_DIRECTORY, update: bool = False) -> SeedReport:
    """Load everything in `directory`; with `update`, seeded case studies are rewritten too."""
    case_study_rows = read_case_studies(directory / "case_studies")
    service_area_rows = yaml.safe_load((directory / "service_areas.yaml").read_text())
    if CaseStudy.objects.filter(slug__startswith="synthetic-").exists():
        raise SeedError(
            ["This database holds synthetic case studies; the real catalogue goes elsewhere."]
        )
    report = SeedReport()
    with transaction.atomic(), search.indexing_deferred():
        register = load_council_register(directory=directory / "councils", update=update)
        report.councils_created = register.created
        report.councils_updated = register.updated
        for row in service_area_rows:
            _, created = ServiceArea.objects.get_or_create(
                slug=row["slug"], defaults={"name": row["name"], "description": row["description"]}
            )
            report.service_areas_created += created
        councils = councils_by_reference()
        check_references(case_study_rows, councils)
        for row in case_study_rows:
            save_case_study(row, councils, update=update, report=report)
    return report


def read_case_studies(directory: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            problems.append(f"{path.name}: not readable YAML ({error}).")
            continue
        for number, entry in enumerate(entries, start=1):
            where = f"{path.name}, case {number} ({entry.get('slug', 'no slug')})"
            problems += [f"{where}: {problem}" for problem in check_vocabulary(entry)]
            rows.append(entry)
    slugs = [row.get("slug") for row in rows]
    duplicated = {slug for slug in slugs if slugs.count(slug) > 1}
    problems += [f"the slug {slug!r} is used more than once." for slug in sorted(duplicated)]
    if problems:
        raise SeedError(problems)
    return rows


REQUIRED = ["slug", "title", "response", "summary", "service_areas", "councils", "sources"]


def check_vocabulary(entry: dict[str, Any]) -> list[str]:
    """Problems with a case study's required fields and vocabulary values, in plain words.

    Shared by the seed loader and the spreadsheet import (catalogue/imports.py).
    """
    problems = [
        "no source: every case study needs a source with a URL."
        if key == "sources"
        else f"{key} is missing."
        for key in REQUIRED
        if not entry.get(key)
    ]
    if entry.get("response") and entry["response"] not in ResponseType.values:
        problems.append(unknown("response type", entry.get("response"), ResponseType))
    if entry.get("secondary_response") not in (None, "", *ResponseType.values):
        problems.append(
            unknown("secondary response type", entry["secondary_response"], ResponseType)
        )
    elif entry.get("secondary_response") and entry["secondary_response"] == entry["response"]:
        problems.append("the secondary response type is the same as the response type.")
    partnership = entry.get("partnership") or {}
    if partnership and partnership.get("governance") not in Governance.values:
        problems.append(unknown("governance form", partnership.get("governance"), Governance))
    for partner in partnership.get("partners", []):
        if partner.get("sector") not in Sector.values:
            problems.append(f"partner {partner.get('name')!r} has unknown sector.")
    for outcome in entry.get("outcomes", []):
        if not (outcome.get("description") or "").strip():
            problems.append("an outcome has no description.")
        if outcome.get("kind") not in OutcomeKind.values:
            problems.append(unknown("outcome kind", outcome.get("kind"), OutcomeKind))
        if outcome.get("evidence") not in EvidenceStrength.values:
            problems.append(
                unknown("outcome evidence strength", outcome.get("evidence"), EvidenceStrength)
            )
        if outcome.get("confidence") not in Confidence.values:
            problems.append(unknown("outcome confidence", outcome.get("confidence"), Confidence))
        if outcome.get("unit") and outcome.get("figure") is None:
            problems.append(f"outcome {outcome.get('description')!r} has a unit but no figure.")
    return problems


def unknown(what: str, value: Any, vocabulary: type[Vocabulary]) -> str:
    return f"unknown {what} {value!r} (use {' or '.join(repr(v) for v in vocabulary.values)})."


def unknown_references(
    entry: dict[str, Any], councils: dict[str, Council], service_areas: set[str]
) -> list[str]:
    """The councils and service areas a case study names that the catalogue does not know."""
    partnership = entry.get("partnership") or {}
    references = {*entry["councils"], *partnership.get("member_councils", [])}
    if partnership.get("lead_council"):
        references.add(partnership["lead_council"])
    return [
        f"unknown council {ref!r}: give its GSS code (such as E08000010) or its slug."
        for ref in sorted(references - councils.keys())
    ] + [
        f"unknown service area {slug!r}."
        for slug in entry["service_areas"]
        if slug not in service_areas
    ]


def check_references(rows: list[dict[str, Any]], councils: dict[str, Council]) -> None:
    """Every council and service area a case names must exist in the register."""
    service_areas = set(ServiceArea.objects.values_list("slug", flat=True))
    problems = []
    for row in rows:
        problems += [
            f"{row['slug']}: {problem}"
            for problem in unknown_references(row, councils, service_areas)
        ]
    if problems:
        raise SeedError(problems)


def councils_by_reference() -> dict[str, Council]:
    """Councils keyed by GSS code and by slug (former councils may have no code)."""
    councils = {}
    for council in Council.objects.all():
        councils[council.slug] = council
        if council.gss_code:
            councils[council.gss_code] = council
    return councils


def save_case_study(
    row: dict[str, Any], councils: dict[str, Council], *, update: bool, report: SeedReport
) -> None:
    case_study = CaseStudy.objects.filter(slug=row["slug"]).first()
    if case_study and not update:
        report.case_studies_unchanged += 1
        return
    fields = {
        "title": row["title"],
        "summary": row["summary"].strip(),
        "body": (row.get("body") or "").strip(),
        "response": row["response"],
        "secondary_response": row.get("secondary_response") or "",
        "start_year": row.get("start_year"),
        "from_transforming_together": bool(row.get("transforming_together")),
        "partnership": save_partnership(row.get("partnership"), councils, report),
    }
    created = case_study is None
    if created:
        case_study = CaseStudy(slug=row["slug"], status=Status.PUBLISHED)
        report.case_studies_created += 1
    else:
        report.case_studies_updated += 1
    reason = "Loaded from the seed data" if created else "Reloaded from the seed data"
    with history.one_version(case_study, by=None, reason=reason, created=created):
        for name, value in fields.items():
            setattr(case_study, name, value)
        case_study.save()
        if not created:
            case_study.outcomes.all().delete()
            case_study.sources.all().delete()
        case_study.councils.set([councils[ref] for ref in row["councils"]])
        case_study.service_areas.set(ServiceArea.objects.filter(slug__in=row["service_areas"]))
        save_parts(case_study, outcomes=row.get("outcomes", []), sources=row["sources"])


def save_parts(
    case_study: CaseStudy,
    *,
    outcomes: list[dict[str, Any]],
    sources: list[dict[str, Any]],
    by: AbstractBaseUser | None = None,
) -> None:
    """Add outcomes and sources, each with the first version of its history."""
    bulk_create_with_history(
        [
            Outcome(
                case_study=case_study,
                description=outcome["description"].strip(),
                kind=outcome["kind"],
                figure=outcome.get("figure"),
                unit=outcome.get("unit") or "",
                period=str(outcome.get("period") or ""),
                evidence=outcome["evidence"],
                confidence=outcome.get("confidence") or Confidence.MEDIUM,
            )
            for outcome in outcomes
        ],
        Outcome,
        default_user=by,
    )
    bulk_create_with_history(
        [
            Source(
                case_study=case_study,
                url=source["url"],
                title=source.get("title") or source["url"],
                publisher=source.get("publisher") or "",
                year=source.get("year"),
                section=source.get("section") or "",
            )
            for source in sources
        ],
        Source,
        default_user=by,
    )


def save_partnership(
    row: dict[str, Any] | None, councils: dict[str, Council], report: SeedReport
) -> Partnership | None:
    if not row:
        return None
    partnership, created = Partnership.objects.get_or_create(
        slug=row["slug"],
        defaults={
            "name": row["name"],
            "governance": row["governance"],
            "start_year": row.get("start_year"),
            "end_year": row.get("end_year"),
            "lead_council": councils.get(row.get("lead_council")),
        },
    )
    if not created:
        return partnership
    report.partnerships_created += 1
    partnership.member_councils.set([councils[ref] for ref in row.get("member_councils", [])])
    for partner in row.get("partners", []):
        organisation, new = Organisation.objects.get_or_create(
            slug=slugify(partner["name"])[:200],
            defaults={"name": partner["name"], "sector": partner["sector"]},
        )
        report.organisations_created += new
        Membership.objects.get_or_create(
            partnership=partnership,
            organisation=organisation,
            defaults={"role": partner.get("role", "")},
        )
    return partnership
