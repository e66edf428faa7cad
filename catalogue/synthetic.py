"""Synthetic case studies for load and scale testing, never mixed with the real catalogue.

Every generated case study's slug starts with `synthetic-` and its title with "Synthetic:", and
`generate_synthetic` refuses a database that holds any real case study (and `loadseed` refuses
one that holds synthetic ones). The same seed gives the same catalogue.
"""

import random
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import connection, transaction
from django.utils import timezone

from partnerships.models import Council, Governance, Membership, Organisation, Partnership, Sector
from partnerships.register import load_council_register

from . import search
from .models import CaseStudy, CatalogueVersion, Confidence, Outcome, ServiceArea, Source, Status

SYNTHETIC_PREFIX = "synthetic-"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BATCH = 2000

RESPONSE_WEIGHTS = {"collaborate": 45, "adapt": 25, "exit": 20, "fight": 10}
SECTOR_WEIGHTS = {
    Sector.NHS: 25, Sector.VOLUNTARY_COMMUNITY: 22, Sector.PRIVATE: 12,
    Sector.CENTRAL_GOVERNMENT: 10, Sector.OTHER_COUNCIL: 8, Sector.SOCIAL_ENTERPRISE: 6,
    Sector.POLICE: 5, Sector.EDUCATION: 4, Sector.HOUSING_ASSOCIATION: 3, Sector.UNIVERSITY: 2,
    Sector.FIRE_AND_RESCUE: 1, Sector.RESIDENTS: 1, Sector.FUNDER: 1,
}  # fmt: skip
EVIDENCE_WEIGHTS = {"reported": 70, "monitored": 22, "independently-evaluated": 8}
KIND_WEIGHTS = {"achieved": 55, "projected": 20, "context": 15, "contested": 10}

SUBJECTS = [
    "the council", "the partnership", "local health leaders", "the combined authority",
    "community groups", "the county and its districts", "a new joint board", "residents",
]  # fmt: skip
VERBS = [
    "pooled budgets for", "redesigned", "handed over", "shared management of", "campaigned for",
    "brought together", "outsourced", "co-produced", "commissioned jointly", "reviewed",
]  # fmt: skip
THINGS = [
    "home care", "library services", "youth clubs", "flooding resilience", "school transport",
    "early help for families", "social prescribing", "waste collection", "leisure centres",
    "mental health support", "homelessness prevention", "back-office finance", "carers' breaks",
    "regeneration of the town centre", "adult learning", "trading standards", "bus routes",
]  # fmt: skip
REASONS = [
    "after years of falling grant", "to reduce demand on acute services", "to keep the service "
    "open", "because no single body could fix it alone", "as budgets shrank", "to save money "
    "without cutting the front line", "after residents asked for change", "to prevent crises",
]  # fmt: skip
DETAILS = [
    "Staff from several organisations worked in one team.", "Volunteers took on day-to-day "
    "running with council support.", "A shared outcomes framework guided decisions.",
    "Savings were reinvested in prevention.", "The arrangement was reviewed after two years.",
    "Critics argued the savings were overstated.", "An evaluation found mixed results.",
    "Demand for crisis services fell in the first year.", "Governance ran through a joint "
    "committee of elected members.", "The model was later copied by neighbouring councils.",
]  # fmt: skip


@dataclass
class SyntheticReport:
    case_studies: int
    seconds: float


class MixedDataError(Exception):
    """The database holds real case studies; synthetic ones must go elsewhere."""


def weighted(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(THINGS)} "
        f"{rng.choice(REASONS)}."
    )


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(
        rng.choice(DETAILS) if rng.random() < 0.4 else sentence(rng) for _ in range(sentences)
    )


def generate_synthetic(*, count: int, seed: int = 1) -> SyntheticReport:
    """Add `count` synthetic case studies (and their partnerships, outcomes, sources)."""
    started = timezone.now()
    if CaseStudy.objects.exclude(slug__startswith=SYNTHETIC_PREFIX).exists():
        raise MixedDataError(
            "This database holds real case studies. Generate synthetic data into a separate "
            "database (set DATABASE_URL), never beside the real catalogue."
        )
    # Reproducible fake data, nothing secret: a seeded generator is the point.
    rng = random.Random(seed)  # nosec B311
    with transaction.atomic():
        load_council_register(directory=FIXTURES / "councils")
        for row in yaml.safe_load((FIXTURES / "service_areas.yaml").read_text()):
            ServiceArea.objects.get_or_create(
                slug=row["slug"], defaults={"name": row["name"], "description": row["description"]}
            )
    councils = list(Council.objects.filter(ended_year=None).values_list("pk", flat=True))
    areas = list(ServiceArea.objects.values_list("pk", flat=True))
    area_weights = [1 / (rank + 1) for rank in range(len(areas))]  # a few areas dominate
    first = CaseStudy.objects.filter(slug__startswith=SYNTHETIC_PREFIX).count()

    with transaction.atomic():
        partnerships = make_partnerships(rng, councils, max(count // 5, 1), offset=first)
    now = timezone.now()
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        with transaction.atomic(), search.indexing_deferred():
            numbers = range(first + start, first + start + size)
            case_studies = CaseStudy.objects.bulk_create(
                CaseStudy(
                    title=f"Synthetic: {rng.choice(THINGS).capitalize()} in place {n}",
                    slug=f"{SYNTHETIC_PREFIX}{n}",
                    summary=paragraph(rng, rng.randint(3, 5)),
                    body="\n\n".join(paragraph(rng, rng.randint(4, 7)) for _ in range(3)),
                    response=weighted(rng, RESPONSE_WEIGHTS),
                    secondary_response="",
                    partnership_id=rng.choice(partnerships) if rng.random() < 0.7 else None,
                    start_year=rng.randint(2008, 2025),
                    status=Status.PUBLISHED,
                    published_at=now - timezone.timedelta(minutes=n),
                )
                for n in numbers
            )
            CaseStudy.councils.through.objects.bulk_create(
                CaseStudy.councils.through(casestudy_id=cs.pk, council_id=council)
                for cs in case_studies
                for council in set(rng.sample(councils, rng.choice([1, 1, 1, 2, 3])))
            )
            CaseStudy.service_areas.through.objects.bulk_create(
                CaseStudy.service_areas.through(casestudy_id=cs.pk, servicearea_id=area)
                for cs in case_studies
                for area in set(rng.choices(areas, weights=area_weights, k=rng.randint(1, 3)))
            )
            Outcome.objects.bulk_create(
                make_outcome(rng, cs.pk) for cs in case_studies for _ in range(rng.randint(0, 4))
            )
            Source.objects.bulk_create(
                Source(
                    case_study_id=cs.pk,
                    title=f"Synthetic source {k} for case {cs.slug}",
                    publisher=rng.choice(["The council", "LGA", "A local newspaper", "NAO"]),
                    year=rng.randint(2010, 2025),
                    url=f"https://example.org/synthetic/{cs.slug}/{k}",
                )
                for cs in case_studies
                for k in range(rng.randint(1, 3))
            )
            search.index_case_studies(cs.pk for cs in case_studies)
    CatalogueVersion.bump()  # bulk_create sends no signals
    if connection.vendor == "postgresql":
        # Filling the search vectors rewrote every row: half the table would be dead rows
        # that each search reads past (autovacuum may be off, and a plain vacuum leaves the
        # live rows spread over twice the pages). Compacted, as migration 0013 left it.
        # VACUUM cannot run in a transaction (as in the tests): ANALYZE alone then.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM FULL ANALYZE")
    seconds = (timezone.now() - started).total_seconds()
    return SyntheticReport(case_studies=count, seconds=seconds)


def make_outcome(rng: random.Random, case_study_id: int) -> Outcome:
    figure = rng.choice([None, rng.randint(1, 500), round(rng.uniform(0.5, 60), 1)])
    return Outcome(
        case_study_id=case_study_id,
        description=sentence(rng),
        kind=weighted(rng, KIND_WEIGHTS),
        figure=figure,
        unit=rng.choice(["£m", "%", "people"]) if figure is not None else "",
        evidence=weighted(rng, EVIDENCE_WEIGHTS),
        confidence=rng.choice(Confidence.values),
    )


def make_partnerships(
    rng: random.Random, councils: list[int], count: int, *, offset: int
) -> list[int]:
    organisations = Organisation.objects.bulk_create(
        Organisation(
            name=f"Synthetic organisation {offset + n}",
            slug=f"{SYNTHETIC_PREFIX}organisation-{offset + n}",
            sector=weighted(rng, SECTOR_WEIGHTS),
        )
        for n in range(max(count // 2, 1))
    )
    partnerships = Partnership.objects.bulk_create(
        Partnership(
            name=f"Synthetic partnership {offset + n}",
            slug=f"{SYNTHETIC_PREFIX}partnership-{offset + n}",
            governance=rng.choice(Governance.values),
            lead_council_id=rng.choice(councils),
            start_year=rng.randint(2008, 2020),
        )
        for n in range(count)
    )
    Membership.objects.bulk_create(
        Membership(partnership_id=p.pk, organisation_id=o.pk, role="Synthetic partner")
        for p in partnerships
        for o in {rng.choice(organisations) for _ in range(rng.randint(1, 4))}
    )
    return [p.pk for p in partnerships]
