"""Small keyword-only factories: unique values come from a counter, never from randomness."""

import importlib
from itertools import count

from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User

from catalogue.models import (
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
from partnerships.models import (
    GSS_PREFIX_TYPES,
    Council,
    CouncilType,
    Governance,
    Membership,
    Nation,
    Organisation,
    Partnership,
    Region,
    Sector,
)

_numbers = count(1)


def _next() -> int:
    return next(_numbers)


def make_council(
    *,
    name: str | None = None,
    slug: str | None = None,
    gss_code: str | None = None,
    council_type: str | None = None,
    nation: str = Nation.ENGLAND,
    region: str = Region.NORTH_WEST,
    ended_year: int | None = None,
    official_name: str = "",
    aliases: str = "",
) -> Council:
    n = _next()
    name = name or f"Council {n}"
    if council_type is None:  # the type a GSS code stands for, as the register has it
        known = gss_code and gss_code[:3] in GSS_PREFIX_TYPES
        council_type = CouncilType.from_gss_code(gss_code) if known else CouncilType.UNITARY
    return Council.objects.create(
        name=name,
        slug=slug or f"council-{n}",
        gss_code=gss_code,
        council_type=council_type,
        nation=nation,
        region=region,
        ended_year=ended_year,
        official_name=official_name,
        aliases=aliases,
    )


def make_organisation(
    *,
    name: str | None = None,
    sector: str = Sector.NHS,
    name_since: int | None = None,
    former_names: list[tuple[str, int | None, int]] = (),
) -> Organisation:
    """`former_names` are (name, from year or None, to year)."""
    n = _next()
    organisation = Organisation.objects.create(
        name=name or f"Organisation {n}",
        slug=f"organisation-{n}",
        sector=sector,
        name_since=name_since,
    )
    for former, from_year, to_year in former_names:
        organisation.former_names.create(name=former, from_year=from_year, to_year=to_year)
    return organisation


def make_partnership(
    *,
    name: str | None = None,
    governance: str = Governance.ALLIANCE,
    lead_council: Council | None = None,
    partners: dict[Organisation, str] | None = None,
    start_year: int | None = None,
    end_year: int | None = None,
) -> Partnership:
    n = _next()
    partnership = Partnership.objects.create(
        name=name or f"Partnership {n}",
        slug=f"partnership-{n}",
        governance=governance,
        lead_council=lead_council,
        start_year=start_year,
        end_year=end_year,
    )
    for organisation, role in (partners or {}).items():
        Membership.objects.create(partnership=partnership, organisation=organisation, role=role)
    return partnership


def make_service_area(*, name: str | None = None, slug: str | None = None) -> ServiceArea:
    n = _next()
    return ServiceArea.objects.create(
        name=name or f"Service area {n}", slug=slug or f"service-area-{n}"
    )


def make_case_study(
    *,
    title: str | None = None,
    summary: str = "A council and its partners tried something new.",
    body: str = "",
    response: str = ResponseType.COLLABORATE,
    secondary_response: str = "",
    status: str = Status.PUBLISHED,
    start_year: int | None = 2015,
    councils: list[Council] | None = None,
    service_areas: list[ServiceArea] | None = None,
    partnership: Partnership | None = None,
    start_year_estimated: bool = False,
    confidence: str = "",
) -> CaseStudy:
    n = _next()
    case_study = CaseStudy.objects.create(
        title=title or f"Case study {n}",
        slug=f"case-study-{n}",
        summary=summary,
        body=body,
        response=response,
        secondary_response=secondary_response,
        status=status,
        start_year=start_year,
        start_year_estimated=start_year_estimated,
        confidence=confidence,
        partnership=partnership,
    )
    case_study.councils.set(councils if councils is not None else [make_council()])
    case_study.service_areas.set(
        service_areas if service_areas is not None else [make_service_area()]
    )
    return case_study


def make_outcome(
    *,
    case_study: CaseStudy,
    description: str = "Fewer people needed residential care.",
    kind: str = OutcomeKind.ACHIEVED,
    figure: float | None = None,
    unit: str = "",
    period: str = "",
    evidence: str = EvidenceStrength.REPORTED,
    confidence: str = Confidence.HIGH,
    sources: list[Source] = (),
) -> Outcome:
    outcome = Outcome.objects.create(
        case_study=case_study,
        description=description,
        kind=kind,
        figure=figure,
        unit=unit,
        period=period,
        evidence=evidence,
        confidence=confidence,
    )
    outcome.sources.set(sources)
    return outcome


def make_source(
    *,
    case_study: CaseStudy,
    title: str | None = None,
    url: str | None = None,
    copy_url: str = "",
    publisher: str = "Local Government Association",
) -> Source:
    n = _next()
    return Source.objects.create(
        case_study=case_study,
        title=title or f"Report {n}",
        publisher=publisher,
        year=2018,
        url=url if url is not None else f"https://example.org/report-{n}",
        copy_url=copy_url,
    )


def make_staff_user(*, superuser: bool = True) -> User:
    n = _next()
    return User.objects.create_user(
        username=f"editor{n}",
        password="a-long-test-password-1",
        is_staff=True,
        is_superuser=superuser,
    )


def ensure_roles() -> None:
    """The roles as migration 0004 makes them. Transactional tests (the browser tests) empty
    the database after themselves, and that takes the groups too."""
    if Group.objects.filter(name__in=["Editor", "Publisher"]).count() < 2:
        roles = importlib.import_module("catalogue.migrations.0004_roles")
        roles.assign_roles(django_apps, None)


def make_user_in_role(*, role: str) -> User:
    """A staff account in one of the editorial groups: "Editor" or "Publisher"."""
    ensure_roles()
    n = _next()
    user = User.objects.create_user(
        username=f"{role.lower()}{n}", password="a-long-test-password-1", is_staff=True
    )
    user.groups.add(Group.objects.get(name=role))
    return user


def make_editor() -> User:
    return make_user_in_role(role="Editor")


def make_publisher() -> User:
    return make_user_in_role(role="Publisher")


def make_ready_case_study(*, status: str = Status.DRAFT, **kwargs) -> CaseStudy:
    """A case study with everything publishing needs: an outcome and a source with a URL."""
    case_study = make_case_study(status=status, **kwargs)
    make_outcome(case_study=case_study)
    make_source(case_study=case_study)
    return case_study
