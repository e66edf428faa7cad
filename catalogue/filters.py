"""The catalogue's one FilterSet: the query string that every listing and output shares.

/case-studies/?q=...&response=collaborate&service=adult-social-care&... means the same set of
case studies in the HTML list, its facet counts, and every later output built on it.
Values inside one facet are OR'ed, different facets are AND'ed; each facet's option counts
leave that facet's own selection out (as GOV.UK's finders do).
"""

from collections.abc import Callable

import django_filters
from django import forms
from django.db.models import Case, Count, Exists, OuterRef, QuerySet, Value, When

from partnerships.models import Council, CouncilType, Membership, Nation, Region, Sector
from partnerships.vocabulary import FIRST_YEAR, LAST_YEAR

from . import search
from .models import CaseStudy, EvidenceStrength, Outcome, ResponseType, ServiceArea

CaseStudyCouncil = CaseStudy.councils.through
CaseStudyServiceArea = CaseStudy.service_areas.through


class SortOrder(django_filters.ChoiceFilter):
    """Validated with the filters, applied by `CaseStudyFilter.sorted`, filters nothing."""

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        return qs


SORT_CHOICES = [
    ("relevance", "Best match"),
    ("newest", "Newest first"),
    ("title", "Title A to Z"),
    ("start-year", "Start year, earliest first"),
    ("-start-year", "Start year, latest first"),
]
SORT_ORDERING = {
    "newest": ["-published_at", "title"],
    "title": ["title", "pk"],
    "start-year": ["start_year", "title"],
    "-start-year": ["-start_year", "title"],
}


def strongest_evidence() -> Case:
    """The strongest evidence among a case study's outcomes, or NULL if it has none."""
    return Case(
        *(
            When(
                Exists(Outcome.objects.filter(case_study=OuterRef("pk"), evidence=strength)),
                then=Value(strength),
            )
            for strength in reversed(EvidenceStrength.values)
        ),
        default=None,
    )


def through_councils(**lookups) -> Exists:
    return Exists(CaseStudyCouncil.objects.filter(casestudy=OuterRef("pk"), **lookups))


def service_area_choices() -> list[tuple[str, str]]:
    return list(ServiceArea.objects.order_by("name").values_list("slug", "name"))


def council_choices() -> list[tuple[str, str]]:
    """The councils that published case studies involve (the register has 400 more)."""
    return list(
        Council.objects.filter(case_studies__in=CaseStudy.objects.published())
        .distinct()
        .order_by("name")
        .values_list("slug", "name")
    )


def facet(label: str, choices, method: str | None = None) -> django_filters.MultipleChoiceFilter:
    return django_filters.MultipleChoiceFilter(
        label=label,
        choices=choices,
        method=method,
        distinct=False,
        error_messages={
            "invalid_choice": f"“%(value)s” is not a {label.lower()} we know, so it was left out."
        },
    )


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


def year(label: str, lookup: str) -> YearFilter:
    return YearFilter(
        label=label,
        field_name="start_year",
        lookup_expr=lookup,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        error_messages={
            "invalid": f"“{label}” needs a year such as 2014, so it was left out.",
            "min_value": f"“{label}” needs a year from {FIRST_YEAR}, so it was left out.",
            "max_value": f"“{label}” needs a year up to {LAST_YEAR}, so it was left out.",
        },
    )


class CaseStudyFilterForm(forms.Form):
    def clean(self) -> dict:
        data = super().clean()
        year_from, year_to = data.get("year_from"), data.get("year_to")
        if year_from is not None and year_to is not None and year_from > year_to:
            self.add_error(
                "year_to",
                f"The years run backwards ({year_from} is after {year_to}), so the year "
                f"range was left out. Did you mean {year_to} to {year_from}?",
            )
            data.pop("year_from", None)
        return data


class CaseStudyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="filter_text",
        max_length=search.MAX_QUERY_LENGTH,
        error_messages={
            "max_length": f"The search text is too long: use at most "
            f"{search.MAX_QUERY_LENGTH} characters. It was left out."
        },
    )
    response = facet("Response type", ResponseType.choices)
    service = facet("Service area", service_area_choices, "filter_service")
    council_type = facet("Council type", CouncilType.choices, "filter_council_type")
    nation = facet("Nation", Nation.choices, "filter_nation")
    region = facet("Region", Region.choices, "filter_region")
    sector = facet("Partner sector", Sector.choices, "filter_sector")
    council = facet("Council", council_choices, "filter_council")
    evidence = facet("Strongest evidence", EvidenceStrength.choices, "filter_evidence")
    year_from = year("Started from", "gte")
    year_to = year("Started by", "lte")
    sort = SortOrder(
        label="Sort by",
        choices=SORT_CHOICES,
        empty_label=None,
        error_messages={"invalid_choice": "“%(value)s” is not a sort order we know."},
    )

    class Meta:
        model = CaseStudy
        fields: list[str] = []
        form = CaseStudyFilterForm

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Choices from the database are read once per request, not on every iteration.
        for name in ("service", "council"):
            field = self.form.fields[name]
            field.choices = list(field.choices)

    # -- filters ---------------------------------------------------------------------------

    def filter_text(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return search.matching(qs, value) if value.strip() else qs

    def filter_service(self, qs: QuerySet, name: str, value: list[str]) -> QuerySet:
        return qs.filter(
            Exists(
                CaseStudyServiceArea.objects.filter(
                    casestudy=OuterRef("pk"), servicearea__slug__in=value
                )
            )
        )

    def filter_council_type(self, qs: QuerySet, name: str, value: list[str]) -> QuerySet:
        return qs.filter(through_councils(council__council_type__in=value))

    def filter_nation(self, qs: QuerySet, name: str, value: list[str]) -> QuerySet:
        return qs.filter(through_councils(council__nation__in=value))

    def filter_region(self, qs: QuerySet, name: str, value: list[str]) -> QuerySet:
        return qs.filter(through_councils(council__region__in=value))

    def filter_council(self, qs: QuerySet, name: str, value: list[str]) -> QuerySet:
        return qs.filter(through_councils(council__slug__in=value))

    def filter_sector(self, qs: QuerySet, name: str, value: list[str]) -> QuerySet:
        return qs.filter(
            Exists(
                Membership.objects.filter(
                    partnership=OuterRef("partnership"), organisation__sector__in=value
                )
            )
        )

    def filter_evidence(self, qs: QuerySet, name: str, value: list[str]) -> QuerySet:
        return qs.alias(strongest_evidence=strongest_evidence()).filter(
            strongest_evidence__in=value
        )

    # -- the form and what it means ----------------------------------------------------------

    @property
    def valid_data(self) -> dict:
        """The parameters that passed validation; invalid ones are reported and left out."""
        self.form.is_valid()  # validates once: the form caches its errors
        return self.form.cleaned_data

    @property
    def text(self) -> str:
        return (self.valid_data.get("q") or "").strip()

    @property
    def sort_order(self) -> str:
        sort = self.valid_data.get("sort")
        if sort == "relevance" and not self.text:
            sort = None
        return sort or ("relevance" if self.text else "newest")

    def filter_queryset(self, queryset: QuerySet, *, skip: str | None = None) -> QuerySet:
        """Apply every valid filter except `skip` (a facet whose counts are being computed)."""
        data = self.valid_data
        for name, filter_ in self.filters.items():
            if name == skip or data.get(name) in (None, "", []):
                continue
            queryset = filter_.filter(queryset, data[name])
        return queryset

    def sorted(self, queryset: QuerySet) -> QuerySet:
        if self.sort_order == "relevance":
            return search.with_rank(queryset, self.text).order_by("-rank", "title")
        return queryset.order_by(*SORT_ORDERING[self.sort_order])

    def facet_counts(self, name: str) -> dict[str, int]:
        """How many results each option of facet `name` would give, ignoring its own selection."""
        base = self.filter_queryset(self.queryset, skip=name)
        return dict(FACET_COUNTERS[name](base))


def count_by_council_field(field: str) -> Callable[[QuerySet], list]:
    def count(base: QuerySet) -> list:
        return (
            CaseStudyCouncil.objects.filter(casestudy__in=base.values("pk"))
            .values_list(f"council__{field}")
            .annotate(n=Count("casestudy_id", distinct=True))
            .order_by()
        )

    return count


FACET_COUNTERS: dict[str, Callable[[QuerySet], list]] = {
    "response": lambda base: base.order_by().values_list("response").annotate(n=Count("pk")),
    "service": lambda base: (
        CaseStudyServiceArea.objects.filter(casestudy__in=base.values("pk"))
        .values_list("servicearea__slug")
        .annotate(n=Count("casestudy_id"))
        .order_by()
    ),
    "council_type": count_by_council_field("council_type"),
    "nation": count_by_council_field("nation"),
    "region": count_by_council_field("region"),
    "council": count_by_council_field("slug"),
    "sector": lambda base: (
        Membership.objects.filter(partnership__case_studies__in=base.values("pk"))
        .values_list("organisation__sector")
        .annotate(n=Count("partnership__case_studies", distinct=True))
        .order_by()
    ),
    "evidence": lambda base: (
        base.order_by()
        .annotate(strength=strongest_evidence())
        .values_list("strength")
        .annotate(n=Count("pk"))
    ),
}
FACETS = list(FACET_COUNTERS)


COUNCIL_TYPE_PLURALS = {
    CouncilType.COUNTY: "county councils",
    CouncilType.DISTRICT: "district councils",
    CouncilType.UNITARY: "unitary authorities",
    CouncilType.METROPOLITAN_BOROUGH: "metropolitan boroughs",
    CouncilType.LONDON_BOROUGH: "London boroughs",
    CouncilType.WELSH_PRINCIPAL: "Welsh principal councils",
    CouncilType.SCOTTISH: "Scottish councils",
    CouncilType.NI_DISTRICT: "Northern Ireland district councils",
    CouncilType.COMBINED_AUTHORITY: "combined authorities",
    CouncilType.ASSOCIATION: "associations of councils",
}


def either(words: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def region_name(region: str) -> str:
    label = Region(region).label
    return f"the {label}" if label.split()[0] in {"North", "South", "East", "West"} else label


def sector_name(sector: str) -> str:
    label = Sector(sector).label
    return label if label == "NHS" else label[0].lower() + label[1:]


def describe(filterset: CaseStudyFilter, count: int) -> str:
    """The result set in words: '12 collaborate case studies about adult social care in ...'."""
    data = filterset.valid_data
    labels = {
        name: dict(filterset.form.fields[name].choices)
        for name in ["service", "council"]
        if data.get(name)
    }
    noun = "case study" if count == 1 else "case studies"
    if data.get("response"):
        noun = f"{either([ResponseType(r).label.lower() for r in data['response']])} {noun}"
    parts = [f"{count:,} {noun}"]
    if data.get("service"):
        parts.append("about " + either([labels["service"][s].lower() for s in data["service"]]))
    if data.get("council_type"):
        parts.append("in " + either([COUNCIL_TYPE_PLURALS[t] for t in data["council_type"]]))
    if data.get("nation"):
        parts.append("in " + either([Nation(n).label for n in data["nation"]]))
    if data.get("region"):
        parts.append("in " + either([region_name(r) for r in data["region"]]))
    if data.get("council"):
        parts.append("involving " + either([labels["council"][c] for c in data["council"]]))
    if data.get("sector"):
        parts.append(f"with {either([sector_name(s) for s in data['sector']])} partners")
    if data.get("evidence"):
        strengths = [EvidenceStrength(e).label.lower() for e in data["evidence"]]
        parts.append(f"whose strongest evidence is {either(strengths)}")
    year_from, year_to = data.get("year_from"), data.get("year_to")
    if year_from is not None and year_to is not None:
        parts.append(
            f"started {year_from}–{year_to}" if year_from != year_to else f"started in {year_from}"
        )
    elif year_from is not None:
        parts.append(f"started in or after {year_from}")
    elif year_to is not None:
        parts.append(f"started in or before {year_to}")
    if filterset.text:
        parts.append(f"matching “{filterset.text}”")
    return " ".join(parts)
