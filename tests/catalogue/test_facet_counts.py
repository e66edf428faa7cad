"""Property: each option's count is exactly what ticking that option alone in its facet gives."""

import random

import pytest
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue import facets
from catalogue.filters import FACETS, CaseStudyFilter
from catalogue.models import CaseStudy, EvidenceStrength, ResponseType, Status
from partnerships.models import CouncilType, Nation, Region, Sector
from tests.factories import (
    make_case_study,
    make_council,
    make_organisation,
    make_outcome,
    make_partnership,
    make_service_area,
)

PLACES = [
    (CouncilType.UNITARY, Nation.ENGLAND, Region.SOUTH_WEST),
    (CouncilType.COUNTY, Nation.ENGLAND, Region.EAST),
    (CouncilType.DISTRICT, Nation.ENGLAND, Region.EAST),
    (CouncilType.METROPOLITAN_BOROUGH, Nation.ENGLAND, Region.NORTH_WEST),
    (CouncilType.LONDON_BOROUGH, Nation.ENGLAND, Region.LONDON),
    (CouncilType.WELSH_PRINCIPAL, Nation.WALES, Region.WALES),
    (CouncilType.SCOTTISH, Nation.SCOTLAND, Region.SCOTLAND),
]


@pytest.fixture
def generated_catalogue(db):
    """40 case studies with random but reproducible attributes, drafts among them."""
    rng = random.Random(20261128)
    areas = [make_service_area() for _ in range(5)]
    councils = [
        make_council(council_type=t, nation=n, region=r) for t, n, r in PLACES + PLACES[:3]
    ]
    partnerships = [
        make_partnership(
            partners={
                make_organisation(sector=sector): "partner"
                for sector in rng.choices(Sector.values[:4], k=rng.randint(1, 4))
            }
        )
        for _ in range(5)
    ]
    for _ in range(40):
        case_study = make_case_study(
            response=rng.choice(ResponseType.values),
            status=Status.PUBLISHED if rng.random() < 0.85 else Status.DRAFT,
            service_areas=rng.sample(areas, rng.randint(1, 3)),
            councils=rng.sample(councils, rng.randint(1, 3)),
            partnership=rng.choice([None, *partnerships]),
            start_year=rng.randint(2008, 2022),
        )
        for _ in range(rng.randint(0, 3)):
            make_outcome(case_study=case_study, evidence=rng.choice(EvidenceStrength.values))
    return [
        (facts(case_study), case_study.start_year)
        for case_study in CaseStudy.objects.published().prefetch_related(
            "councils", "service_areas", "outcomes", "partnership__memberships__organisation"
        )
    ]


def options_of(name: str) -> list[str]:
    return [value for value, _ in CaseStudyFilter(QueryDict()).form.fields[name].choices]


def selections():
    """A random selection: for a few facets, a few of their options, plus maybe a year range."""

    @st.composite
    def build(draw):
        query = QueryDict(mutable=True)
        for name in draw(st.lists(st.sampled_from(FACETS), max_size=3, unique=True)):
            values = options_of(name)
            query.setlist(name, draw(st.lists(st.sampled_from(values), min_size=1, max_size=3)))
        if draw(st.booleans()):
            query["year_from"] = str(draw(st.integers(2008, 2016)))
        return query

    return build()


EVIDENCE_ORDER = list(EvidenceStrength.values)


def facts(case_study: CaseStudy) -> dict[str, set[str]]:
    """Each facet's values for one case study, worked out directly from its objects."""
    councils = list(case_study.councils.all())
    evidence = [o.evidence for o in case_study.outcomes.all()]
    sectors = (
        {m.organisation.sector for m in case_study.partnership.memberships.all()}
        if case_study.partnership
        else set()
    )
    return {
        "response": {case_study.response},
        "service": {a.slug for a in case_study.service_areas.all()},
        "council_type": {c.council_type for c in councils},
        "nation": {c.nation for c in councils},
        "region": {c.region for c in councils},
        "council": {c.slug for c in councils},
        "sector": sectors,
        "evidence": {max(evidence, key=EVIDENCE_ORDER.index)} if evidence else set(),
    }


def reference_count(catalogue: list[tuple[dict, int | None]], query: QueryDict) -> int:
    """Results by the definition (OR within a facet, AND across), without the facet index."""
    year_from = int(query["year_from"]) if "year_from" in query else None
    return sum(
        1
        for values, start_year in catalogue
        if all(values[name] & set(query.getlist(name)) for name in FACETS if name in query)
        and (year_from is None or (start_year or 0) >= year_from)
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@pytest.mark.parametrize(
    "position_costs_bits",
    [10**9, 0],  # every option's bitmap counted; each result's own values counted
    ids=["by bitmap", "by position"],
)
@given(query=selections())
def test_facet_counts_equal_the_results_of_ticking_each_option(
    generated_catalogue, query, position_costs_bits, monkeypatch
):
    monkeypatch.setattr(facets, "POSITION_COSTS_BITS", position_costs_bits)
    filterset = CaseStudyFilter(query, queryset=CaseStudy.objects.published())
    for name in FACETS:
        counts = filterset.facet_counts(name)
        for value in options_of(name):
            ticked = query.copy()
            ticked.setlist(name, [value])
            expected = reference_count(generated_catalogue, ticked)
            assert counts.get(value, 0) == expected, (name, value, query)
