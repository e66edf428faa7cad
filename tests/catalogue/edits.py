"""Every kind of edit that changes what a case study's stored renderings show (its CSV line,
its page), on a small catalogue: the tests of both stores make each edit and compare."""

from catalogue.models import EvidenceStrength, Status
from partnerships.models import Sector
from tests.factories import (
    make_case_study,
    make_council,
    make_organisation,
    make_outcome,
    make_partnership,
    make_service_area,
    make_source,
)

EDITS = [
    "a case study's own fields",
    "a case study's councils",
    "a council's name",
    "a service area's code",
    "a partner's name and sector",
    "a partner's former name",
    "a new partner",
    "a partnership's name",
    "an outcome",
    "an outcome's sources",
    "a source",
    "a deleted source",
    "an unpublished case study",
    "a deleted case study",
]


def small_catalogue() -> dict:
    """Three published case studies sharing a council, a service area and (two of them) a
    partnership with a partner once known by another name, each with a source and an outcome."""
    north = make_council(name="Northtown")
    care = make_service_area(name="Adult care")
    trust = make_organisation(
        name="Northtown Health Trust",
        sector=Sector.NHS,
        former_names=[("Northtown PCT", None, 2012)],
    )
    partnership = make_partnership(name="Care Together", partners={trust: "Lead"})
    made = []
    for n in range(3):
        case_study = make_case_study(
            title=f"Case {n}",
            councils=[north, make_council()],
            service_areas=[care],
            partnership=partnership if n < 2 else None,
            start_year=2011 + n,
        )
        source = make_source(case_study=case_study, title="The council's report, 2015")
        make_outcome(case_study=case_study, figure=3, unit="%", sources=[source])
        made.append(case_study)
    return {
        "cases": made,
        "council": north,
        "area": care,
        "trust": trust,
        "partnership": partnership,
    }


def edit(kind: str, catalogue: dict) -> None:
    first, second, third = catalogue["cases"]
    if kind == "a case study's own fields":
        first.title, first.summary, first.start_year = "=Retitled", "New words", 2010
        first.save()
    elif kind == "a case study's councils":
        first.councils.set([make_council(name="Southby")])
    elif kind == "a council's name":
        catalogue["council"].name = "Northtown and District"
        catalogue["council"].save()
    elif kind == "a service area's code":
        catalogue["area"].slug = "adult-social-care"
        catalogue["area"].save()
    elif kind == "a partner's name and sector":
        catalogue["trust"].name, catalogue["trust"].sector = "North Care Trust", Sector.PRIVATE
        catalogue["trust"].save()
    elif kind == "a partner's former name":
        former = catalogue["trust"].former_names.get()
        former.to_year = 2010  # the 2011 case study now names it by its present name
        former.save()
    elif kind == "a new partner":
        catalogue["partnership"].memberships.create(
            organisation=make_organisation(name="Aardvark Police", sector=Sector.POLICE),
            role="Partner",
        )
    elif kind == "a partnership's name":
        catalogue["partnership"].name = "Caring Together"
        catalogue["partnership"].save()
    elif kind == "an outcome":
        outcome = second.outcomes.get()
        outcome.figure, outcome.evidence = 7, EvidenceStrength.INDEPENDENTLY_EVALUATED
        outcome.save()
    elif kind == "an outcome's sources":
        second.outcomes.get().sources.set([make_source(case_study=second, title="Another")])
    elif kind == "a source":
        source = third.sources.first()
        source.url = "https://example.org/moved"
        source.save()
    elif kind == "a deleted source":
        third.sources.first().delete()
    elif kind == "an unpublished case study":
        second.status = Status.DRAFT
        second.save()
    elif kind == "a deleted case study":
        third.delete()
    else:
        raise AssertionError(kind)
