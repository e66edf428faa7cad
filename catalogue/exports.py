"""Exports of a filtered view of the catalogue, as CSV and JSON, streamed, with provenance.

An export takes /case-studies/'s query string (`catalogue.filters.CaseStudyFilter`) and holds
exactly the case studies that page lists, in the same order, without paging. Drafts never
appear: the selection starts from `CaseStudy.objects.published()`.

Every column is defined once, in COLUMNS (and the nested JSON fields in NESTED): the CSV
writer, the JSON records and the codebook all read them, so nothing is exported undocumented.

Rows are read with `.iterator(chunk_size=CHUNK_SIZE)` and their related records fetched for each
chunk: one query for the case studies plus seven per chunk, however many rows there are, and
memory holds one chunk at a time. Councils, service areas, outcomes, sources and partners are read
as values into small records, not model instances: an export makes thousands of them a chunk,
and an instance costs several times as much to make.

The CSV export reads most lines ready-made: each published case study's line is stored
(`ExportLine`), deleted in the transaction of any change to what it shows and made again once
that change commits (`lines_out_of_date`), so an export reads one query of lines a chunk and
makes only those missing.

CSV choices, stated in the codebook too:
- UTF-8 with a byte-order mark: without it Excel reads the file in the local code page and
  mangles £, accents and Welsh place names; Python (encoding="utf-8-sig"), pandas and R skip it.
- Several values in one cell are separated by " | ": commas and semicolons occur in names.
- A cell that begins with = + - @, a tab or a carriage return gets a leading apostrophe, so a
  spreadsheet shows it as text instead of running it as a formula (CSV injection).
"""

import csv
import dataclasses
import functools
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from itertools import chain, islice
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils.text import capfirst, slugify

from partnerships.models import (
    CouncilType,
    Membership,
    OrganisationName,
    name_in,
)

from .addresses import case_study_path
from .citations import LICENCE, SITE_NAME, TRANSFORMING_TOGETHER, dataset_citation, isoformat
from .facets import code_digest, id_list
from .filters import CaseStudyFilter, describe
from .models import (
    CaseStudy,
    CatalogueVersion,
    EvidenceStrength,
    ExportLine,
    Outcome,
    OutcomeKind,
    Source,
    figure_text,
    year_of_names,
)

logger = logging.getLogger(__name__)

CHUNK_SIZE = 500
ROWS_PER_WRITE = 100
SEPARATOR = " | "
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"

Value = str | int | float | bool | None | list


@dataclass(frozen=True, slots=True)
class PartnershipRecord:
    """The partnership a case study's work was done through, as the exports show it."""

    pk: int
    name: str
    slug: str
    governance: str
    start_year: int | None

    def get_absolute_url(self) -> str:
        return reverse("catalogue:partnership_detail", kwargs={"slug": self.slug})


@dataclass(frozen=True, slots=True)
class CaseStudyRecord:
    """A case study's values as the exports show them (its long texts left out)."""

    pk: int
    slug: str
    title: str
    summary: str
    response: str
    secondary_response: str
    start_year: int | None
    start_year_estimated: bool
    confidence: str
    from_transforming_together: bool
    published_at: datetime | None
    updated_at: datetime
    partnership: PartnershipRecord | None = None

    @property
    def partnership_id(self) -> int | None:
        return self.partnership.pk if self.partnership else None

    @property
    def year_of_names(self) -> int | None:
        return year_of_names(self.start_year, self.partnership)

    def get_absolute_url(self) -> str:
        return case_study_path(self.slug)


@dataclass(slots=True)
class OutcomeRecord:
    """An outcome's values as the exports show them."""

    pk: int
    case_study_id: int
    description: str
    kind: str
    figure: Decimal | None
    unit: str
    period: str
    evidence: str
    confidence: str
    source_numbers: list[int] = field(default_factory=list)  # set by number_sources

    @property
    def figure_text(self) -> str:
        return figure_text(self.figure, self.unit)


@dataclass(slots=True)
class SourceRecord:
    """A source's values as the exports show them."""

    pk: int
    case_study_id: int
    title: str
    publisher: str
    year: int | None
    url: str
    copy_url: str
    section: str
    number: int = 0  # its place in the case study's sources, from 1: set by number_sources


@dataclass(frozen=True, slots=True)
class Partner:
    """A partner organisation of a case study's partnership."""

    name: str  # its name when the work started (organisations get renamed)
    current_name: str
    slug: str
    sector: str
    role: str

    def get_absolute_url(self) -> str:
        return reverse("catalogue:organisation_detail", kwargs={"slug": self.slug})


@dataclass(frozen=True, slots=True)
class ServiceAreaRecord:
    """A service area as the exports show it."""

    pk: int
    slug: str
    name: str

    def get_absolute_url(self) -> str:
        return reverse("catalogue:service_area_detail", kwargs={"slug": self.slug})


@dataclass(frozen=True, slots=True)
class CouncilRecord:
    """A council as the exports show it."""

    pk: int
    name: str
    slug: str
    gss_code: str | None
    council_type: str
    nation: str
    region: str

    def get_absolute_url(self) -> str:
        return reverse("catalogue:council_detail", kwargs={"slug": self.slug})

    def get_council_type_display(self) -> str:
        return str(CouncilType(self.council_type).label)


@dataclass(frozen=True)
class Row:
    """One case study as the exports see it, its related records already fetched."""

    case_study: CaseStudyRecord
    permalink: str
    service_areas: list[ServiceAreaRecord]
    councils: list[CouncilRecord]
    partners: list[Partner]  # alphabetically by current name
    outcomes: list[OutcomeRecord]  # each with `source_numbers`: the sources that support it
    sources: list[SourceRecord]


STRONGEST_FIRST = list(reversed(EvidenceStrength.values))


@dataclass(frozen=True)
class Field:
    """A named, documented value in an export: a CSV column or a nested JSON field."""

    name: str
    meaning: str
    type: str
    get: Callable[[Any], Value]
    # The codebook vocabulary this field's values come from, if any.
    vocabulary: str = ""


def strongest_evidence(outcomes: Iterable[OutcomeRecord]) -> str | None:
    """The strongest evidence strength among the outcomes (as the `evidence` filter reads it)."""
    strengths = {outcome.evidence for outcome in outcomes}
    return next((s for s in STRONGEST_FIRST if s in strengths), None)


# Labels by value, looked up directly: get_FOO_display() is slow over 100,000s of outcomes.
KIND_LABELS = {value: str(label) for value, label in OutcomeKind.choices}
EVIDENCE_LABELS = {value: str(label).lower() for value, label in EvidenceStrength.choices}


def outcome_summary(outcome: OutcomeRecord) -> str:
    """'Achieved: Fewer people in care (£7.5m, 2013–2018) [monitored evidence; sources 1, 3]'."""
    text = f"{KIND_LABELS[outcome.kind]}: {' '.join(outcome.description.split())}"
    if outcome.figure is not None:
        text += f" ({outcome.figure_text}{f', {outcome.period}' if outcome.period else ''})"
    cited = outcome.source_numbers
    if cited:
        sources = f"; source{'s' if len(cited) > 1 else ''} {', '.join(map(str, cited))}"
    else:
        sources = ""
    return f"{text} [{EVIDENCE_LABELS[outcome.evidence]} evidence{sources}]"


def number(figure: Decimal | None) -> int | float | None:
    if figure is None:
        return None
    return int(figure) if figure == figure.to_integral_value() else float(figure)


def moment(value: datetime | None) -> str | None:
    return isoformat(value) if value else None


COLUMNS: list[Field] = [
    Field("id", "The case study's number. It never changes: cite by it.", "integer",
          lambda r: r.case_study.pk),
    Field("slug", "The case study's name in its web address; it can change with the title.",
          "text", lambda r: r.case_study.slug),
    Field("permalink", "The lasting web address of the case study, built from its id.", "URL",
          lambda r: r.permalink),
    Field("title", "The case study's title.", "text", lambda r: r.case_study.title),
    Field("summary", "Two or three sentences: what happened and why.", "text",
          lambda r: r.case_study.summary),
    Field("response", "The council's main response to the situation it faced.", "code",
          lambda r: r.case_study.response, "response_types"),
    Field("secondary_response", "A second response, for hybrids (empty for most).", "code",
          lambda r: r.case_study.secondary_response or None, "response_types"),
    Field("service_areas", "The service areas the work concerns.", "list of codes",
          lambda r: [area.slug for area in r.service_areas], "service_areas"),
    Field("councils", "The councils involved, by name, alphabetically.", "list of text",
          lambda r: [council.name for council in r.councils]),
    Field("council_slugs", "The same councils by their catalogue code, as the `council` "
          "filter takes them; one per council, in the same order.", "list of codes",
          lambda r: [council.slug for council in r.councils]),
    Field("council_gss_codes", "The same councils' ONS GSS codes, in the same order; empty "
          "for bodies without one.", "list of codes",
          lambda r: [council.gss_code or None for council in r.councils]),
    Field("council_types", "The same councils' types, in the same order.", "list of codes",
          lambda r: [council.council_type for council in r.councils], "council_types"),
    Field("council_nations", "The same councils' nations, in the same order.", "list of codes",
          lambda r: [council.nation for council in r.councils], "nations"),
    Field("council_regions", "The same councils' regions, in the same order (empty if not "
          "recorded).", "list of codes",
          lambda r: [council.region or None for council in r.councils], "regions"),
    Field("partnership", "The partnership the work was done through, if any.", "text",
          lambda r: r.case_study.partnership.name if r.case_study.partnership else None),
    Field("partnership_governance", "How that partnership is governed.", "code",
          lambda r: r.case_study.partnership.governance if r.case_study.partnership else None,
          "governance"),
    Field("partner_names", "The partnership's partner organisations, alphabetically, each "
          "by the name it had when the work started.",
          "list of text", lambda r: [p.name for p in r.partners]),
    Field("partner_sectors", "The same partners' sectors, in the same order.",
          "list of codes", lambda r: [p.sector for p in r.partners], "sectors"),
    Field("start_year", "The year the work started, if known.", "integer",
          lambda r: r.case_study.start_year),
    Field("start_year_estimated", "Whether the start year is only an estimate or an "
          "inference.", "boolean", lambda r: r.case_study.start_year_estimated),
    Field("confidence", "How well the sources we read support the case as a whole (empty if "
          "not assessed).", "code", lambda r: r.case_study.confidence or None, "confidence"),
    Field("from_transforming_together", "Whether the case is one of those studied in the "
          f"RSA's {TRANSFORMING_TOGETHER.short_title} report ({TRANSFORMING_TOGETHER.year}).",
          "boolean",
          lambda r: r.case_study.from_transforming_together),
    Field("outcome_count", "How many outcomes are recorded.", "integer",
          lambda r: len(r.outcomes)),
    Field("outcomes_summary", "Each outcome in one line: kind, what changed, the figure and "
          "period where known, the strength of its evidence and the numbers of the sources "
          "that support it (the nth source is the nth of `source_urls`). The JSON export also "
          "has them field by field (`outcomes`).", "list of text",
          lambda r: [outcome_summary(o) for o in r.outcomes]),
    Field("strongest_evidence", "The strongest evidence among the outcomes (empty if none), "
          "as the `evidence` filter uses it.", "code",
          lambda r: strongest_evidence(r.outcomes), "evidence_strengths"),
    Field("source_urls", "Each source's web address, in order: empty where only a copy is "
          "known, or none (the JSON export has every source's details).", "list of URLs",
          lambda r: [source.url or None for source in r.sources]),
    Field("source_copy_urls", "The same sources' copies on other sites (a document-sharing "
          "site, a mirror), in the same order: empty where there is none.", "list of URLs",
          lambda r: [source.copy_url or None for source in r.sources]),
    Field("published_at", "When the case study was first published (ISO 8601, UTC).",
          "date-time", lambda r: moment(r.case_study.published_at)),
    Field("updated_at", "When the case study was last changed (ISO 8601, UTC).", "date-time",
          lambda r: moment(r.case_study.updated_at)),
]  # fmt: skip

CELLS = [column.get for column in COLUMNS]  # a Row's cells, in order

PARTNER_FIELDS: list[Field] = [
    Field("name", "The organisation's name when the work started.", "text", lambda p: p.name),
    Field("current_name", "Its name now, if it has since been renamed.", "text",
          lambda p: p.current_name),
    Field("slug", "The organisation's catalogue code.", "code", lambda p: p.slug),
    Field("sector", "The organisation's sector.", "code", lambda p: p.sector, "sectors"),
    Field("role", "What the organisation does in the partnership.", "text", lambda p: p.role),
]  # fmt: skip

OUTCOME_FIELDS: list[Field] = [
    Field("description", "What changed, in our words.", "text", lambda o: o.description),
    Field("kind", "Whether it is a result, a projection, context or contested.", "code",
          lambda o: o.kind, "outcome_kinds"),
    Field("figure", "The number, if one is given.", "number", lambda o: number(o.figure)),
    Field("unit", "What the figure counts, e.g. £m, %, people.", "text", lambda o: o.unit),
    Field("figure_text", "The figure as a reader expects it, e.g. £7.5m.", "text",
          lambda o: o.figure_text),
    Field("period", "The period the figure covers, e.g. 2013–2018, per year.", "text",
          lambda o: o.period),
    Field("evidence", "How strong the evidence for it is.", "code", lambda o: o.evidence,
          "evidence_strengths"),
    Field("confidence", "How sure we are that the source says so.", "code",
          lambda o: o.confidence, "confidence"),
    Field("sources", "The numbers of the sources that support it (see `sources`).",
          "list of integers", lambda o: o.source_numbers),
]  # fmt: skip

SOURCE_FIELDS: list[Field] = [
    Field("number", "Its number in the case study's list of sources, from 1.", "integer",
          lambda s: s.number),
    Field("title", "The publication or page cited.", "text", lambda s: s.title),
    Field("publisher", "Who published the original.", "text", lambda s: s.publisher),
    Field("year", "The year it was published.", "integer", lambda s: s.year),
    Field("url", "The original's web address, if known.", "URL", lambda s: s.url or None),
    Field("copy_url", "A copy on another site, when the original is gone or was not found.",
          "URL", lambda s: s.copy_url or None),
    Field("section", "The page or section cited.", "text", lambda s: s.section),
]  # fmt: skip

# The JSON export's nested lists: name -> (meaning, fields, how to get them from a Row).
NESTED: dict[str, tuple[str, list[Field], Callable[[Row], list]]] = {
    "partners": (
        "The partnership's partner organisations and their roles.",
        PARTNER_FIELDS,
        lambda r: r.partners,
    ),
    "outcomes": (
        "The outcomes, field by field, in the order of `outcomes_summary`.",
        OUTCOME_FIELDS,
        lambda r: r.outcomes,
    ),
    "sources": ("Every source cited, with or without a web address.", SOURCE_FIELDS,
                lambda r: r.sources),
}  # fmt: skip

META_FIELDS: list[tuple[str, str]] = [
    ("title", "What the file is."),
    ("description", "The filtered set in words, as /case-studies/ states it."),
    ("query", "The query string parameters that selected the case studies."),
    ("count", "How many case studies the export holds."),
    ("generated_at", "When the export was made (ISO 8601, UTC)."),
    ("catalogue_version", "The catalogue's version: when a published case study was last "
     "published or changed (ISO 8601, UTC)."),
    ("licence", "The licence of the catalogue's data: its name and address."),
    ("source", "The web page listing the same case studies."),
    ("codebook", "The codebook explaining every field and value."),
    ("citation", "How to cite this data set (APA)."),
]  # fmt: skip


class BadQuery(ValueError):
    """The query string has values the catalogue cannot use; `problems` says which."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems))


@dataclass(frozen=True)
class Selection:
    filterset: CaseStudyFilter
    case_studies: QuerySet  # filtered and sorted as the HTML list, not yet fetched

    def parameters(self) -> dict[str, list[str]]:
        """The filter parameters as given (paging and anything unknown left out)."""
        data = self.filterset.data
        return {
            name: values
            for name in self.filterset.filters
            if (values := [v for v in data.getlist(name) if v.strip()])
        }

    def describe(self, count: int) -> str:
        return describe(self.filterset, count)


def select(*, query: QueryDict) -> Selection:
    """The published case studies the query string selects; BadQuery if any value is wrong.

    Unlike the HTML list, which shows what it can and says what it left out, an export or
    feed refuses: a file that silently ignored a filter would be mistaken for the one asked for.
    """
    filterset = CaseStudyFilter(query, queryset=CaseStudy.objects.published())
    problems = [str(error) for errors in filterset.form.errors.values() for error in errors]
    if problems:
        raise BadQuery(problems)
    return Selection(filterset, filterset.sorted(filterset.filter_queryset(filterset.queryset)))


PARTNERSHIP_VALUES = ["partnership_id", "partnership__name", "partnership__slug",
                      "partnership__governance", "partnership__start_year"]  # fmt: skip


def for_rows(case_studies: QuerySet) -> QuerySet:
    """The case studies' values for CaseStudyRecord, in the queryset's order: their own, then
    their partnership's (null if none)."""
    return case_studies.values_list(*values_of(CaseStudyRecord), *PARTNERSHIP_VALUES)


def case_study_record(values: tuple) -> CaseStudyRecord:
    """A CaseStudyRecord from a row of `for_rows`."""
    *own, pk, name, slug, governance, start_year = values
    partnership = PartnershipRecord(pk, name, slug, governance, start_year) if pk else None
    return CaseStudyRecord(*own, partnership=partnership)


def grouped(items: Iterable, key: str) -> dict[int, list]:
    groups: dict[int, list] = {}
    for item in items:
        groups.setdefault(getattr(item, key), []).append(item)
    return groups


def values_of(record: type) -> list[str]:
    """The names of a record's fields without a default: those read from the database."""
    return [
        f.name
        for f in dataclasses.fields(record)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]


def records(record: type, queryset: QuerySet) -> Iterator:
    """The queryset's rows, in order of id, as `record`s."""
    return (record(*values) for values in queryset.order_by("pk").values_list(*values_of(record)))


def rows_for(case_studies: list[CaseStudyRecord], *, permalink: Callable[[int], str]) -> list[Row]:
    """Rows for a batch of case studies, their related records read in seven queries.

    Plain batch queries rather than prefetch_related: prefetching links each outcome and
    source back to its case study, and those reference cycles wait for Python's rare full
    garbage collection, so memory would climb with the size of the export. Each service area
    or council is made once per batch: one object per thing, not one per mention.
    """
    ids = [case_study.pk for case_study in case_studies]
    partnership_ids = {cs.partnership_id for cs in case_studies if cs.partnership}
    areas = linked(
        CaseStudy.service_areas.through.objects.filter(casestudy_id__in=id_list(ids)),
        "servicearea",
        ServiceAreaRecord,
    )
    councils = linked(
        CaseStudy.councils.through.objects.filter(casestudy_id__in=id_list(ids)),
        "council",
        CouncilRecord,
    )
    members = partners_of(partnership_ids) if partnership_ids else {}
    outcomes = grouped(
        records(OutcomeRecord, Outcome.objects.filter(case_study_id__in=id_list(ids))),
        "case_study_id",
    )
    sources = grouped(
        records(SourceRecord, Source.objects.filter(case_study_id__in=id_list(ids))),
        "case_study_id",
    )
    number_sources(sources, outcomes)
    return [
        Row(
            case_study=case_study,
            permalink=permalink(case_study.pk),
            service_areas=areas.get(case_study.pk, []),
            councils=councils.get(case_study.pk, []),
            partners=[
                member.partner(case_study.year_of_names)
                for member in members.get(case_study.partnership_id, [])
            ],
            outcomes=outcomes.get(case_study.pk, []),
            sources=sources.get(case_study.pk, []),
        )
        for case_study in case_studies
    ]


@dataclass(frozen=True, slots=True)
class Member:
    """An organisation in a partnership, with every name it has had."""

    name: str
    slug: str
    sector: str
    role: str
    former_names: list[tuple[str, int | None, int]]  # (name, from_year, to_year), in order

    def partner(self, year: int | None) -> Partner:
        """The partner as a case study of `year` names it."""
        then = name_in(year, current=self.name, former=self.former_names)
        return Partner(then, self.name, self.slug, self.sector, self.role)


def partners_of(partnership_ids: set[int]) -> dict[int, list[Member]]:
    """{partnership id: its members, by organisation name}, in two queries."""
    memberships = list(
        Membership.objects.filter(partnership_id__in=id_list(partnership_ids))
        .order_by("organisation__name", "pk")
        .values_list(
            "partnership_id",
            "organisation_id",
            "organisation__name",
            "organisation__slug",
            "organisation__sector",
            "role",
        )
    )
    former: dict[int, list[tuple[str, int | None, int]]] = {}
    for organisation_id, *name in OrganisationName.objects.filter(
        organisation_id__in=id_list({membership[1] for membership in memberships})
    ).values_list("organisation_id", "name", "from_year", "to_year"):
        former.setdefault(organisation_id, []).append(tuple(name))
    by_partnership: dict[int, list[Member]] = {}
    for partnership, organisation_id, *organisation, role in memberships:
        by_partnership.setdefault(partnership, []).append(
            Member(*organisation, role, former.get(organisation_id, []))
        )
    return by_partnership


def linked(links: QuerySet, target: str, record: type) -> dict[int, list]:
    """{case study id: its linked things as `record`s, by name}, from a many-to-many link
    table joined to the things, in one query; each thing made once, however often linked."""
    made: dict[int, Any] = {}
    by_case: dict[int, list] = {}
    fields = [f"{target}__{name}" for name in values_of(record)]
    for case_study_id, pk, *values in links.order_by(
        f"{target}__name", f"{target}_id"
    ).values_list("casestudy_id", *fields):
        thing = made.get(pk) or made.setdefault(pk, record(pk, *values))
        by_case.setdefault(case_study_id, []).append(thing)
    return by_case


def number_sources(sources: dict[int, list], outcomes: dict[int, list]) -> None:
    """Number each case's sources from 1 and give each outcome the numbers it cites (model
    instances or records alike)."""
    numbers = {}
    for listed in sources.values():
        for number, source in enumerate(listed, start=1):
            source.number = numbers[source.pk] = number
    cited: dict[int, list[int]] = {}
    for outcome_id, source_id in (
        Outcome.sources.through.objects.filter(
            outcome__case_study_id__in=id_list(sources.keys() | outcomes.keys())
        )
        .order_by("source_id")
        .values_list("outcome_id", "source_id")
    ):
        cited.setdefault(outcome_id, []).append(numbers[source_id])
    for listed in outcomes.values():
        for outcome in listed:
            outcome.source_numbers = cited.get(outcome.pk, [])


def permalinks(base_url: str) -> Callable[[int], str]:
    """The absolute permalink of any id, reversing the URL once rather than once a row."""
    placeholder = 1234567890
    before, after = reverse("catalogue:case_study_permalink", kwargs={"pk": placeholder}).split(
        str(placeholder)
    )
    return lambda pk: f"{base_url}{before}{pk}{after}"


def rows(*, case_studies: QuerySet, base_url: str, chunk_size: int | None = None) -> Iterator[Row]:
    """Every case study as a Row: one query reads them all (a server-side cursor on
    PostgreSQL, chunked reads on SQLite), then seven more per chunk of `chunk_size`.

    The first chunk is read now, before any of a file is sent: if the database is down, the
    request fails with the 503 page rather than a 200 with a header and a cut-off file.
    """
    chunk_size = chunk_size or CHUNK_SIZE
    permalink = permalinks(base_url)
    listed = map(case_study_record, for_rows(case_studies).iterator(chunk_size=chunk_size))
    first = rows_for(list(islice(listed, chunk_size)), permalink=permalink)

    def the_rest() -> Iterator[Row]:
        while chunk := list(islice(listed, chunk_size)):
            yield from rows_for(chunk, permalink=permalink)

    return chain(first, the_rest())


def record(row: Row) -> dict[str, Value]:
    """A row as a JSON object: every column, then the nested lists."""
    data: dict[str, Value] = {column.name: column.get(row) for column in COLUMNS}
    for name, (_meaning, fields, items) in NESTED.items():
        data[name] = [{field.name: field.get(item) for field in fields} for item in items(row)]
    return data


def neutralise(text: str) -> str:
    """Text a spreadsheet will show as text, never run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: Value) -> str:
    """A JSON value as one CSV cell (by exact type: called for every cell of an export)."""
    kind = type(value)
    if kind is str:
        return neutralise(value)
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is list:
        return neutralise(SEPARATOR.join(["" if v is None else str(v) for v in value]))
    return neutralise(str(value))


class _Echo:
    """A file-like object for csv.writer that hands back each line instead of storing it."""

    def write(self, line: str) -> str:
        return line


def csv_writer() -> Any:
    return csv.writer(_Echo())


def csv_stream(
    *, case_studies: QuerySet, base_url: str, chunk_size: int | None = None
) -> Iterator[bytes]:
    """The CSV file, in pieces: a byte-order mark, the header, then one line per case study.

    Each chunk of case studies is read as their stored lines (ExportLine), one query, and only
    the lines missing are made from the case studies' records. The first chunk is read now,
    before any of the file is sent: if the database is down, the request fails with the 503
    page rather than a 200 with a header and a cut-off file.
    """
    chunk_size = chunk_size or CHUNK_SIZE
    ids = case_studies.values_list("pk", flat=True).iterator(chunk_size=chunk_size)
    writer = csv_writer()
    header = (BOM + writer.writerow([column.name for column in COLUMNS])).encode()
    first = csv_lines(list(islice(ids, chunk_size)), base_url=base_url)

    def the_rest() -> Iterator[bytes]:
        while chunk := list(islice(ids, chunk_size)):
            yield csv_lines(chunk, base_url=base_url)

    return chain([header, first], the_rest())


def csv_lines(ids: list[int], *, base_url: str) -> bytes:
    """The CSV lines of these case studies, in this order: stored ones with the site's address
    put in, the rest made now."""
    lines = dict(
        ExportLine.objects.filter(case_study_id__in=id_list(ids), layout=line_layout())
        .order_by()
        .values_list("case_study_id", "line")
    )
    for pk, line in lines.items():
        at = base_address_at(line)
        lines[pk] = f"{line[:at]}{base_url}{line[at:]}"
    if missing := [pk for pk in ids if pk not in lines]:
        lines.update(made_lines(missing, base_url=base_url))
    return "".join(lines[pk] for pk in ids if pk in lines).encode()


def made_lines(ids: list[int], *, base_url: str) -> dict[int, str]:
    """The CSV lines of those of these case studies that are published, made from their
    records (in seven queries), by id."""
    published = CaseStudy.objects.published().filter(pk__in=id_list(ids)).order_by()
    found = [case_study_record(values) for values in for_rows(published)]
    writer = csv_writer()
    return {
        row.case_study.pk: writer.writerow([cell(get(row)) for get in CELLS])
        for row in rows_for(found, permalink=permalinks(base_url))
    }


def base_address_at(line: str) -> int:
    """Where the site's address goes in a stored line: at the start of the third cell, the
    permalink, after an id and a slug that never need quoting."""
    return line.index(",", line.index(",") + 1) + 1


@functools.cache
def line_layout() -> str:
    """A digest of the code that shapes a CSV line."""
    return code_digest(
        __name__,
        "catalogue.citations",
        "catalogue.models",
        "partnerships.models",
        "partnerships.names",
        "partnerships.vocabulary",
    )


def store_lines(ids: Iterable[int]) -> int:
    """Make and store the CSV lines of these case studies that are published and have none,
    as they are now; how many were stored. (A line that exists is current: one save calls this
    once for each of its many changes, and only the first makes anything.)"""
    with transaction.atomic():
        # The row every change locks first (CatalogueVersion.bump), held until this commits:
        # no change to a case study commits between reading it and storing its line.
        CatalogueVersion.objects.select_for_update().filter(pk=1).first()
        current = ExportLine.objects.filter(case_study_id__in=list(ids), layout=line_layout())
        have = set(current.values_list("case_study_id", flat=True))
        missing = [pk for pk in ids if pk not in have]
        return len(_store_lines(missing)) if missing else 0


def _store_lines(ids: list[int]) -> set[int]:
    """Make and store these case studies' lines (those published); the ids stored."""
    layout = line_layout()
    stored = [
        ExportLine(case_study_id=pk, layout=layout, line=line)
        for pk, line in made_lines(ids, base_url="").items()
        if line[base_address_at(line) :].startswith("/")  # the permalink, as expected
    ]
    ExportLine.objects.bulk_create(
        stored,
        update_conflicts=True,
        unique_fields=["case_study"],
        update_fields=["layout", "line"],
    )
    return {line.case_study_id for line in stored}


def fill_missing_lines() -> int:
    """Make the line of every published case study without one (or with another layout's), a
    chunk at a time, each chunk in its own transaction; how many were made."""
    made, given_up = 0, set()
    while True:
        with transaction.atomic():
            CatalogueVersion.objects.select_for_update().filter(pk=1).first()  # as store_lines
            current = ExportLine.objects.filter(layout=line_layout()).values("case_study_id")
            missing = list(
                CaseStudy.objects.published()
                .exclude(pk__in=current)
                .exclude(pk__in=id_list(list(given_up)))
                .order_by()
                .values_list("pk", flat=True)[:CHUNK_SIZE]
            )
            if not missing:
                return made
            stored = _store_lines(missing)
        made += len(stored)
        given_up.update(set(missing) - stored)  # made for each export instead


_filler: threading.Thread | None = None
_filler_lock = threading.Lock()


def fill_missing_lines_in_background() -> None:
    """Start fill_missing_lines in a thread of its own, unless one is under way."""
    global _filler
    with _filler_lock:
        if _filler is None:
            # Not a daemon: a command that changed everything (an import) ends once it is done.
            _filler = threading.Thread(target=_fill, name="export-lines", daemon=False)
            _filler.start()


def finish_filling() -> None:
    """Wait for the filling under way, if any (for tests and benchmarks)."""
    if (filler := _filler) is not None:
        filler.join()


def _fill() -> None:
    global _filler
    try:
        fill_missing_lines()
    except Exception:  # exports make what is missing: slower, never wrong
        logger.exception("The CSV export's missing lines could not be made.")
    finally:
        connection.close()  # this thread's own connection
        with _filler_lock:
            _filler = None


_deferred: ContextVar[list | None] = ContextVar("export_lines_deferred", default=None)


@contextmanager
def lines_deferred() -> Iterator[None]:
    """Inside the block, changes only delete the lines they make stale; the lines are made
    again once, for all of them, when it ends (once the transaction commits). For bulk work
    (an import, a seed load) whose hundreds of changes would each make lines."""
    if _deferred.get() is not None:  # already inside a deferred block
        yield
        return
    token = _deferred.set([])
    try:
        yield
        changed = _deferred.get()
    finally:
        _deferred.reset(token)
    if changed:
        everything = any(ids is None for ids in changed)
        transaction.on_commit(
            partial(make_lines_again, None if everything else set().union(*changed)),
            robust=True,
        )


def in_bulk_work() -> bool:
    """Whether this is inside a `lines_deferred` block (an import, a seed load)."""
    return _deferred.get() is not None


def lines_out_of_date(case_study_ids: set[int] | None) -> None:
    """In the transaction of a change: delete the lines it makes stale (every line, for None),
    and make them again once it has committed."""
    lines = ExportLine.objects.all()
    if case_study_ids is not None:
        lines = lines.filter(case_study_id__in=case_study_ids)
    lines.delete()
    if (deferred := _deferred.get()) is not None:
        deferred.append(case_study_ids)
    else:
        transaction.on_commit(partial(make_lines_again, case_study_ids), robust=True)


def make_lines_again(case_study_ids: set[int] | None) -> None:
    if case_study_ids is not None:
        store_lines(case_study_ids)
    elif settings.CATALOGUE_INDEX_IN_BACKGROUND:
        fill_missing_lines_in_background()
    else:  # the tests: at once
        fill_missing_lines()


def json_stream(
    *, case_studies: QuerySet, meta: dict, base_url: str, chunk_size: int | None = None
) -> Iterator[bytes]:
    """The JSON file, in pieces: {"meta": {...}, "case_studies": [{...}, ...]}."""
    found = rows(case_studies=case_studies, base_url=base_url, chunk_size=chunk_size)
    return json_pieces(found, meta=meta)


def json_pieces(found: Iterator[Row], *, meta: dict) -> Iterator[bytes]:
    yield ('{"meta": ' + dumps(meta) + ',\n"case_studies": [').encode()
    lines = []
    separator = "\n"
    for row in found:
        lines.append(separator + dumps(record(row)))
        separator = ",\n"
        if len(lines) == ROWS_PER_WRITE:
            yield "".join(lines).encode()
            lines = []
    yield ("".join(lines) + "\n]}\n").encode()


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def catalogue_version() -> datetime | None:
    """When any published case study was last published or changed."""
    latest = CaseStudy.objects.published().aggregate(
        updated=Max("updated_at"), published=Max("published_at")
    )
    moments = [value for value in latest.values() if value]
    return max(moments) if moments else None


def provenance(
    *,
    selection: Selection,
    count: int,
    generated_at: datetime,
    page_url: str,
    codebook_url: str,
) -> dict[str, Any]:
    """The JSON export's `meta` block: what was selected, when, from which version, how to cite.

    `count` is taken just before the rows are read; an edit published in between can make the
    rows differ from it by that edit.
    """
    version = catalogue_version()
    description = capfirst(selection.describe(count))
    return {
        "title": f"{SITE_NAME}: case studies",
        "description": description,
        "query": selection.parameters(),
        "count": count,
        "generated_at": isoformat(generated_at),
        "catalogue_version": moment(version),
        "licence": LICENCE,
        "source": page_url,
        "codebook": codebook_url,
        "citation": dataset_citation(
            description=description,
            version=version,
            retrieved=generated_at.date(),
            url=page_url,
        ),
    }


def filename(*, selection: Selection, day: date, extension: str) -> str:
    """'case-studies-collaborate-adult-social-care-2026-11-28.csv': the filters, then the date."""
    words = ["case-studies"]
    data = selection.filterset.valid_data
    for name in selection.filterset.filters:
        value = data.get(name)
        if name == "sort" or value in (None, "", []):
            continue
        if name == "q":
            words.append("matching-" + slugify(value)[:40])
        elif name == "year_from":
            words.append(f"from-{value}")
        elif name == "year_to":
            words.append(f"to-{value}")
        else:
            words.extend(slugify(v) for v in value)
    stem = "-".join(word for word in words if word)[:120].rstrip("-")
    return f"{stem}-{day.isoformat()}.{extension}"
