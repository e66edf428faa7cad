"""Comparing two to four case studies side by side, on a page and as CSV.

/compare/?ids=slug-a,slug-b takes the slugs comma-separated; the list page's "Compare selected"
button sends them as repeated `compare=` values instead (a plain form needs no JavaScript).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.http import QueryDict

from partnerships.models import Governance, Sector

from .exports import (
    BOM,
    EVIDENCE_LABELS,
    KIND_LABELS,
    OutcomeRecord,
    Row,
    SourceRecord,
    case_study_record,
    csv_writer,
    for_rows,
    neutralise,
    permalinks,
    rows_for,
)
from .filters import either
from .models import CaseStudy, ResponseType

FEWEST, MOST = 2, 4
# More than this many values is not a shortlist: refuse before touching the database.
MOST_VALUES = 20
LONGEST_SLUG = CaseStudy._meta.get_field("slug").max_length


class CannotCompare(ValueError):
    """The request names too few, too many or unknown case studies; the message says which."""


@dataclass(frozen=True)
class Item:
    text: str
    url: str = ""
    note: str = ""


@dataclass(frozen=True)
class Line:
    """One row of the comparison: a label, then a list of items for each case study."""

    label: str
    cells: list[list[Item]]


def requested_slugs(query: QueryDict) -> list[str]:
    """The slugs asked for, from ?ids=a,b and from repeated ?compare=, in order, once each."""
    values = [part for value in query.getlist("ids") for part in value.split(",")]
    values += query.getlist("compare")
    slugs = []
    for value in values[: MOST_VALUES + 1]:
        slug = value.strip()
        if slug and slug not in slugs:
            slugs.append(slug)
    return slugs


def shortlist(query: QueryDict, *, shown: list[str]) -> dict[str, list[str]]:
    """The list page's ticked case studies: those on this page, and the others to carry over."""
    chosen = [slug[:LONGEST_SLUG] for slug in requested_slugs(query)[:MOST_VALUES]]
    return {"chosen": chosen, "elsewhere": [slug for slug in chosen if slug not in shown]}


def case_studies_to_compare(*, slugs: list[str], base_url: str) -> list[Row]:
    """The published case studies with these slugs, in the order given, or CannotCompare."""
    if len(slugs) < FEWEST:
        chosen = "none" if not slugs else "only one"
        raise CannotCompare(
            f"Choose at least {FEWEST} case studies to compare (you chose {chosen}). Tick "
            f"“Compare” on {FEWEST} to {MOST} case studies in the list, then choose "
            f"“Compare selected”."
        )
    if len(slugs) > MOST:
        many = "more than 20" if len(slugs) > MOST_VALUES else str(len(slugs))
        raise CannotCompare(
            f"You can compare up to {MOST} case studies at a time (you chose {many}). "
            f"Untick some and try again."
        )
    found = {
        row.case_study.slug: row
        for row in rows_for(
            list(
                map(
                    case_study_record,
                    for_rows(CaseStudy.objects.published().filter(slug__in=slugs)),
                )
            ),
            permalink=permalinks(base_url),
        )
    }
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        names = either([f"“{slug[:LONGEST_SLUG]}”" for slug in missing])
        there_is = "There is no published case study" if len(missing) == 1 else "There are no "
        if len(missing) > 1:
            there_is += "published case studies"
        raise CannotCompare(
            f"{there_is} called {names}. Check the address, or choose the case studies again "
            f"from the list."
        )
    return [found[slug] for slug in slugs]


def comparison(rows: list[Row]) -> list[Line]:
    """The rows of the comparison table, the same on the page and in the CSV."""

    def each(item_for: Callable[[Row], list[Item]]) -> list[list[Item]]:
        return [item_for(row) for row in rows]

    def response(row: Row) -> list[Item]:
        case_study = row.case_study
        items = [Item(ResponseType(case_study.response).label)]
        if case_study.secondary_response:
            items.append(Item(f"also {ResponseType(case_study.secondary_response).label.lower()}"))
        return items

    def partnership(row: Row) -> list[Item]:
        partnership = row.case_study.partnership
        if partnership is None:
            return []
        return [
            Item(
                partnership.name,
                partnership.get_absolute_url(),
                Governance(partnership.governance).label.lower(),
            )
        ]

    def outcome(outcome: OutcomeRecord) -> Item:
        figure = outcome.figure_text
        if figure and outcome.period:
            figure += f", {outcome.period}"
        notes = [KIND_LABELS[outcome.kind].lower(), *([figure] if figure else [])]
        notes.append(f"evidence: {EVIDENCE_LABELS[outcome.evidence]}")
        return Item(outcome.description, note="; ".join(notes))

    def source(source: SourceRecord) -> Item:
        text = source.title
        if source.publisher:
            text += f", {source.publisher}"
        if source.year:
            text += f" ({source.year})"
        return Item(text, source.url or source.copy_url, source.section)

    return [
        Line("Response", each(response)),
        Line(
            "Service areas",
            each(lambda r: [Item(a.name, a.get_absolute_url()) for a in r.service_areas]),
        ),
        Line(
            "Councils",
            each(
                lambda r: [
                    Item(c.name, c.get_absolute_url(), c.get_council_type_display())
                    for c in r.councils
                ]
            ),
        ),
        Line("Partnership", each(partnership)),
        Line(
            "Partners and roles",
            each(
                lambda r: [
                    Item(
                        p.name,
                        p.get_absolute_url(),
                        "; ".join(part for part in [Sector(p.sector).label, p.role] if part),
                    )
                    for p in r.partners
                ]
            ),
        ),
        Line(
            "Start year",
            each(
                lambda r: [Item(str(r.case_study.start_year))] if r.case_study.start_year else []
            ),
        ),
        Line("Outcomes", each(lambda r: [outcome(o) for o in r.outcomes])),
        Line("Sources", each(lambda r: [source(s) for s in r.sources])),
        Line("Permalink", each(lambda r: [Item(r.permalink, r.permalink)])),
    ]


def item_text(item: Item) -> str:
    text = f"{item.text} ({item.note})" if item.note else item.text
    # Links within the catalogue are relative on the page; a spreadsheet keeps only full ones.
    if item.url.startswith(("https://", "http://")) and item.url != item.text:
        return f"{text} <{item.url}>"
    return text


def csv_lines(rows: list[Row]) -> Iterator[bytes]:
    """The comparison as CSV: one column per case study, one row per line of the table.

    Several items in a cell go on separate lines, which spreadsheets show inside the cell.
    """
    writer = csv_writer()
    yield (BOM + writer.writerow(["", *(neutralise(r.case_study.title) for r in rows)])).encode()
    for line in comparison(rows):
        cells = ["\n".join(item_text(item) for item in items) for items in line.cells]
        yield writer.writerow([line.label, *(neutralise(text) for text in cells)]).encode()
