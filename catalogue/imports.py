"""Bulk import of whole case studies, from three kinds of file (docs/importing.md):

- the catalogue's own JSON export (`/case-studies/export.json`): export, edit, import back;
- an Excel workbook: a first sheet of case studies, one per row (the CSV's columns), and
  optional sheets `outcomes`, `sources`, `councils` and `partners` whose rows name their case
  study by slug, so a case study can have any number of each;
- a CSV file: one row per case study, with one source and at most one outcome.

Every file becomes the same `Entry` records, every record is checked before anything is
written, and the import is one transaction: one problem imports nothing. A slug that is new
becomes a draft. A slug already in the catalogue is compared with the file: if nothing
differs it is left alone (so importing a file twice changes nothing the second time); if
something differs it is updated, unless it is published (`published_change_problem`).
What the file does not mention (a column it lacks, an outcome sheet with no rows for a case
study) is left as it is. Writes are bulk: the queries do not grow with the number of rows.
"""

import csv
import io
import itertools
import json
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import slugify

from partnerships.lookup import CouncilLookup, name_key, organisations_by_name, unique_slugs
from partnerships.models import (
    Council,
    Governance,
    Membership,
    Organisation,
    Partnership,
    Sector,
)
from partnerships.vocabulary import FIRST_YEAR, LAST_YEAR

from . import exports, history, search, workbooks
from .models import (
    CASE_STUDY_HISTORY,
    CaseStudy,
    CatalogueVersion,
    Confidence,
    EvidenceStrength,
    Outcome,
    OutcomeKind,
    ResponseType,
    ServiceArea,
    Source,
    Status,
)
from .seed import unknown

MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000  # case studies in one file
MAX_ALL_ROWS = 20000  # rows on all the workbook's sheets together
TEMPLATE = Path(__file__).resolve().parent.parent / "docs" / "import-template.csv"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str


COLUMNS = [
    Column("slug", True, "The case study's web address, e.g. wigan-deal. Lower-case letters, "
           "numbers and hyphens. A slug already in the catalogue updates that case study."),
    Column("title", True, "Up to 200 characters."),
    Column("summary", True, "Two or three sentences: what happened and why."),
    Column("body", False, "The full write-up, in Markdown."),
    Column("response", True, "fight, adapt, exit or collaborate."),
    Column("secondary_response", False, "Only for hybrids; differs from response."),
    Column("service_areas", True, "Service area slugs, separated by semicolons, "
           "e.g. adult-social-care; health-integration."),
    Column("councils", True, "Councils by GSS code (E08000010), slug (wigan) or name, "
           "separated by semicolons."),
    Column("start_year", False, f"A year from {FIRST_YEAR} to {LAST_YEAR}."),
    Column("start_year_estimated", False, "yes if the start year is only an estimate."),
    Column("confidence", False, "How well the sources support the case: high, medium or low."),
    Column("partnership", False, "The partnership's name (or slug). A name the catalogue does "
           "not know creates a partnership, which needs partnership_governance."),
    Column("source_url", True, "The web address of the main source (http:// or https://)."),
    Column("source_title", False, "Its title; the URL is used if blank."),
    Column("source_publisher", False, "Who published it."),
    Column("source_year", False, "The year it was published."),
    Column("source_section", False, "The page or section cited, e.g. p. 12."),
    Column("outcome_description", False, "What changed. Fill this to add one outcome."),
    Column("outcome_kind", False, "achieved, projected, context or contested."),
    Column("outcome_evidence", False, "reported, monitored or independently-evaluated."),
    Column("outcome_confidence", False, "high, medium (if blank) or low."),
    Column("outcome_figure", False, "A number, e.g. 7.5."),
    Column("outcome_unit", False, "What the figure counts, e.g. £m, %, people."),
    Column("outcome_period", False, "e.g. 2013–2018, per year."),
    Column("partnership_governance", False, "For a new partnership: "
           f"{', '.join(Governance.values)}."),
]  # fmt: skip
NAMES = [column.name for column in COLUMNS]
REQUIRED_NAMES = [column.name for column in COLUMNS if column.required]

# The workbook's further sheets: their columns, each row naming its case study's slug.
SHEETS: dict[str, list[Column]] = {
    "outcomes": [
        Column("case_study", True, "The slug of a case study on the first sheet."),
        Column("description", True, "What changed."),
        Column("kind", True, "achieved, projected, context or contested."),
        Column("evidence", True, "reported, monitored or independently-evaluated."),
        Column("confidence", False, "high, medium (if blank) or low."),
        Column("figure", False, "A number, e.g. 7.5."),
        Column("unit", False, "What the figure counts, e.g. £m, %, people."),
        Column("period", False, "e.g. 2013–2018, per year."),
    ],
    "sources": [
        Column("case_study", True, "The slug of a case study on the first sheet."),
        Column("url", True, "The web address (http:// or https://)."),
        Column("title", False, "Its title; the URL is used if blank."),
        Column("publisher", False, "Who published it."),
        Column("year", False, "The year it was published."),
        Column("section", False, "The page or section cited, e.g. p. 12."),
        Column("copy_url", False, "Where a copy is, if the original is gone (a mirror)."),
    ],
    "councils": [
        Column("case_study", True, "The slug of a case study on the first sheet."),
        Column("council", True, "GSS code (E08000010), slug (wigan) or name."),
    ],
    "partners": [
        Column("case_study", True, "The slug of a case study on the first sheet."),
        Column("name", True, "The organisation's name; a new name creates the organisation."),
        Column("sector", False, f"Needed for a new organisation: {', '.join(Sector.values)}."),
        Column("role", False, "What it does in the partnership."),
    ],
}
OUTCOME_PARTS = [column.name for column in SHEETS["outcomes"][1:]]
SOURCE_PARTS = [column.name for column in SHEETS["sources"][1:]]
# Scalar fields an entry may set, and the JSON export's names for them where they differ.
SCALARS = ["title", "summary", "body", "response", "secondary_response", "start_year",
           "start_year_estimated", "confidence", "partnership", "partnership_governance",
           "from_transforming_together"]  # fmt: skip
CASE_STUDY_FIELDS = ["title", "summary", "body", "response", "secondary_response", "start_year",
                     "start_year_estimated", "confidence",
                     "from_transforming_together"]  # fmt: skip
GSS_CODE = re.compile(r"^[A-Za-z]\d{8}$")
WEB_ADDRESS = URLValidator(schemes=["http", "https"])
# Each vocabulary's values, computed once: TextChoices builds `.values` anew on every call.
VALUES = {
    vocabulary: frozenset(vocabulary.values)
    for vocabulary in [ResponseType, OutcomeKind, EvidenceStrength, Confidence, Governance, Sector]
}


class ImportFileError(Exception):
    """The file as a whole cannot be read as case studies."""


# -- what a file says --------------------------------------------------------------------------


@dataclass
class Part:
    """An outcome, source or partner as the file gives it: where it is and its texts."""

    where: str
    values: dict[str, str]


@dataclass
class Entry:
    """One case study as the file gives it. None means the file says nothing about a list."""

    where: str
    slug: str
    values: dict[str, str]
    service_areas: list[str] | None = None
    councils: list[str] | None = None
    outcomes: list[Part] | None = None
    sources: list[Part] | None = None
    partners: list[Part] | None = None

    def add(self, name: str, part: Part) -> None:
        if getattr(self, name) is None:
            setattr(self, name, [])
        getattr(self, name).append(part)


# -- what the import will do ---------------------------------------------------------------------


@dataclass
class Plan:
    """One case study checked: what it will be, and (for an existing one) what changes."""

    where: str
    slug: str
    fields: dict[str, Any]
    service_areas: list[ServiceArea] | None
    councils: list[Council] | None
    partnership: "PartnershipPlan | None | bool"  # False: the file leaves it as it is
    partners: list[tuple[str, str, str]] | None  # (name, sector, role)
    outcomes: list[dict[str, Any]] | None
    sources: list[dict[str, Any]] | None
    existing: CaseStudy | None = None
    changes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.fields.get("title") or (self.existing.title if self.existing else "")

    @property
    def council_names(self) -> list[str]:
        if self.councils is not None:
            return [council.name for council in self.councils]
        return [council.name for council in self.existing.councils.all()]


@dataclass
class PartnershipPlan:
    name: str
    governance: str
    existing: Partnership | None = None

    @property
    def key(self) -> str:
        return name_key(self.name)


@dataclass
class ImportReport:
    rows: int = 0
    new: list[Plan] = field(default_factory=list)
    updated: list[Plan] = field(default_factory=list)
    unchanged: list[Plan] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self, *, done: bool) -> str:
        """'2 new case studies added as drafts; 1 updated; 3 already the same, left alone.'"""
        new, updated, same = len(self.new), len(self.updated), len(self.unchanged)
        if not new and not updated:
            return (
                f"Nothing to import: all {same} case stud{plural(same, 'y is', 'ies are')} "
                "already in the catalogue exactly as in the file, so nothing changes."
            )
        parts = [
            f"{new} new case stud{plural(new, 'y', 'ies')} "
            f"{'added' if done else 'will be added'} as draft{plural(new, '', 's')}",
            f"{updated} {'updated' if done else 'will be updated'}",
        ]
        if same:
            parts.append(f"{same} already the same and left alone")
        return "; ".join(parts) + "."


def plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def import_case_studies(
    *,
    content: bytes,
    filename: str,
    dry_run: bool,
    by: AbstractBaseUser | None = None,
) -> ImportReport:
    """Check a file and, unless `dry_run` or anything has a problem, import it.

    ImportFileError if the file cannot be read at all (empty, too big, not UTF-8, not a
    workbook, missing columns); problems with case studies are listed in the report instead.
    """
    entries, problems = read_entries(content=content, filename=filename)
    report, plans = check_entries(entries)
    report.problems += problems
    if dry_run or not report.ok:
        return report
    try:
        with transaction.atomic():
            write(plans, by=by, reason=f"Imported from {Path(filename).name}")
    except (IntegrityError, EditedMeanwhile) as error:
        report.problems.append(
            "Another editor changed the catalogue while the file was being imported "
            f"({error}), so nothing was imported. Check the file again."
        )
        return report
    report.imported = True
    return report


# -- reading -------------------------------------------------------------------------------------


def read_entries(*, content: bytes, filename: str) -> tuple[list[Entry], list[str]]:
    """The case studies in the file, and problems with rows that belong to none of them."""
    if not content.strip():
        raise ImportFileError("The file is empty.")
    if len(content) > MAX_BYTES:
        raise ImportFileError(
            f"The file is larger than {MAX_BYTES // 1024} KB; split it into smaller files."
        )
    suffix = Path(filename).suffix.lower()
    problems: list[str] = []
    if suffix == ".csv":
        entries = entries_from_table(read_csv(content), sheet="")
    elif suffix == ".xlsx":
        entries, problems = read_workbook(content)
    elif suffix == ".json":
        entries = read_json(content)
    else:
        raise ImportFileError(
            "Upload a .csv file (UTF-8), an Excel .xlsx workbook or the catalogue's .json export."
        )
    if len(entries) > MAX_ROWS:
        raise ImportFileError(f"The file has more than {MAX_ROWS} case studies; split it up.")
    return entries, problems


def read_csv(content: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            "The file is not UTF-8 text (the character at byte "
            f"{error.start} cannot be read). In Excel, save it as “CSV UTF-8 (comma "
            "delimited)”; in other programs choose the UTF-8 encoding."
        ) from error
    if "\x00" in text:
        raise ImportFileError("This is not a CSV text file; upload a .csv or an .xlsx file.")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        # Numbered as a spreadsheet shows them: the headings are row 1.
        return list(enumerate(itertools.islice(reader, MAX_ROWS + 2), start=1))
    except csv.Error as error:
        raise ImportFileError(f"Line {reader.line_num} is not valid CSV: {error}.") from error


def read_workbook(content: bytes) -> tuple[list[Entry], list[str]]:
    try:
        sheets = workbooks.read_sheets(content, max_rows=MAX_ALL_ROWS + 2)
    except workbooks.UnreadableWorkbook as error:
        raise ImportFileError(str(error)) from error
    if not sheets:
        raise ImportFileError("The workbook has no sheets.")
    names = list(sheets)
    first, others = names[0], names[1:]
    if unknown_sheets := [name for name in others if sheet_key(name) not in SHEETS]:
        raise ImportFileError(
            f"The workbook has sheets the import does not know: {', '.join(unknown_sheets)}. "
            f"After the case studies, sheets may be called {', '.join(SHEETS)}."
        )
    if sum(len(rows) for rows in sheets.values()) > MAX_ALL_ROWS + len(sheets):
        raise ImportFileError(f"The workbook has more than {MAX_ALL_ROWS} rows; split it up.")
    table = [(n, [cell_text(v) for v in values]) for n, values in sheets[first]]
    # A sheet of sources (or councils) makes the first sheet's column for them optional.
    kinds = {sheet_key(name) for name in others}
    optional = {"source_url": "sources", "councils": "councils"}
    columns = [
        replace(column, required=False) if optional.get(column.name) in kinds else column
        for column in COLUMNS
    ]
    entries = entries_from_table(table, sheet=first, columns=columns)
    by_slug = {entry.slug: entry for entry in entries if entry.slug}
    problems = []
    for name in others:
        kind = sheet_key(name)
        columns = SHEETS[kind]
        rows = [(n, [cell_text(v) for v in values]) for n, values in sheets[name]]
        for number, row in table_rows(rows, columns, sheet=name, data_needed=False):
            slug = row["case_study"]
            where = f"{name} row {number}" + (f" ({slug})" if slug else "")
            entry = by_slug.get(slug)
            if entry is None:
                problems.append(
                    f"{where}: no case study with the slug {slug!r} on the sheet {first!r}."
                    if slug
                    else f"{where}: case_study is missing (the slug of a case study)."
                )
                continue
            if kind == "councils":
                entry.councils = [*(entry.councils or []), row["council"]]
            else:
                entry.add(kind, Part(where, {k: v for k, v in row.items() if k != "case_study"}))
    return entries, problems


def sheet_key(name: str) -> str:
    return name.strip().lower()


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 2015 as 2015.0
    return str(value)


def entries_from_table(
    table: list[tuple[int, list[str]]], *, sheet: str, columns: list[Column] = COLUMNS
) -> list[Entry]:
    """Case studies from the CSV file or the workbook's first sheet, one per row."""
    entries = []
    label = f"{sheet} row" if sheet else "Row"
    rows = table_rows(table, columns, sheet=sheet, data_needed=True)
    given = set(rows[0][1]) if rows else set()
    for number, row in rows:
        slug = row["slug"]
        entry = Entry(
            f"{label} {number}" + (f" ({slug})" if slug else ""),
            slug,
            {name: row[name] for name in SCALARS if name in given},
        )
        if "service_areas" in given:
            entry.service_areas = [s.lower() for s in split_list(row["service_areas"], ";,")]
        if "councils" in given:
            entry.councils = split_list(row["councils"], ";")
        source = {name: row.get(f"source_{name}", "") for name in SOURCE_PARTS}
        if source["url"]:
            entry.add("sources", Part(entry.where, source))
        outcome = {name: row.get(f"outcome_{name}", "") for name in OUTCOME_PARTS}
        if any(outcome.values()):
            entry.add("outcomes", Part(entry.where, outcome))
        entries.append(entry)
    return entries


def table_rows(
    table: list[tuple[int, list[str]]], columns: list[Column], *, sheet: str, data_needed: bool
) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column: text}) for each non-blank row under the headings."""
    table = [(number, cells) for number, cells in table if any(cell.strip() for cell in cells)]
    where = f"The sheet {sheet!r}" if sheet else "The file"
    if not table:
        if data_needed:
            raise ImportFileError(
                f"{'The sheet ' + repr(sheet) if sheet else 'The file'} is empty."
            )
        return []
    (_, headings), body = table[0], table[1:]
    names = check_headings(headings, columns, where=where)
    if not body and data_needed:
        raise ImportFileError(f"{where} has column headings but no case studies under them.")
    rows = []
    for number, cells in body:
        if len(cells) > len(names) and any(cell.strip() for cell in cells[len(names) :]):
            raise ImportFileError(
                f"{f'{sheet} row' if sheet else 'Row'} {number} has more cells than there are "
                "column headings; check for a stray comma or a missing heading."
            )
        row = {name: value.strip() for name, value in zip(names, cells, strict=False)}
        rows.append((number, {name: row.get(name, "") for name in names}))
    return rows


def check_headings(headings: list[str], columns: list[Column], *, where: str) -> list[str]:
    known = [column.name for column in columns]
    names = [heading.strip().lower().replace(" ", "_") for heading in headings]
    while names and not names[-1]:
        names.pop()
    problems = []
    if missing := [c.name for c in columns if c.required and c.name not in names]:
        problems.append(f"{where} has no column for {', '.join(missing)}.")
    if unknown_names := [name or "(a blank heading)" for name in names if name not in known]:
        problems.append(
            f"{where} has columns the import does not know: {', '.join(unknown_names)}."
        )
    if duplicated := sorted({name for name in names if names.count(name) > 1}):
        problems.append(f"These columns appear more than once: {', '.join(duplicated)}.")
    if problems:
        raise ImportFileError(
            " ".join(problems) + " The first row must hold the column names of "
            "docs/import-template.csv (see docs/importing.md)."
        )
    return names


def read_json(content: bytes) -> list[Entry]:
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ImportFileError(f"This is not readable JSON: {error}.") from error
    records = data.get("case_studies") if isinstance(data, dict) else data
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ImportFileError(
            'The JSON must be the catalogue\'s export: {"case_studies": [{...}, ...]}.'
        )
    if not records:
        raise ImportFileError("The file has no case studies.")
    return [json_entry(number, record) for number, record in enumerate(records, start=1)]


def json_entry(number: int, record: dict[str, Any]) -> Entry:
    """A case study from the JSON export's shape; keys it lacks leave things as they are."""
    slug = text(record.get("slug"))
    where = f"Case study {number}" + (f" ({slug})" if slug else "")
    values = {name: text(record[name]) for name in SCALARS if name in record}
    entry = Entry(where, slug, values)
    if "service_areas" in record:
        entry.service_areas = [text(v).lower() for v in as_list(record["service_areas"])]
    # council_slugs are exact; names are the fallback for a hand-written file.
    for key in ["council_slugs", "council_gss_codes", "councils"]:
        if key in record and (refs := [text(v) for v in as_list(record[key]) if v]):
            entry.councils = refs
            break
    for name, parts in [("outcomes", OUTCOME_PARTS), ("sources", SOURCE_PARTS),
                        ("partners", ["name", "sector", "role"])]:  # fmt: skip
        if name not in record:
            continue
        setattr(entry, name, [])
        for index, item in enumerate(as_list(record[name]), start=1):
            item = item if isinstance(item, dict) else {}
            entry.add(
                name,
                Part(f"{where}, {name[:-1]} {index}", {p: text(item.get(p)) for p in parts}),
            )
    return entry


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value] if value not in (None, "") else []


def split_list(text_value: str, separators: str) -> list[str]:
    return [p.strip() for p in re.split(f"[{separators}]", text_value) if p.strip()]


# -- checking ------------------------------------------------------------------------------------


class Context:
    """Everything a check looks up, fetched once for the whole file."""

    def __init__(self, entries: list[Entry]) -> None:
        slugs = [entry.slug for entry in entries if entry.slug]
        self.existing = {
            cs.slug: cs
            for cs in CaseStudy.objects.filter(slug__in=slugs)
            .select_related("partnership")
            .prefetch_related(
                "service_areas",
                "councils",
                Prefetch("outcomes", Outcome.objects.order_by("pk")),
                Prefetch("sources", Source.objects.order_by("pk")),
                Prefetch(
                    "partnership__memberships",
                    Membership.objects.select_related("organisation"),
                ),
            )
        }
        self.councils = CouncilLookup()
        self.service_areas = {area.slug: area for area in ServiceArea.objects.all()}
        self.partnerships: dict[str, Partnership] = {}
        for partnership in Partnership.objects.all():
            self.partnerships[partnership.slug] = partnership
            self.partnerships.setdefault(name_key(partnership.name), partnership)
        self.organisations = organisations_by_name()
        self.new_partnerships: dict[str, PartnershipPlan] = {}


def check_entries(entries: list[Entry]) -> tuple[ImportReport, list[Plan]]:
    report = ImportReport(rows=len(entries))
    context = Context(entries)
    first_seen: dict[str, str] = {}
    plans = []
    for entry in entries:
        if entry.slug in first_seen:
            report.problems.append(
                f"{entry.where}: the slug is also used on {first_seen[entry.slug].lower()}."
            )
            continue
        first_seen[entry.slug] = entry.where.split(" (")[0]
        plan, problems = plan_entry(entry, context)
        report.problems += problems
        if plan is None:
            continue
        if plan.existing is None:
            report.new.append(plan)
        elif not plan.changes:
            report.unchanged.append(plan)
        elif problem := published_change_problem(plan):
            report.problems.append(problem)
        else:
            report.updated.append(plan)
        plans.append(plan)
    return report, plans


def published_change_problem(plan: Plan) -> str:
    """Why a change to this case study cannot be imported, or "" if it can.

    Nothing goes live without a Publisher: a published case study is changed in the admin,
    where the change is reviewed. When pending revisions exist, this is where the import
    will hand a published case study's changes to them instead of refusing.
    """
    if plan.existing is not None and plan.existing.status == Status.PUBLISHED:
        return (
            f"{plan.where}: published: edit it in the admin so a Publisher can review the "
            f"change (the file changes its {', '.join(plan.changes)})."
        )
    return ""


def plan_entry(entry: Entry, context: Context) -> tuple[Plan | None, list[str]]:
    """The entry checked against the catalogue: a Plan, or None and its problems."""
    problems: list[str] = []
    here = entry.where
    existing = context.existing.get(entry.slug)
    values = entry.values
    if not entry.slug:
        problems.append(f"{here}: slug is missing.")
    elif slugify(entry.slug) != entry.slug:
        problems.append(
            f"{here}: the slug {entry.slug!r} is not a valid web address part: use lower-case "
            f"letters, numbers and hyphens, such as {slugify(entry.slug) or 'my-case-study'!r}."
        )
    fields: dict[str, Any] = {}
    for name in ["title", "summary", "body"]:
        if name in values:
            fields[name] = values[name]
    if len(fields.get("title", "")) > 200:
        problems.append(f"{here}: the title is longer than 200 characters.")
    for name, vocabulary, what in [("response", ResponseType, "response type"),
                                   ("secondary_response", ResponseType,
                                    "secondary response type")]:  # fmt: skip
        if name in values:
            fields[name] = values[name].lower()
            if fields[name] and fields[name] not in VALUES[vocabulary]:
                problems.append(f"{here}: {unknown(what, fields[name], vocabulary)}")
    if "start_year" in values:
        fields["start_year"], problem = parse_year(values["start_year"], "start year")
        problems += [f"{here}: {problem}"] if problem else []
    for name in ["from_transforming_together", "start_year_estimated"]:
        if name in values:
            fields[name] = values[name].lower() in {"yes", "true", "1", "y"}
    if "confidence" in values:
        fields["confidence"] = values["confidence"].lower()
        if fields["confidence"] and fields["confidence"] not in VALUES[Confidence]:
            problems.append(f"{here}: {unknown('confidence', fields['confidence'], Confidence)}")
    for name in ["title", "summary", "response"]:
        now = fields.get(name, getattr(existing, name, "") if existing else "")
        if not now:
            problems.append(f"{here}: {name} is missing.")
    response = fields.get("response", existing.response if existing else "")
    secondary = fields.get("secondary_response", existing.secondary_response if existing else "")
    if secondary and secondary == response:
        problems.append(f"{here}: the secondary response type is the same as the response type.")

    service_areas = None
    if entry.service_areas is not None:
        service_areas = []
        for slug in entry.service_areas:
            if slug in context.service_areas:
                service_areas.append(context.service_areas[slug])
            else:
                problems.append(f"{here}: unknown service area {slug!r}.")
        service_areas = unique(service_areas)
    if not (service_areas or (existing and service_areas is None)):
        problems.append(f"{here}: service_areas is missing.")

    councils = None
    if entry.councils is not None:
        councils = []
        for reference in entry.councils:
            found = find_councils(reference, context.councils)
            if found is None:
                problems.append(
                    f"{here}: unknown council {reference!r}: give its GSS code (such as "
                    "E08000010), its slug or its name."
                )
            councils += found or []
        councils = unique(councils)
    if not (councils or (existing and councils is None)):
        problems.append(f"{here}: councils is missing.")

    outcomes = None
    if entry.outcomes is not None:
        outcomes = []
        for part in entry.outcomes:
            outcome, part_problems = check_outcome(part.values)
            problems += [f"{part.where}: {problem}" for problem in part_problems]
            outcomes.append(outcome)
    sources = None
    if entry.sources is not None:
        sources = []
        for part in entry.sources:
            source, part_problems = check_source(part.values)
            problems += [f"{part.where}: {problem}" for problem in part_problems]
            sources.append(source)
        urls = [source["url"] for source in sources]
        if repeated := sorted({url for url in urls if urls.count(url) > 1}):
            problems.append(f"{here}: the source {repeated[0]!r} is cited twice.")
    if not (any(s["url"] for s in sources or []) or (existing and sources is None)):
        problems.append(f"{here}: no source: every case study needs a source with a URL.")

    partnership, partnership_problems = check_partnership(entry, existing, context)
    problems += [f"{here}: {problem}" for problem in partnership_problems]
    partners = None
    if entry.partners is not None:
        partners = []
        for part in entry.partners:
            partner, part_problems = check_partner(part.values, context)
            problems += [f"{part.where}: {problem}" for problem in part_problems]
            partners.append(partner)
        has_partnership = partnership or (
            partnership is False and existing is not None and existing.partnership is not None
        )
        if partners and not has_partnership and not partnership_problems:
            problems.append(
                f"{here}: partners need a partnership: give its name in the partnership column."
            )
    if problems:
        return None, problems
    plan = Plan(
        where=here,
        slug=entry.slug,
        fields=fields,
        service_areas=service_areas,
        councils=councils,
        partnership=partnership,
        partners=partners,
        outcomes=outcomes,
        sources=sources,
        existing=existing,
    )
    if existing is not None:
        plan.changes = changes(plan, existing)
    return plan, []


def unique(items: list) -> list:
    return list(dict.fromkeys(items))


def find_councils(reference: str, lookup: CouncilLookup) -> list[Council] | None:
    """The council a reference names; a cell 'wigan, bolton' written with commas finds both."""
    if council := lookup.find(GSS_CODE.match(reference) and reference.upper() or reference):
        return [council]
    if "," in reference:
        found = [lookup.find(part) for part in split_list(reference, ",")]
        if all(found):
            return found
    return None


def check_outcome(values: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    problems = []
    figure, problem = parse_figure(values.get("figure", ""))
    problems += [problem] if problem else []
    outcome = {
        "description": values.get("description", ""),
        "kind": values.get("kind", "").lower(),
        "evidence": values.get("evidence", "").lower(),
        "confidence": values.get("confidence", "").lower() or Confidence.MEDIUM,
        "figure": figure,
        "unit": values.get("unit", ""),
        "period": values.get("period", ""),
    }
    if not outcome["description"]:
        problems.append("an outcome has no description.")
    for name, vocabulary, what in [("kind", OutcomeKind, "outcome kind"),
                                   ("evidence", EvidenceStrength, "outcome evidence strength"),
                                   ("confidence", Confidence, "outcome confidence")]:  # fmt: skip
        if outcome[name] not in VALUES[vocabulary]:
            problems.append(unknown(what, outcome[name], vocabulary))
    if outcome["unit"] and figure is None and not problem:
        problems.append(f"outcome {outcome['description']!r} has a unit but no figure.")
    for name, limit in [("unit", 40), ("period", 60)]:
        if len(outcome[name]) > limit:
            problems.append(f"the outcome {name} is longer than {limit} characters.")
    return outcome, problems


def check_source(values: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    problems = []
    url = values.get("url", "")
    if url:
        try:
            WEB_ADDRESS(url)
        except ValidationError:
            problems.append(f"the source URL {url!r} is not a web address starting https://.")
    copy_url = values.get("copy_url", "") or ""
    if copy_url:
        try:
            WEB_ADDRESS(copy_url)
        except ValidationError:
            problems.append(f"the source's copy URL {copy_url!r} is not a web address.")
    year, problem = parse_year(values.get("year", ""), "source year")
    problems += [problem] if problem else []
    source = {
        "url": url,
        "copy_url": copy_url,
        "title": values.get("title", "") or url,
        "publisher": values.get("publisher", ""),
        "year": year,
        "section": values.get("section", ""),
    }
    if not source["title"]:
        problems.append("a source has neither a title nor a URL.")
    for name, limit in [("url", 500), ("copy_url", 500), ("title", 300), ("publisher", 200),
                        ("section", 100)]:  # fmt: skip
        if len(source[name]) > limit:
            problems.append(f"the source {name} is longer than {limit} characters.")
    return source, problems


def check_partnership(
    entry: Entry, existing: CaseStudy | None, context: Context
) -> tuple["PartnershipPlan | None | bool", list[str]]:
    """The partnership the file names: an existing one, a new one, None (none), or False
    (the file says nothing, so it stays as it is)."""
    if "partnership" not in entry.values:
        return False, []
    reference = entry.values["partnership"]
    if not reference:
        return None, []
    found = context.partnerships.get(reference) or context.partnerships.get(name_key(reference))
    if found is not None:
        return PartnershipPlan(found.name, found.governance, existing=found), []
    governance = entry.values.get("partnership_governance", "").lower()
    if governance not in VALUES[Governance]:
        what = f"governance form {governance!r}" if governance else "no governance form"
        return None, [
            f"unknown partnership {reference!r}, and {what} to create it with (give "
            f"partnership_governance: {', '.join(Governance.values)})."
        ]
    if len(reference) > 200 or not slugify(reference):
        return None, [f"the partnership name {reference[:40]!r} cannot be used."]
    plan = context.new_partnerships.setdefault(
        name_key(reference), PartnershipPlan(reference, governance)
    )
    return plan, []


def check_partner(values: dict[str, str], context: Context) -> tuple[tuple[str, str, str], list]:
    name, sector = values.get("name", ""), values.get("sector", "").lower()
    role = values.get("role", "")
    problems = []
    if not name:
        problems.append("a partner has no name.")
    elif (found := context.organisations.get(name_key(name))) is not None:
        name, sector = found.name, found.sector
    elif sector not in VALUES[Sector]:
        what = f"sector {sector!r}" if sector else "no sector"
        problems.append(
            f"{name!r} is a new organisation, and {what} to create it with (use "
            f"{', '.join(Sector.values)})."
        )
    if len(name) > 200 or len(role) > 200:
        problems.append("a partner's name or role is longer than 200 characters.")
    return (name, sector, role), problems


def parse_year(value: str, what: str) -> tuple[int | None, str]:
    if not value:
        return None, ""
    if not value.isdigit():
        return None, f"the {what} {value!r} is not a year (write it as four digits, e.g. 2015)."
    year = int(value)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None, f"the {what} {year} is not between {FIRST_YEAR} and {LAST_YEAR}."
    return year, ""


def parse_figure(value: str) -> tuple[Decimal | None, str]:
    if not value:
        return None, ""
    try:
        figure = Decimal(value.replace(",", "").replace("£", "").strip())
    except InvalidOperation:
        return None, f"the outcome figure {value!r} is not a number (e.g. 7.5)."
    if not figure.is_finite() or abs(figure) >= Decimal("1e14"):
        return None, f"the outcome figure {value!r} is not a usable number."
    return figure.quantize(Decimal("0.01")), ""


def outcome_key(outcome: Outcome | dict) -> tuple:
    get = outcome.get if isinstance(outcome, dict) else outcome.__dict__.get
    figure = get("figure")
    return (
        get("description"), get("kind"), get("evidence"), get("confidence"),
        None if figure is None else Decimal(figure).quantize(Decimal("0.01")),
        get("unit"), get("period"),
    )  # fmt: skip


def source_key(source: Source | dict) -> tuple:
    get = source.get if isinstance(source, dict) else source.__dict__.get
    return tuple(
        get(name) for name in ["url", "copy_url", "title", "publisher", "year", "section"]
    )


def changes(plan: Plan, case_study: CaseStudy) -> list[str]:
    """The names of what the file would change in this case study (empty: nothing)."""
    changed = [
        CaseStudy._meta.get_field(name).verbose_name
        for name, value in plan.fields.items()
        if getattr(case_study, name) != value
    ]
    if plan.service_areas is not None and set(plan.service_areas) != set(
        case_study.service_areas.all()
    ):
        changed.append("service areas")
    if plan.councils is not None and set(plan.councils) != set(case_study.councils.all()):
        changed.append("councils")
    if plan.outcomes is not None and [outcome_key(o) for o in plan.outcomes] != [
        outcome_key(o) for o in case_study.outcomes.all()
    ]:
        changed.append("outcomes")
    if plan.sources is not None and [source_key(s) for s in plan.sources] != [
        source_key(s) for s in case_study.sources.all()
    ]:
        changed.append("sources")
    if plan.partnership is not False:
        target = plan.partnership.existing if plan.partnership else None
        if plan.partnership and target is None or target != case_study.partnership:
            changed.append("partnership")
    if plan.partners and (partnership := case_study.partnership) is not None:
        members = {name_key(m.organisation.name): m.role for m in partnership.memberships.all()}
        if any(members.get(name_key(name)) != role for name, _, role in plan.partners):
            changed.append("partners")
    elif plan.partners:
        changed.append("partners")
    return changed


# -- writing -------------------------------------------------------------------------------------


class EditedMeanwhile(Exception):
    """A case study the file updates was saved by someone between the check and the write."""


def write(plans: list[Plan], *, by: AbstractBaseUser | None, reason: str) -> None:
    """Write every new and changed case study in bulk: the queries do not grow with the rows."""
    plans = [plan for plan in plans if plan.existing is None or plan.changes]
    if not plans:
        return
    now = timezone.now()
    partnerships = save_partnerships(plans)
    touched_partnerships = save_memberships(plans, partnerships)

    new = [plan for plan in plans if plan.existing is None]
    updated = [plan for plan in plans if plan.existing is not None]
    created = CaseStudy.objects.bulk_create(
        [
            CaseStudy(
                slug=plan.slug,
                status=Status.DRAFT,
                partnership=partnership_of(plan, partnerships),
                **{name: plan.fields.get(name, default) for name, default in DEFAULTS.items()},
            )
            for plan in new
        ]
    )
    for plan, case_study in zip(new, created, strict=True):
        plan.existing = case_study  # from here on, the case study it writes to
    update_case_studies(updated, partnerships, now=now)

    with (
        history.versions_recorded_by_caller(),
        search.indexing_deferred(),
        exports.lines_deferred(),
    ):
        replace_links(new + updated)
        replace_parts(new + updated, by=by, reason=reason, now=now)
        new_histories = CaseStudy.history.bulk_history_create(
            [plan.existing for plan in new], default_user=by, default_change_reason=reason,
            default_date=now,
        )  # fmt: skip
        changed_histories = CaseStudy.history.bulk_history_create(
            [plan.existing for plan in updated], update=True, default_user=by,
            default_change_reason=reason, default_date=now,
        )  # fmt: skip
        record_links_in_history(new_histories + changed_histories)
        ids = {plan.existing.pk for plan in plans}
        ids |= set(
            CaseStudy.objects.filter(partnership__in=touched_partnerships).values_list(
                "pk", flat=True
            )
        )
        search.index_case_studies(ids)
        CatalogueVersion.bump()


DEFAULTS = {name: CaseStudy._meta.get_field(name).get_default() for name in CASE_STUDY_FIELDS}


def partnership_of(plan: Plan, partnerships: dict[str, Partnership]) -> Partnership | None:
    if not plan.partnership:
        return None
    return plan.partnership.existing or partnerships[plan.partnership.key]


def save_partnerships(plans: list[Plan]) -> dict[str, Partnership]:
    """The new partnerships the plans name, created, with their case studies' councils."""
    wanted = {
        plan.partnership.key: plan.partnership
        for plan in plans
        if plan.partnership and plan.partnership.existing is None
    }
    if not wanted:
        return {}
    slugs = unique_slugs(Partnership, [p.name for p in wanted.values()])
    created = Partnership.objects.bulk_create(
        [
            Partnership(name=p.name, slug=slug, governance=p.governance)
            for p, slug in zip(wanted.values(), slugs, strict=True)
        ]
    )
    partnerships = dict(zip(wanted, created, strict=True))
    members = set()
    for plan in plans:
        if plan.partnership and plan.partnership.key in partnerships:
            partnership = partnerships[plan.partnership.key]
            councils = plan.councils if plan.councils is not None else plan.existing.councils.all()
            members |= {(partnership.pk, council.pk) for council in councils}
    Through = Partnership.member_councils.through
    Through.objects.bulk_create(
        [Through(partnership_id=p, council_id=c) for p, c in sorted(members)]
    )
    return partnerships


def save_memberships(plans: list[Plan], partnerships: dict[str, Partnership]) -> set[int]:
    """New organisations and memberships, and changed roles; the partnerships they touched."""
    wanted: dict[tuple[int, str], tuple[str, str, str]] = {}
    for plan in plans:
        if not plan.partners:
            continue
        partnership = (
            partnership_of(plan, partnerships)
            if plan.partnership is not False
            else plan.existing.partnership
        )
        for name, sector, role in plan.partners:
            wanted[(partnership.pk, name_key(name))] = (name, sector, role)
    if not wanted:
        return set()
    organisations = organisations_by_name()
    missing = {
        name_key(name): (name, sector)
        for name, sector, _ in wanted.values()
        if name_key(name) not in organisations
    }
    slugs = unique_slugs(Organisation, [name for name, _ in missing.values()])
    created = Organisation.objects.bulk_create(
        [
            Organisation(name=name, slug=slug, sector=sector)
            for (name, sector), slug in zip(missing.values(), slugs, strict=True)
        ]
    )
    organisations.update(zip(missing, created, strict=True))
    current = {
        (m.partnership_id, name_key(m.organisation.name)): m
        for m in Membership.objects.filter(
            partnership_id__in={p for p, _ in wanted}
        ).select_related("organisation")
    }
    Membership.objects.bulk_create(
        [
            Membership(partnership_id=p, organisation=organisations[key], role=role)
            for (p, key), (_, _, role) in wanted.items()
            if (p, key) not in current
        ]
    )
    changed_roles = []
    for key, (_, _, role) in wanted.items():
        if key in current and current[key].role != role:
            current[key].role = role
            changed_roles.append(current[key])
    Membership.objects.bulk_update(changed_roles, ["role"])
    return {p for p, _ in wanted}


def update_case_studies(plans: list[Plan], partnerships: dict[str, Partnership], *, now) -> None:
    """Claim each case study at the version that was checked, then write the changed fields."""
    if not plans:
        return
    read = {plan.existing.pk: plan.existing.version for plan in plans}
    current = dict(
        CaseStudy.objects.select_for_update().filter(pk__in=read).values_list("pk", "version")
    )
    if current != read:
        raise EditedMeanwhile("a case study in the file was saved by an editor meanwhile")
    names = {"version", "updated_at", "partnership"}
    for plan in plans:
        case_study = plan.existing
        for name, value in plan.fields.items():
            setattr(case_study, name, value)
            names.add(name)
        if plan.partnership is not False:
            case_study.partnership = partnership_of(plan, partnerships)
        case_study.version += 1
        case_study.updated_at = now
    CaseStudy.objects.bulk_update([plan.existing for plan in plans], sorted(names))


LINKS = {"councils": "council_id", "service_areas": "servicearea_id"}


def replace_links(plans: list[Plan]) -> None:
    """Councils and service areas: the file's lists replace the case studies' own."""
    for name, column in LINKS.items():
        through = getattr(CaseStudy, name).through
        changing = [plan for plan in plans if getattr(plan, name) is not None]
        through.objects.filter(
            casestudy_id__in=[plan.existing.pk for plan in changing if plan.existing.pk]
        ).delete()
        through.objects.bulk_create(
            [
                through(casestudy_id=plan.existing.pk, **{column: item.pk})
                for plan in changing
                for item in getattr(plan, name)
            ]
        )


def replace_parts(plans: list[Plan], *, by: AbstractBaseUser | None, reason: str, now) -> None:
    """Outcomes and sources: the file's lists replace the case studies' own, with history."""
    for name, model, fields in [("outcomes", Outcome, history.OUTCOME_FIELDS),
                                ("sources", Source, history.SOURCE_FIELDS)]:  # fmt: skip
        changing = [plan.existing.pk for plan in plans if getattr(plan, name) is not None]
        for part in model.objects.filter(case_study_id__in=changing):  # each deletion recorded
            # Dated with the new version, so that it no longer lists the part.
            part._history_user, part._history_date = by, now
            part.delete()
        model.objects.bulk_create(
            [
                model(case_study_id=plan.existing.pk, **{f: item[f] for f in fields})
                for plan in plans
                if getattr(plan, name) is not None
                for item in getattr(plan, name)
            ]
        )
        record_first_versions(model, case_study_ids=changing, by=by, reason=reason, now=now)


def record_first_versions(
    model: type[Outcome] | type[Source],
    *,
    case_study_ids: list[int],
    by: AbstractBaseUser | None,
    reason: str,
    now,
) -> None:
    """The first history row of these case studies' outcomes (or sources), copied by the
    database in one INSERT ... SELECT: bulk_create_with_history would build a Python object
    for each, a quarter of a large import's time. Names come from the models, values are
    parameters."""
    if not case_study_ids:
        return
    historical = model.history.model
    quote = connection.ops.quote_name
    tracked = [field.attname for field in historical.tracked_fields]
    extra = ["history_date", "history_change_reason", "history_type", "history_user_id"]
    target = [quote(historical._meta.get_field(name).column) for name in tracked + extra]
    source = [quote(model._meta.get_field(name).column) for name in tracked]
    placeholders = ", ".join(["%s"] * len(case_study_ids))
    # Only quoted table and column names from the models go into the text; values are params.
    sql = (
        f"INSERT INTO {quote(historical._meta.db_table)} ({', '.join(target)}) "  # nosec B608
        f"SELECT {', '.join(source)}, %s, %s, '+', %s FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(model._meta.get_field('case_study').column)} IN ({placeholders})"
    )
    date = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [date, reason[:100], by.pk if by else None, *case_study_ids])


def record_links_in_history(records: list) -> None:
    """The councils and service areas each new version had, as create_historical_record keeps
    them, in one insert per list."""
    by_case_study = {record.id: record for record in records}
    for name in LINKS:
        model_field = getattr(CaseStudy, name).field
        historical = CASE_STUDY_HISTORY.m2m_models[model_field]
        through = getattr(CaseStudy, name).through
        historical.objects.bulk_create(
            [
                historical(
                    history=by_case_study[link.casestudy_id],
                    **{f.attname: getattr(link, f.attname) for f in through._meta.fields},
                )
                for link in through.objects.filter(casestudy_id__in=by_case_study)
            ]
        )
