"""The catalogue's one FilterSet: the query string that every listing and output shares.

/case-studies/?q=...&response=collaborate&service=adult-social-care&... means the same set of
case studies in the HTML list, its facet counts, and every later output built on it.
Values inside one facet are OR'ed, different facets are AND'ed; each facet's option counts
leave that facet's own selection out (as GOV.UK's finders do).

The form validates the query; the published catalogue's facet index (catalogue/facets.py)
evaluates it, so the results, their order and every count come from one place.
"""

import copy
import functools
import re
import weakref
from collections.abc import Sequence

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.functional import cached_property

from partnerships.models import CouncilType, Nation, Region, Sector
from partnerships.names import without_generic_words
from partnerships.vocabulary import FIRST_YEAR, LAST_YEAR

from . import search
from .facets import FACETS, SORT_ORDERING, FacetIndex, current_index, id_list
from .models import CaseStudy, EvidenceStrength, ResponseType, ServiceArea


class SharedFilter(django_filters.Filter):
    """A FilterSet deep-copies its filters for every request, and with them the form field each
    has made (with all its choices: every council). Ours keep nothing of a request but their
    `parent`, so a shallow copy each does: a deep one was about a millisecond of a list page.

    The parent is held weakly: a FilterSet and its filters in a reference cycle outlived the
    request until a full garbage collection, rare in a long-running worker, and with them a
    search's matches (megabytes at 100,000 case studies): a worker grew by that much with
    every search."""

    def __deepcopy__(self, memo: dict) -> "SharedFilter":
        return copy.copy(self)

    @property
    def parent(self) -> "CaseStudyFilter | None":
        held = self.__dict__.get("_parent")
        return held() if held is not None else None

    @parent.setter
    def parent(self, filterset: "CaseStudyFilter | None") -> None:
        self._parent = weakref.ref(filterset) if filterset is not None else None


class SearchText(SharedFilter, django_filters.CharFilter):
    """Evaluated by the search engine and the facet index, never as a filter on the SQL."""

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        return qs


class SharedChoices(forms.ChoiceField):
    """A form deep-copies its fields for every instance, choices included; ours are only ever
    replaced, never changed in place, so the copies share them."""

    def __deepcopy__(self, memo: dict) -> "SharedChoices":
        result = forms.Field.__deepcopy__(self, memo)
        result._choices = self._choices
        return result


class SortOrder(SharedFilter, django_filters.ChoiceFilter):
    """Validated with the filters, applied by `CaseStudyFilter.sorted`, filters nothing."""

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        return qs


CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

SORT_CHOICES = [
    ("relevance", "Best match"),
    ("newest", "Newest first"),
    ("title", "Title A to Z"),
    ("start-year", "Start year, earliest first"),
    ("-start-year", "Start year, latest first"),
]


def service_area_choices() -> list[tuple[str, str]]:
    return list(ServiceArea.objects.order_by("name").values_list("slug", "name"))


class FacetField(SharedChoices, django_filters.fields.MultipleChoiceField):
    """Names every unknown value; the form keeps the known ones (CaseStudyFilterForm.clean)."""

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        unknown = [v for v in value if not self.valid_value(v)]
        if unknown:
            raise ValidationError(
                [
                    ValidationError(
                        self.error_messages["invalid_choice"],
                        code="invalid_choice",
                        params={"value": v},
                    )
                    for v in unknown
                ]
            )

    def known(self, values: list[str]) -> list[str]:
        return [v for v in self.to_python(values) if self.valid_value(v)]


class FacetFilter(SharedFilter, django_filters.MultipleChoiceFilter):
    """Validated by the form; evaluated by the facet index, never as SQL."""

    field_class = FacetField

    def filter(self, qs: QuerySet, value: list[str]) -> QuerySet:
        return qs


def facet(label: str, choices) -> FacetFilter:
    return FacetFilter(
        label=label,
        choices=choices,
        distinct=False,
        error_messages={
            "invalid_choice": f"“%(value)s” is not a {label.lower()} we know, so it was left out."
        },
    )


class YearFilter(SharedFilter, django_filters.NumberFilter):
    field_class = forms.IntegerField

    def filter(self, qs: QuerySet, value: int | None) -> QuerySet:
        return qs


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
        # An unknown value is reported and left out, and only it: ?service=bogus&service=
        # libraries still means Libraries.
        for name, field in self.fields.items():
            if isinstance(field, FacetField) and name in self.errors:
                data[name] = field.known(self[name].data)
        year_from, year_to = data.get("year_from"), data.get("year_to")
        if year_from is not None and year_to is not None and year_from > year_to:
            self.add_error(
                "year_to",
                f"The years run backwards ({year_from} is after {year_to}), so the year "
                f"range was left out. Did you mean {year_to} to {year_from}?",
            )
            data.pop("year_from", None)
        return data


CHOICES_FROM_THE_INDEX = ("service", "council")  # the rest are fixed vocabularies


class IndexWhenNeeded:
    """The facet index a FilterSet reads, fetched when first needed (never just by building
    the FilterSet, as schema generators do) and then kept: its choices and its counts come
    from one index."""

    def __init__(self) -> None:
        self.index: FacetIndex | None = None

    def get(self) -> FacetIndex:
        if self.index is None:
            self.index = current_index()
        return self.index


def choices_in_index(index: IndexWhenNeeded, name: str) -> list[tuple[str, str]]:
    found = index.get()
    return found.service_areas if name == "service" else found.council_choices


class CaseStudyFilter(django_filters.FilterSet):
    q = SearchText(
        label="Search",
        max_length=search.MAX_QUERY_LENGTH,
        error_messages={
            "max_length": f"The search text is too long: use at most "
            f"{search.MAX_QUERY_LENGTH} characters. It was left out."
        },
    )
    response = facet("Response type", ResponseType.choices)
    service = facet("Service area", service_area_choices)
    council_type = facet("Council type", CouncilType.choices)
    nation = facet("Nation", Nation.choices)
    region = facet("Region", Region.choices)
    sector = facet("Partner sector", Sector.choices)
    council = facet("Council", [])  # the councils in use, from the index
    evidence = facet("Strongest evidence", EvidenceStrength.choices)
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
        # Choices from the facet index through its holder, not the FilterSet: the form must
        # not hold the FilterSet in a reference cycle (see SharedFilter).
        self._index = IndexWhenNeeded()
        for name in CHOICES_FROM_THE_INDEX:
            self.form.fields[name].choices = functools.partial(choices_in_index, self._index, name)

    def facet_choices(self, name: str) -> list[tuple[str, str]]:
        """Facet `name`'s options, (value, label), as they are: the form field's choices wrap
        each option on every reading, and a list page reads every council's."""
        if name in CHOICES_FROM_THE_INDEX:
            return choices_in_index(self._index, name)
        return self.base_filters[name].extra["choices"]

    @classmethod
    @functools.cache
    def form_class(cls) -> type[forms.Form]:
        """The form's class, made once: django-filter makes one for every FilterSet, from a
        field it builds for each filter (which the form then copies again)."""
        fields = {name: filter_.field for name, filter_ in cls.base_filters.items()}
        return type(f"{cls.__name__}Form", (cls._meta.form,), fields)

    def get_form_class(self) -> type[forms.Form]:
        return self.form_class()

    @property
    def index(self) -> FacetIndex:
        return self._index.get()

    # -- the form and what it means ----------------------------------------------------------

    @property
    def valid_data(self) -> dict:
        """The parameters that passed validation; invalid ones are reported and left out."""
        self.form.is_valid()  # validates once: the form caches its errors
        return self.form.cleaned_data

    @property
    def text(self) -> str:
        # Control characters are never words, and XML (the Atom feed's title) forbids them.
        return " ".join(CONTROL_CHARACTERS.sub(" ", self.valid_data.get("q") or "").split())

    @property
    def sort_order(self) -> str:
        sort = self.valid_data.get("sort")
        if sort == "relevance" and not self.text:
            sort = None
        return sort or ("relevance" if self.text else "newest")

    def bits(self, *, skip: str | None = None) -> int:
        """The published case studies matching every valid filter except facet `skip`."""
        if skip not in self._bits:
            self._bits[skip] = self._select(skip)
        return self._bits[skip]

    @cached_property
    def _bits(self) -> dict[str | None, int]:
        return {}  # one selection per facet left out: a page asks for each several times

    def _select(self, skip: str | None) -> int:
        data, index = self.valid_data, self.index
        found = index.everything
        for name in FACETS:
            if name != skip and data.get(name):
                found &= index.select(name, data[name])
        if data.get("year_from") is not None or data.get("year_to") is not None:
            found &= index.year_range(data.get("year_from"), data.get("year_to"))
        if self.text:
            found &= self.text_bits
        return found

    @cached_property
    def text_bits(self) -> int:
        """The published case studies matching the search text."""
        return self.index.of_ids(self.text_matches.ids) if self.text else 0

    @cached_property
    def search_text(self) -> str:
        """The text the engine searches for: the generic words around a council's name left
        out ("Powys County Council" -> "Powys"), as case studies are indexed under the
        register's names."""
        return without_generic_words(self.text, self.index.council_keys)

    @cached_property
    def text_matches(self) -> search.Matches:
        return search.Matches(self.search_text)

    def best_matches(self, offset: int, limit: int) -> list[int]:
        """The results ranked best first (ties: lower id first), from `offset`, at most
        `limit`. Asks the search only for the best few matches, drafts and other filters'
        rejects among them: twice as many as the share of matches that are results suggests,
        and more if that falls short."""
        wanted, results, matches = offset + limit, self.bits(), len(self.text_matches.ids)
        if not results or limit <= 0:
            return []
        fetch = min(matches, wanted * matches // results.bit_count() * 2 + 20)
        while True:
            found = self.index.members_of(self.text_matches.best(fetch), results)
            if len(found) >= wanted or fetch >= matches:
                return found[offset:wanted]
            fetch = min(matches, fetch * 4)

    def result_ids(self) -> "ResultIds":
        """The ids of the matching published case studies, in the chosen order."""
        return ResultIds(self)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        """`queryset` narrowed to the matching case studies (for exports and the API)."""
        if not self.is_filtered:
            return queryset
        return queryset.filter(pk__in=id_list(self.index.ids_in(self.bits())))

    @property
    def is_filtered(self) -> bool:
        data = self.valid_data
        return any(data.get(name) not in (None, "", []) for name in self.filters if name != "sort")

    def sorted(self, queryset: QuerySet) -> QuerySet:
        if self.sort_order == "relevance":
            return search.with_rank(queryset, self.search_text).order_by("-rank", "pk")
        return queryset.order_by(*SORT_ORDERING[self.sort_order])

    def facet_counts(self, name: str) -> dict[str, int]:
        """How many results each option of facet `name` would give, ignoring its own selection."""
        return self.index.counts(name, self.bits(skip=name))


def normalised_query(query: QueryDict) -> QueryDict:
    """The FilterSet's parameters in `query`, spelt one way (for keys such as the page cache's):
    unknown names, empty values and defaults left out, each facet's values once and sorted
    (their order means nothing), the search text's spacing collapsed. Nothing is validated
    here: the FilterSet reports a bad value wherever this query is used."""
    normal = QueryDict(mutable=True)
    text = " ".join(CONTROL_CHARACTERS.sub(" ", query.get("q", "")).split())
    for name in CaseStudyFilter.base_filters:
        if name in FACETS:
            normal.setlist(name, sorted(set(query.getlist(name))))
            continue
        value = text if name == "q" else query.get(name, "").strip()
        if name in {"year_from", "year_to"} and value.isascii() and value.isdigit():
            value = str(int(value))
        if name == "sort" and (value == "relevance" or (value == "newest" and not text)):
            value = ""  # the default order (relevance without a search means newest)
        if value:
            normal[name] = value
    return normal


class ResultIds(Sequence):
    """A FilterSet's results in its order, worked out a slice at a time: a page of a large
    result set only sorts (or ranks) as far as that page. Paginator takes it as a list."""

    def __init__(self, filterset: CaseStudyFilter) -> None:
        self.filterset = filterset

    def count(self) -> int:
        return self.filterset.bits().bit_count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        if not isinstance(item, slice) or item.step not in (None, 1):
            raise TypeError("ResultIds takes slices with no step, as Paginator asks")
        start, stop, _ = item.indices(self.count())
        filterset, limit = self.filterset, max(stop - start, 0)
        if filterset.sort_order == "relevance":
            return filterset.best_matches(start, limit)
        return filterset.index.ordered_ids(
            filterset.bits(), filterset.sort_order, offset=start, limit=limit
        )


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
        name: dict(filterset.facet_choices(name))
        for name in CHOICES_FROM_THE_INDEX
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
