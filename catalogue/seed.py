"""Load the real seed data in fixtures/: the council register, service areas, the partner
organisations whose names changed, and case studies.

Loading is idempotent and never overwrites an editor's work: a record that already exists
(matched by GSS code or slug) is left alone unless `update=True` is asked for, which brings
seeded case studies, their partnerships and the named organisations back in line with the
files. Everything is checked before anything is written, and the whole load is one transaction.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from partnerships.models import (
    Council,
    Governance,
    Membership,
    Organisation,
    OrganisationName,
    Partnership,
    Sector,
)
from partnerships.register import load_council_register
from partnerships.vocabulary import Vocabulary

from . import exports, history, search
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
ORGANISATIONS_FILE = "organisations.yaml"


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
    partnerships_updated: int = 0
    case_studies_created: int = 0
    case_studies_updated: int = 0
    case_studies_unchanged: int = 0
    notes: list[str] = field(default_factory=list)


def load_seed(*, directory: Path = SEED_DIRECTORY, update: bool = False) -> SeedReport:
    """Load everything in `directory`; with `update`, seeded case studies are rewritten too."""
    case_study_rows = read_case_studies(directory / "case_studies")
    service_area_rows = yaml.safe_load((directory / "service_areas.yaml").read_text())
    named = read_organisations(directory / ORGANISATIONS_FILE)
    check_partner_names(case_study_rows, named)
    if CaseStudy.objects.filter(slug__startswith="synthetic-").exists():
        raise SeedError(
            ["This database holds synthetic case studies; the real catalogue goes elsewhere."]
        )
    report = SeedReport()
    with transaction.atomic(), search.indexing_deferred(), exports.lines_deferred():
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
        organisations = save_organisations(named, update=update, report=report)
        for row in case_study_rows:
            save_case_study(row, councils, organisations, update=update, report=report)
    return report


# -- organisations whose names changed ----------------------------------------------------


@dataclass(frozen=True)
class NamedOrganisation:
    """An organisation from organisations.yaml: its current name and the names it had before."""

    name: str
    sector: str
    name_since: int | None
    former_names: list[dict[str, Any]]

    @property
    def slug(self) -> str:
        return slugify(self.name)[:200]

    def names(self) -> list[str]:
        return [self.name, *(former["name"] for former in self.former_names)]

    def name_valid_in(self, name: str, year: int) -> bool:
        """As `Organisation.name_valid_in`, read from the file before anything is saved."""
        if name == self.name and (self.name_since is None or year >= self.name_since):
            return True
        return any(
            former["name"] == name
            and (former.get("from_year") or year) <= year <= former["to_year"]
            for former in self.former_names
        )


def read_organisations(path: Path) -> dict[str, NamedOrganisation]:
    """The organisations with a history of names, by each of their names."""
    if not path.exists():
        return {}
    problems, by_name = [], {}
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        organisation = NamedOrganisation(
            name=entry["name"],
            sector=entry["sector"],
            name_since=entry.get("name_since"),
            former_names=entry.get("former_names") or [],
        )
        if organisation.sector not in Sector.values:
            problems.append(f"{path.name}: {organisation.name!r} has unknown sector.")
        for name in organisation.names():
            if name in by_name and by_name[name] is not organisation:
                problems.append(f"{path.name}: the name {name!r} is given to two organisations.")
            by_name[name] = organisation
    if problems:
        raise SeedError(problems)
    return by_name


def case_year(row: dict[str, Any]) -> int | None:
    """The year whose names a case uses for its partners: when the work started."""
    return row.get("start_year") or (row.get("partnership") or {}).get("start_year")


def check_partner_names(rows: list[dict[str, Any]], named: dict[str, NamedOrganisation]) -> None:
    """No case names a partner by a name it did not have in the case's years."""
    problems = []
    for row in rows:
        year = case_year(row)
        for partner in (row.get("partnership") or {}).get("partners", []):
            organisation = named.get(partner["name"])
            if organisation and year and not organisation.name_valid_in(partner["name"], year):
                problems.append(
                    f"{row['slug']}: in {year} the partner {partner['name']!r} did not go by "
                    f"that name; use the one it had then (see {ORGANISATIONS_FILE})."
                )
    if problems:
        raise SeedError(problems)


def save_organisations(
    named: dict[str, NamedOrganisation], *, update: bool, report: SeedReport
) -> dict[str, Organisation]:
    """Create the named organisations (rewriting their names and history with `update`);
    returns them by each of their names."""
    saved: dict[str, Organisation] = {}
    for entry in {id(o): o for o in named.values()}.values():
        organisation, created = Organisation.objects.get_or_create(
            slug=entry.slug,
            defaults={"name": entry.name, "sector": entry.sector, "name_since": entry.name_since},
        )
        report.organisations_created += created
        if created or update:
            organisation.name, organisation.sector = entry.name, entry.sector
            organisation.name_since = entry.name_since
            organisation.save()
            organisation.former_names.all().delete()
            OrganisationName.objects.bulk_create(
                OrganisationName(
                    organisation=organisation,
                    name=former["name"],
                    from_year=former.get("from_year"),
                    to_year=former["to_year"],
                )
                for former in entry.former_names
            )
        for name in entry.names():
            saved[name] = organisation
    return saved


# -- case studies ------------------------------------------------------------------------


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
    if entry.get("confidence") not in (None, "", *Confidence.values):
        problems.append(unknown("research confidence", entry["confidence"], Confidence))
    source_count = len(entry.get("sources") or [])
    for outcome in entry.get("outcomes", []):
        cited = outcome.get("sources") or []
        if any(not isinstance(n, int) or not 1 <= n <= source_count for n in cited):
            problems.append(
                f"outcome {outcome.get('description')!r} cites a source the case does not "
                f"have (number them 1 to {source_count} in the order listed)."
            )
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
    row: dict[str, Any],
    councils: dict[str, Council],
    organisations: dict[str, Organisation],
    *,
    update: bool,
    report: SeedReport,
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
        "start_year_estimated": bool(row.get("start_year_estimated")),
        "confidence": row.get("confidence") or "",
        "from_transforming_together": bool(row.get("transforming_together")),
        "partnership": save_partnership(
            row.get("partnership"), councils, organisations, update=update, report=report
        ),
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
    """Add outcomes and sources, each with the first version of its history.

    An outcome's `sources` are numbers, from 1, of the sources in the order given.
    """
    saved_sources = [
        Source(
            case_study=case_study,
            url=source.get("url") or "",
            copy_url=source.get("copy_url") or "",
            title=source.get("title") or source.get("url") or source["copy_url"],
            publisher=source.get("publisher") or "",
            year=source.get("year"),
            section=source.get("section") or "",
        )
        for source in sources
    ]
    saved_sources = bulk_create_with_history(saved_sources, Source, default_user=by)
    saved_outcomes = bulk_create_with_history(
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
    Outcome.sources.through.objects.bulk_create(
        Outcome.sources.through(outcome_id=saved.pk, source_id=saved_sources[number - 1].pk)
        for saved, outcome in zip(saved_outcomes, outcomes, strict=True)
        for number in outcome.get("sources") or []
    )


def save_partnership(
    row: dict[str, Any] | None,
    councils: dict[str, Council],
    organisations: dict[str, Organisation],
    *,
    update: bool,
    report: SeedReport,
) -> Partnership | None:
    """The partnership as the file has it; an existing one is rewritten only with `update`."""
    if not row:
        return None
    fields = {
        "name": row["name"],
        "governance": row["governance"],
        "start_year": row.get("start_year"),
        "end_year": row.get("end_year"),
        "lead_council": councils.get(row.get("lead_council")),
    }
    partnership, created = Partnership.objects.get_or_create(slug=row["slug"], defaults=fields)
    if not created and not update:
        return partnership
    if created:
        report.partnerships_created += 1
    else:
        report.partnerships_updated += 1
        for name, value in fields.items():
            setattr(partnership, name, value)
        partnership.save()
    partnership.member_councils.set([councils[ref] for ref in row.get("member_councils", [])])
    members = []
    for partner in row.get("partners", []):
        organisation = organisations.get(partner["name"])
        if organisation is None:
            organisation, new = Organisation.objects.get_or_create(
                slug=slugify(partner["name"])[:200],
                defaults={"name": partner["name"], "sector": partner["sector"]},
            )
            report.organisations_created += new
        membership, _ = Membership.objects.update_or_create(
            partnership=partnership,
            organisation=organisation,
            defaults={"role": partner.get("role", "")},
        )
        members.append(membership.pk)
    partnership.memberships.exclude(pk__in=members).delete()
    return partnership
