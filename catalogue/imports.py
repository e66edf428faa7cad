"""Bulk import of case studies from a spreadsheet: CSV (UTF-8) or Excel .xlsx.

One row is one case study, with one source and optionally one outcome; the columns are
`COLUMNS` (documented for editors in docs/importing.md, with docs/import-template.csv).
Every row is checked before anything is written, and the import is all or nothing: one bad
row imports nothing. Rows whose slug is already in the catalogue are left alone, so importing
the same file twice changes nothing. Imported case studies start as drafts.
"""

import csv
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from partnerships.models import Partnership
from partnerships.vocabulary import FIRST_YEAR, LAST_YEAR

from . import history, search
from .models import CaseStudy, Confidence, ServiceArea, Status
from .seed import check_vocabulary, councils_by_reference, save_parts, unknown_references

MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000
TEMPLATE = Path(__file__).resolve().parent.parent / "docs" / "import-template.csv"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str


COLUMNS = [
    Column("slug", True, "The case study's web address, e.g. wigan-deal. Lower-case letters, "
           "numbers and hyphens. A slug already in the catalogue is left as it is."),
    Column("title", True, "Up to 200 characters."),
    Column("summary", True, "Two or three sentences: what happened and why."),
    Column("body", False, "The full write-up, in Markdown."),
    Column("response", True, "fight, adapt, exit or collaborate."),
    Column("secondary_response", False, "Only for hybrids; differs from response."),
    Column("service_areas", True, "Service area slugs, separated by semicolons, "
           "e.g. adult-social-care; health-integration."),
    Column("councils", True, "Councils by GSS code (E08000010) or slug (wigan), separated by "
           "semicolons."),
    Column("start_year", False, f"A year from {FIRST_YEAR} to {LAST_YEAR}."),
    Column("partnership", False, "The slug of a partnership already in the catalogue."),
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
]  # fmt: skip
NAMES = [column.name for column in COLUMNS]
REQUIRED_NAMES = [column.name for column in COLUMNS if column.required]


class ImportFileError(Exception):
    """The file as a whole cannot be read as a case-study spreadsheet."""


@dataclass
class ImportReport:
    rows: int = 0
    new: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def import_case_studies(
    *,
    content: bytes,
    filename: str,
    dry_run: bool,
    by: AbstractBaseUser | None = None,
) -> ImportReport:
    """Check a spreadsheet and, unless `dry_run` or any row has a problem, import it.

    ImportFileError if the file cannot be read at all (empty, too big, not UTF-8, not a
    workbook, missing columns); row problems are listed in the report instead.
    """
    rows = read_rows(content=content, filename=filename)
    report = check_rows(rows)
    if dry_run or not report.ok:
        return report
    try:
        with transaction.atomic(), search.indexing_deferred():
            for entry in report.new:
                create_case_study(entry, by=by, filename=filename)
    except IntegrityError:
        # Someone added one of these slugs between the check and the write.
        report.problems.append(
            "Another editor added a case study with one of these slugs while the file was "
            "being imported, so nothing was imported. Check the file again."
        )
        return report
    report.imported = True
    return report


# -- reading ---------------------------------------------------------------------------------


def read_rows(*, content: bytes, filename: str) -> list[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {column: text}) for each non-blank row under the headings."""
    if not content.strip():
        raise ImportFileError("The file is empty.")
    if len(content) > MAX_BYTES:
        raise ImportFileError(
            f"The file is larger than {MAX_BYTES // 1024} KB; split it into smaller files."
        )
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        table = read_csv(content)
    elif suffix == ".xlsx":
        table = read_xlsx(content)
    else:
        raise ImportFileError("Upload a .csv file (UTF-8) or an Excel .xlsx workbook.")
    table = [(number, cells) for number, cells in table if any(cell.strip() for cell in cells)]
    if not table:
        raise ImportFileError("The file is empty.")
    (_, headings), body = table[0], table[1:]
    names = check_headings(headings)
    if not body:
        raise ImportFileError("The file has column headings but no case studies under them.")
    if len(body) > MAX_ROWS:
        raise ImportFileError(f"The file has more than {MAX_ROWS} rows; split it up.")
    rows = []
    for number, cells in body:
        if len(cells) > len(names) and any(cell.strip() for cell in cells[len(names) :]):
            raise ImportFileError(
                f"Row {number} has more cells than there are column headings; check for a "
                "stray comma or a missing heading."
            )
        row = dict.fromkeys(NAMES, "")
        row.update((name, value.strip()) for name, value in zip(names, cells, strict=False))
        rows.append((number, row))
    return rows


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


def read_xlsx(content: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise ImportFileError(
            "This is not a readable Excel workbook (.xlsx); open it in Excel and save it "
            "again, or save it as CSV UTF-8."
        ) from error
    try:
        sheet = workbook.worksheets[0]
        rows = itertools.islice(sheet.iter_rows(values_only=True), MAX_ROWS + 2)
        return [
            (number, [cell_text(value) for value in values])
            for number, values in enumerate(rows, start=1)
        ]
    finally:
        workbook.close()


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 2015 as 2015.0
    return str(value)


def check_headings(headings: list[str]) -> list[str]:
    names = [heading.strip().lower().replace(" ", "_") for heading in headings]
    while names and not names[-1]:
        names.pop()
    problems = []
    if missing := [name for name in REQUIRED_NAMES if name not in names]:
        problems.append(f"The file has no column for {', '.join(missing)}.")
    if unknown := [name or "(a blank heading)" for name in names if name not in NAMES]:
        problems.append(f"The file has columns the import does not know: {', '.join(unknown)}.")
    if duplicated := sorted({name for name in names if names.count(name) > 1}):
        problems.append(f"These columns appear more than once: {', '.join(duplicated)}.")
    if problems:
        raise ImportFileError(
            " ".join(problems) + " The first row must hold the column names of "
            "docs/import-template.csv."
        )
    return names


# -- checking --------------------------------------------------------------------------------


def check_rows(rows: list[tuple[int, dict[str, str]]]) -> ImportReport:
    report = ImportReport(rows=len(rows))
    existing = set(CaseStudy.objects.values_list("slug", flat=True))
    councils = councils_by_reference()
    service_areas = set(ServiceArea.objects.values_list("slug", flat=True))
    partnerships = {p.slug: p for p in Partnership.objects.all()}
    first_row_of: dict[str, int] = {}
    for number, row in rows:
        slug = row["slug"]
        where = f"Row {number}" + (f" ({slug})" if slug else "")
        if slug in existing:
            report.unchanged.append({"row": number, "slug": slug, "title": row["title"]})
            continue
        if slug in first_row_of:
            report.problems.append(f"{where}: the slug is also used on row {first_row_of[slug]}.")
            continue
        first_row_of[slug] = number
        entry, problems = row_entry(row)
        if entry["councils"] or entry["service_areas"]:
            problems += unknown_references(entry, councils, service_areas)
        if row.get("partnership") and row["partnership"] not in partnerships:
            problems.append(f"unknown partnership {row['partnership']!r}.")
        if problems:
            report.problems += [f"{where}: {problem}" for problem in problems]
        else:
            entry["row"] = number
            entry["councils"] = [councils[ref] for ref in entry["councils"]]
            entry["partnership"] = partnerships.get(row.get("partnership") or "")
            report.new.append(entry)
    return report


def row_entry(row: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """A row in the seed loader's shape, and its problems in plain words."""
    problems = []
    slug = row["slug"]
    if slug and slugify(slug) != slug:
        problems.append(
            f"the slug {slug!r} is not a valid web address part: use lower-case letters, "
            f"numbers and hyphens, such as {slugify(slug) or 'my-case-study'!r}."
        )
    if len(row["title"]) > 200:
        problems.append("the title is longer than 200 characters.")
    start_year, problem = parse_year(row.get("start_year", ""), "start year")
    problems += [problem] if problem else []
    entry: dict[str, Any] = {
        "slug": slug,
        "title": row["title"],
        "summary": row["summary"],
        "body": row.get("body", ""),
        "response": row["response"].lower(),
        "secondary_response": row.get("secondary_response", "").lower(),
        "service_areas": split_list(row["service_areas"]),
        "councils": [
            ref.upper() if GSS_CODE.match(ref) else ref for ref in split_list(row["councils"])
        ],
        "start_year": start_year,
        "sources": [],
        "outcomes": [],
    }
    if url := row.get("source_url", ""):
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            problems.append(f"the source URL {url!r} is not a web address starting https://.")
        source_year, problem = parse_year(row.get("source_year", ""), "source year")
        problems += [problem] if problem else []
        entry["sources"].append(
            {
                "url": url,
                "title": row.get("source_title", "") or url,
                "publisher": row.get("source_publisher", ""),
                "year": source_year,
                "section": row.get("source_section", ""),
            }
        )
    outcome_columns = [name for name in NAMES if name.startswith("outcome_")]
    if any(row.get(name) for name in outcome_columns):
        figure, problem = parse_figure(row.get("outcome_figure", ""))
        problems += [problem] if problem else []
        entry["outcomes"].append(
            {
                "description": row.get("outcome_description", ""),
                "kind": row.get("outcome_kind", "").lower(),
                "evidence": row.get("outcome_evidence", "").lower(),
                "confidence": row.get("outcome_confidence", "").lower() or Confidence.MEDIUM,
                "figure": figure,
                "unit": row.get("outcome_unit", ""),
                "period": row.get("outcome_period", ""),
            }
        )
    return entry, problems + check_vocabulary(entry)


GSS_CODE = re.compile(r"^[A-Za-z]\d{8}$")


def split_list(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;,]", text) if part.strip()]


def parse_year(text: str, what: str) -> tuple[int | None, str]:
    if not text:
        return None, ""
    if not text.isdigit():
        return None, f"the {what} {text!r} is not a year (write it as four digits, e.g. 2015)."
    year = int(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None, f"the {what} {year} is not between {FIRST_YEAR} and {LAST_YEAR}."
    return year, ""


def parse_figure(text: str) -> tuple[Decimal | None, str]:
    if not text:
        return None, ""
    try:
        figure = Decimal(text.replace(",", "").replace("£", "").strip())
    except InvalidOperation:
        return None, f"the outcome figure {text!r} is not a number (e.g. 7.5)."
    if not figure.is_finite() or abs(figure) >= Decimal("1e14"):
        return None, f"the outcome figure {text!r} is not a usable number."
    return figure, ""


# -- writing ---------------------------------------------------------------------------------


def create_case_study(
    entry: dict[str, Any], *, by: AbstractBaseUser | None, filename: str
) -> None:
    case_study = CaseStudy(
        slug=entry["slug"],
        title=entry["title"],
        summary=entry["summary"],
        body=entry["body"],
        response=entry["response"],
        secondary_response=entry["secondary_response"],
        start_year=entry["start_year"],
        partnership=entry["partnership"],
        status=Status.DRAFT,
    )
    reason = f"Imported from {Path(filename).name}"
    with history.one_version(case_study, by=by, reason=reason, created=True):
        case_study.save()
        case_study.councils.set(entry["councils"])
        case_study.service_areas.set(ServiceArea.objects.filter(slug__in=entry["service_areas"]))
        save_parts(case_study, outcomes=entry["outcomes"], sources=entry["sources"], by=by)
