"""Charts of a result set: response type × service area, start year, nation, and council maps.

Every chart counts the case studies that `CaseStudyFilter` selects from what the public may see,
with the facet index's bitmaps (no query, whatever the data size), and every count > 0 links to
the list page with the same query string plus that value's filter, so following a link shows
exactly the case studies counted. Geometry is worked out here so the templates only draw.
"""

import csv
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.http import QueryDict
from django.urls import reverse

from partnerships.models import Council, CouncilType, Nation

from .exports import BOM, neutralise
from .filters import CaseStudyFilter
from .models import ResponseType

SHADES = 5
HEX_DIRECTORY = Path(settings.BASE_DIR) / "fixtures" / "councils"
CHARTS = ["response-by-service", "start-years", "nations", "councils"]
RANGE_PARAMETERS = {"year_from", "year_to"}
PARAMETER_ORDER = list(CaseStudyFilter.base_filters)


# -- links and shading --------------------------------------------------------------------------


def base_query(filterset: CaseStudyFilter) -> QueryDict:
    """The valid part of the query string, in the FilterSet's order, without the page number.

    Values that failed validation are dropped, so a chart's links never carry an error along.
    """
    query = QueryDict(mutable=True)
    data = filterset.valid_data
    for name in filterset.filters:
        value = data.get(name)
        if value in (None, "", []):
            continue
        query.setlist(name, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    return query


class FilterLinks:
    """Links to the list page for `query` with each named facet narrowed to just the value
    given (`to`). The query's own part of every link is encoded once: a chart makes a hundred.

    Narrowing (not adding to) the facet's selection keeps a link's result count equal to the
    count it stands for. No link ("") when the query selects other values of that facet: the
    count is then of case studies with this value *and* one of those (a case study about two
    service areas, say), which a facet's OR cannot express.
    """

    def __init__(self, query: QueryDict) -> None:
        self.chosen = {name: query.getlist(name) for name in PARAMETER_ORDER}
        self.encoded = {
            name: urlencode([(name, v) for v in vs]) for name, vs in self.chosen.items()
        }

    def to(self, **values: str | int) -> str:
        for name, value in values.items():
            chosen = self.chosen[name]
            if name not in RANGE_PARAMETERS and chosen and str(value) not in chosen:
                return ""
        parts = [
            urlencode({name: values[name]}) if name in values else self.encoded[name]
            for name in PARAMETER_ORDER
        ]
        return f"{list_url()}?{'&'.join(part for part in parts if part)}"


@cache
def list_url() -> str:
    return reverse("catalogue:case_study_list")


def shade(count: int, largest: int) -> int:
    """0 for none, else 1 to SHADES in proportion to the largest count in the chart."""
    if count <= 0 or largest <= 0:
        return 0
    return max(1, math.ceil(SHADES * count / largest))


def legend(largest: int) -> list[dict]:
    """The shades a chart uses, each with the range of counts it stands for.

    Shade k covers the counts c with (k - 1) * largest / SHADES < c <= k * largest / SHADES
    (the inverse of `shade`), computed per shade, not per count: largest can be 100,000.
    """
    keys = [{"shade": 0, "label": "none"}]
    for level in range(1, SHADES + 1):
        low, high = (level - 1) * largest // SHADES + 1, level * largest // SHADES
        if low <= high:
            keys.append({"shade": level, "label": str(low) if low == high else f"{low} to {high}"})
    return keys


# -- response type × service area ---------------------------------------------------------------


@dataclass
class Cell:
    count: int
    shade: int
    url: str = ""
    label: str = ""


@dataclass
class MatrixRow:
    value: str
    label: str
    cells: list[Cell]
    total: Cell


@dataclass
class Matrix:
    columns: list[tuple[str, str]]
    rows: list[MatrixRow]
    totals: list[Cell]
    total: int
    hidden_rows: int
    legend: list[dict]
    data: list[dict] = field(repr=False)
    # Some service areas are selected, so rows for the others count overlaps and have no links.
    partial: bool = False


def response_by_service(
    filterset: CaseStudyFilter, query: QueryDict, service_areas: list[tuple[str, str]]
) -> Matrix:
    """How many case studies each (service area, response type) pair has."""
    index, results = filterset.index, filterset.bits()
    links = FilterLinks(query)
    responses = ResponseType.values
    results_by_response = {r: results & index.options["response"].get(r, 0) for r in responses}
    by_response = {r: bits.bit_count() for r, bits in results_by_response.items()}
    counts = {
        (s, r): (results_by_response[r] & index.options["service"].get(s, 0)).bit_count()
        for s, _ in service_areas
        for r in responses
    }
    largest = max(counts.values(), default=0)

    labels = dict(ResponseType.choices)

    def cell(n: int, service_label: str, response: str, service: str) -> Cell:
        return Cell(
            n,
            shade(n, largest),
            links.to(response=response, service=service) if n else "",
            f"{labels[response].lower()} case stud{'y' if n == 1 else 'ies'} about "
            f"{service_label.lower()}",
        )

    rows, hidden = [], 0
    for service, label in service_areas:
        row_counts = [counts[service, response] for response in responses]
        if not any(row_counts):
            hidden += 1
            continue
        rows.append(
            MatrixRow(
                value=service,
                label=label,
                cells=[
                    cell(n, label, response, service)
                    for n, response in zip(row_counts, responses, strict=True)
                ],
                # One response type per case study, so the row adds up without double counting.
                total=Cell(sum(row_counts), 0, links.to(service=service), label.lower()),
            )
        )
    totals = [
        Cell(n, 0, links.to(response=response) if n else "", labels[response].lower())
        for response, n in by_response.items()
    ]
    data = [
        {
            "service_area": service,
            "service_area_name": service_label,
            "response": response,
            "response_label": labels[response],
            "case_studies": counts[service, response],
        }
        for service, service_label in service_areas
        for response in responses
    ]
    return Matrix(
        columns=list(ResponseType.choices),
        rows=rows,
        totals=totals,
        total=sum(by_response.values()),
        hidden_rows=hidden,
        legend=legend(largest),
        data=data,
        partial=bool(query.getlist("service")),
    )


# -- bar charts ---------------------------------------------------------------------------------


def case_studies(count: int) -> str:
    return f"{count} case stud{'y' if count == 1 else 'ies'}"


@dataclass
class Bar:
    label: str
    count: int
    url: str
    description: str = ""
    percent: float = 0  # of the largest count: the bar's length

    def __post_init__(self) -> None:
        self.percent = round(self.percent, 1)


@dataclass
class BarChart:
    """Bars drawn as rows of label, bar and count: they fit any width and their text stays
    text (a fixed-size drawing shrank to illegible or scrolled on a phone)."""

    bars: list[Bar]
    unknown: int = 0
    data: list[dict] = field(default_factory=list, repr=False)
    partial: bool = False


def bar_percent(count: int, largest: int) -> float:
    return 100 * count / largest if largest else 0


def start_years(filterset: CaseStudyFilter, query: QueryDict) -> BarChart:
    """Case studies by start year, every year from the first to the last."""
    links = FilterLinks(query)
    results = filterset.bits()
    counts = {
        year: n
        for year, bits in filterset.index.years.items()
        if (n := (results & bits).bit_count())
    }
    unknown = results.bit_count() - sum(counts.values())
    years = list(range(min(counts), max(counts) + 1)) if counts else []
    largest = max(counts.values(), default=0)
    bars = [
        Bar(
            label=str(year),
            count=(n := counts.get(year, 0)),
            url=links.to(year_from=year, year_to=year) if n else "",
            description=f"Started in {year}: {case_studies(n)}",
            percent=bar_percent(n, largest),
        )
        for year in years
    ]
    data = [{"start_year": year, "case_studies": counts.get(year, 0)} for year in years]
    if unknown:
        data.append({"start_year": "", "case_studies": unknown})
    return BarChart(bars=bars, unknown=unknown, data=data)


def nations(filterset: CaseStudyFilter, query: QueryDict) -> BarChart:
    """Case studies involving a council in each nation (one case may count in two)."""
    links = FilterLinks(query)
    counts = dict.fromkeys(Nation.values, 0)
    counts.update(filterset.index.counts("nation", filterset.bits()))
    largest = max(counts.values(), default=0)
    labels = dict(Nation.choices)
    bars = [
        Bar(
            label=str(labels[nation]),
            count=n,
            url=links.to(nation=nation) if n else "",
            description=f"{labels[nation]}: {case_studies(n)}",
            percent=bar_percent(n, largest),
        )
        for nation, n in counts.items()
    ]
    data = [
        {"nation": nation, "nation_label": str(labels[nation]), "case_studies": n}
        for nation, n in counts.items()
    ]
    return BarChart(bars=bars, data=data, partial=bool(query.getlist("nation")))


# -- hex maps of councils -----------------------------------------------------------------------


@dataclass(frozen=True)
class Hex:
    code: str
    name: str
    q: int
    r: int


@dataclass(frozen=True)
class HexLayout:
    title: str
    hexes: dict[str, Hex]


HEX_FILES = {
    "districts": (
        "uk-local-authority-districts-2023.hexjson",
        "Single-tier and district councils of the UK (2023)",
    ),
    "upper-tier": (
        "uk-upper-tier-local-authorities.hexjson",
        "Upper-tier councils of England, including county councils",
    ),
}


@cache
def hex_layout(name: str) -> HexLayout:
    """One hex map's positions keyed by GSS code, read once per process."""
    filename, title = HEX_FILES[name]
    data = json.loads((HEX_DIRECTORY / filename).read_text(encoding="utf-8"))
    if data.get("layout") != "odd-r":
        raise ValueError(f"{filename}: expected an odd-r layout, not {data.get('layout')!r}")
    hexes = {
        code: Hex(code=code, name=cell["n"], q=int(cell["q"]), r=int(cell["r"]))
        for code, cell in data["hexes"].items()
    }
    return HexLayout(title=title, hexes=hexes)


# Pointy-topped hexes of circumradius HEX_SIZE, below a band where the name of the hexagon
# pointed at or focused is shown (so a phone's small hexagons need no labels of their own).
HEX_SIZE = 10
HEX_WIDTH = math.sqrt(3) * HEX_SIZE
HEX_ROW = 1.5 * HEX_SIZE
CAPTION_BAND = 24


def hex_corner(index: int) -> tuple[float, float]:
    angle = math.radians(60 * index - 90)  # pointy-topped: the first corner points north
    return HEX_SIZE * math.cos(angle), HEX_SIZE * math.sin(angle)


HEX_PATH = "M" + " L".join(f"{x:.2f},{y:.2f}" for x, y in map(hex_corner, range(6))) + " Z"


def neighbours(q: int, r: int) -> list[tuple[int, int]]:
    """The hexes across each edge, edge k running from corner k to corner k + 1: north-east,
    east, south-east, south-west, west, north-west. Rows grow northwards; odd rows sit half
    a hex to the right, so the neighbours above and below depend on the row's parity."""
    left, right = (q, q + 1) if r % 2 else (q - 1, q)
    return [(right, r + 1), (q + 1, r), (right, r - 1), (left, r - 1), (q - 1, r), (left, r + 1)]


def region_outline(
    layout: "HexLayout", centres: dict[str, tuple[float, float]], regions: dict[str, str]
) -> str:
    """An SVG path along every edge between two regions, and around the map's coast."""
    by_position = {(h.q, h.r): code for code, h in layout.hexes.items()}
    corners = [hex_corner(index) for index in range(7)]  # corner 6 is corner 0 again
    segments = []
    for code, h in layout.hexes.items():
        x, y = centres[code]
        for edge, position in enumerate(neighbours(h.q, h.r)):
            other = by_position.get(position)
            # An inner edge is drawn from one side only: the hex west of it.
            if other is None or (edge < 3 and regions.get(other) != regions.get(code)):
                (x1, y1), (x2, y2) = corners[edge], corners[edge + 1]
                segments.append(f"M{x + x1:.1f},{y + y1:.1f}L{x + x2:.1f},{y + y2:.1f}")
    return "".join(segments)


@dataclass
class PlacedHex:
    code: str
    name: str
    x: float
    y: float
    count: int
    shade: int
    url: str

    @property
    def caption(self) -> str:
        return f"{self.name}: {case_studies(self.count) if self.count else 'none'}"


@dataclass
class HexMap:
    name: str
    title: str
    width: float
    height: float
    linked: list[PlacedHex]
    plain: list[PlacedHex]
    outline: str = ""
    caption_y: float = CAPTION_BAND - 8


@cache
def placed_hexes(name: str) -> tuple[dict[str, tuple[float, float]], float, float]:
    return place_hexes(hex_layout(name))


def place_hexes(layout: HexLayout) -> tuple[dict[str, tuple[float, float]], float, float]:
    """Centre of each hex in SVG units: odd rows shift right half a hex, rows grow northwards."""
    qs = [h.q for h in layout.hexes.values()]
    rs = [h.r for h in layout.hexes.values()]
    q_min, r_max = min(qs), max(rs)
    centres = {}
    for code, h in layout.hexes.items():
        x = (h.q - q_min) * HEX_WIDTH + (HEX_WIDTH / 2 if h.r % 2 else 0) + HEX_WIDTH / 2
        y = CAPTION_BAND + (r_max - h.r) * HEX_ROW + HEX_SIZE
        centres[code] = (round(x, 2), round(y, 2))
    width = (max(qs) - q_min + 1.5) * HEX_WIDTH
    height = CAPTION_BAND + (r_max - min(rs)) * HEX_ROW + 2 * HEX_SIZE
    return centres, round(width, 2), round(height, 2)


@dataclass
class CouncilCount:
    slug: str
    name: str
    gss_code: str | None
    council_type: str
    council_type_label: str
    is_former: bool
    count: int
    url: str
    maps: list[str]


@dataclass
class CouncilMaps:
    maps: list[HexMap]
    councils: list[CouncilCount]
    legend: list[dict]
    partial: bool = False
    hex_path: str = HEX_PATH


def council_maps(filterset: CaseStudyFilter, query: QueryDict) -> CouncilMaps:
    """Both hex maps shaded by how many case studies in the set involve each council, with
    the regions outlined: one query, for the councils counted and the regions of those mapped."""
    links = FilterLinks(query)
    counts = {
        slug: n for slug, n in filterset.index.counts("council", filterset.bits()).items() if n
    }
    layouts = {name: hex_layout(name) for name in HEX_FILES}
    mapped = {code for layout in layouts.values() for code in layout.hexes}
    details = Council.objects.filter(Q(slug__in=list(counts)) | Q(gss_code__in=mapped))
    regions, rows = {}, []
    for slug, name, code, council_type, ended_year, region in details.values_list(
        "slug", "name", "gss_code", "council_type", "ended_year", "region"
    ):
        if code and region:
            regions[code] = region
        if slug in counts:
            rows.append((slug, name, code, council_type, ended_year, counts[slug]))
    rows.sort(key=lambda row: (-row[-1], row[1]))
    councils = []
    by_code: dict[str, CouncilCount] = {}
    for slug, name, code, council_type, ended_year, n in rows:
        council = CouncilCount(
            slug=slug,
            name=name,
            gss_code=code,
            council_type=council_type,
            council_type_label=str(CouncilType(council_type).label),
            is_former=ended_year is not None,
            count=n,
            url=links.to(council=slug),
            maps=[layouts[m].title for m in layouts if code and code in layouts[m].hexes],
        )
        councils.append(council)
        if code:
            by_code[code] = council
    largest = max((c.count for c in councils), default=0)
    maps = []
    for name, layout in layouts.items():
        centres, width, height = placed_hexes(name)
        linked, plain = [], []
        for code, h in layout.hexes.items():
            council = by_code.get(code)
            n = council.count if council else 0
            x, y = centres[code]
            placed = PlacedHex(
                code, h.name, x, y, n, shade(n, largest), council.url if council else ""
            )
            (linked if placed.url else plain).append(placed)
        outline = region_outline(layout, centres, regions)
        maps.append(HexMap(name, layout.title, width, height, linked, plain, outline))
    return CouncilMaps(
        maps=maps,
        councils=councils,
        legend=legend(largest),
        partial=bool(query.getlist("council")),
    )


# -- everything for a page, and the CSV downloads -----------------------------------------------


def charts(filterset: CaseStudyFilter, *, with_maps: bool = True) -> dict:
    """The charts of the set `filterset` selects, in a fixed number of queries."""
    query = base_query(filterset)
    service_areas = filterset.facet_choices("service")
    found = {
        "query": query.urlencode(),
        "matrix": response_by_service(filterset, query, service_areas),
        "years": start_years(filterset, query),
        "nations": nations(filterset, query),
    }
    if with_maps:
        found["councils"] = council_maps(filterset, query)
    return found


def chart_rows(filterset: CaseStudyFilter, chart: str) -> tuple[list[str], list[dict]]:
    """The header and rows of one chart's data, as the CSV download gives them."""
    query = base_query(filterset)
    if chart == "response-by-service":
        service_areas = filterset.facet_choices("service")
        rows = response_by_service(filterset, query, service_areas).data
        header = ["service_area", "service_area_name", "response", "response_label"]
    elif chart == "start-years":
        rows, header = start_years(filterset, query).data, ["start_year"]
    elif chart == "nations":
        rows, header = nations(filterset, query).data, ["nation", "nation_label"]
    elif chart == "councils":
        rows = [
            {
                "council": c.slug,
                "council_name": c.name,
                "gss_code": c.gss_code or "",
                "council_type": c.council_type,
                "case_studies": c.count,
            }
            for c in council_maps(filterset, query).councils
        ]
        header = ["council", "council_name", "gss_code", "council_type"]
    else:
        raise KeyError(chart)
    return [*header, "case_studies"], rows


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[dict]) -> Iterator[str]:
    """CSV text, a byte-order mark first so Excel reads it as UTF-8."""
    writer = csv.DictWriter(_Echo(), fieldnames=header, lineterminator="\r\n")
    yield BOM + writer.writeheader()
    for row in rows:
        yield writer.writerow(
            {
                key: neutralise(value) if isinstance(value, str) else value
                for key, value in row.items()
            }
        )
