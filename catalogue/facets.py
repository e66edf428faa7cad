"""An in-memory facet index of the published catalogue: the query string evaluated as bitmaps.

Counting every option of every facet in SQL costs one grouped join per facet over the whole
result set (hundreds of milliseconds at 100,000 case studies). Here each option of each facet
is a bitmap (a Python int, one bit per published case study); a selection is ORs within a
facet and ANDs across facets, and a count is a popcount, so a page's counts take microseconds.

Each process builds the index from the database once per catalogue version (see
`CatalogueVersion`): any edit anywhere changes the version, and the next request rebuilds it.
Nothing is shared between processes but the version, which lives in the database.
"""

import gc
import json
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models.expressions import RawSQL

from partnerships.models import Membership, other_names
from partnerships.names import name_key, usual_name

from .models import CaseStudy, CatalogueVersion, EvidenceStrength, Outcome, ServiceArea

# Facets whose options are bitmaps, in the order the page shows them.
FACETS = [
    "response",
    "service",
    "council_type",
    "nation",
    "region",
    "sector",
    "council",
    "evidence",
]
SORTS = ["newest", "title", "start-year", "-start-year"]
EVIDENCE_RANK = {value: rank for rank, value in enumerate(EvidenceStrength.values)}


def bitmap(positions: Iterable[int]) -> int:
    """The int with exactly these bits set (built through bytes: ints are immutable)."""
    positions = list(positions)
    if not positions:
        return 0
    bits = bytearray(max(positions) // 8 + 1)
    for position in positions:
        bits[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(bits, "little")


@dataclass
class FacetIndex:
    version: str
    ids: list[int] = field(default_factory=list)  # position -> case study id
    positions: dict[int, int] = field(default_factory=dict)  # case study id -> position
    options: dict[str, dict[str, int]] = field(default_factory=dict)  # facet -> value -> bits
    years: dict[int, int] = field(default_factory=dict)  # start year -> bits
    orders: dict[str, list[int]] = field(default_factory=dict)  # sort -> positions in order
    council_names: dict[str, str] = field(default_factory=dict)  # slug -> name, in use only
    council_also: dict[str, list[str]] = field(default_factory=dict)  # slug -> other names
    council_keys: set[str] = field(default_factory=set)  # names.name_key of every name
    former_councils: set[str] = field(default_factory=set)  # slugs, in use only
    service_areas: list[tuple[str, str]] = field(default_factory=list)  # (slug, name), all
    # Partnership id -> positions. Not bitmaps: an int as wide as its highest position for
    # each of thousands of partnerships took hundreds of megabytes at 100,000 case studies.
    by_partnership: dict[int, list[int]] = field(default_factory=dict)
    newest_rank: list[int] = field(default_factory=list)  # position -> rank, newest first
    # Per position, for related case studies.
    response_of: list[str] = field(default_factory=list)
    partnership_of: list[int | None] = field(default_factory=list)
    areas_of: list[frozenset[str]] = field(default_factory=list)
    councils_of: list[frozenset[str]] = field(default_factory=list)

    @property
    def everything(self) -> int:
        return (1 << len(self.ids)) - 1

    def select(self, facet: str, values: Iterable[str]) -> int:
        """Case studies with any of these values (OR within a facet)."""
        found = 0
        for value in values:
            found |= self.options[facet].get(value, 0)
        return found

    def year_range(self, start: int | None, end: int | None) -> int:
        found = 0
        for year, bits in self.years.items():
            if (start is None or year >= start) and (end is None or year <= end):
                found |= bits
        return found

    def as_bytes(self, within: int) -> bytes:
        """A bitmap as bytes, for testing many positions: position p is bit p % 8 of byte
        p // 8 (shifting a 100,000-bit int per test would copy it each time)."""
        return within.to_bytes(len(self.ids) // 8 + 1, "little")

    def members_of(self, ids: Iterable[int], within: int) -> list[int]:
        """Those of `ids` that are in `within`, in the order given."""
        members, positions = self.as_bytes(within), self.positions
        return [
            pk
            for pk in ids
            if (p := positions.get(pk)) is not None and members[p >> 3] & (1 << (p & 7))
        ]

    def of_ids(self, ids: Iterable[int]) -> int:
        return bitmap(self.positions[pk] for pk in ids if pk in self.positions)

    def counts(self, facet: str, within: int) -> dict[str, int]:
        return {value: (bits & within).bit_count() for value, bits in self.options[facet].items()}

    def ordered_ids(
        self, within: int, order: str, *, offset: int = 0, limit: int | None = None
    ) -> list[int]:
        """The ids of the case studies in `within`, in a named order: from the `offset`-th,
        at most `limit` of them. Stops as soon as it has them: a first page is quick."""
        members = self.as_bytes(within)
        found: list[int] = []
        if limit == 0:
            return found
        skip = offset
        for p in self.orders[order]:
            if members[p >> 3] & (1 << (p & 7)):
                if skip:
                    skip -= 1
                    continue
                found.append(self.ids[p])
                if len(found) == limit:
                    break
        return found

    def ids_in(self, within: int) -> list[int]:
        """The ids of the case studies in `within`, in no particular order: fast when few."""
        found = []
        for byte_number, byte in enumerate(self.as_bytes(within)):
            while byte:
                low = byte & -byte
                found.append(self.ids[(byte_number << 3) + low.bit_length() - 1])
                byte ^= low
        return found


def build_index(version: str) -> FacetIndex:
    """Read the published catalogue into bitmaps: six queries, whatever the size."""
    index = FacetIndex(version=version)
    published = CaseStudy.objects.published()
    rows = list(
        published.order_by("pk").values_list(
            "pk", "response", "start_year", "partnership_id", "title", "published_at"
        )
    )
    index.ids = [row[0] for row in rows]
    index.positions = {pk: position for position, pk in enumerate(index.ids)}
    positions = index.positions
    options: dict[str, defaultdict[str, list[int]]] = {
        facet: defaultdict(list) for facet in FACETS
    }
    years: defaultdict[int, list[int]] = defaultdict(list)
    by_partnership: defaultdict[int, list[int]] = defaultdict(list)
    for position, (_, response, start_year, partnership_id, _, _) in enumerate(rows):
        options["response"][response].append(position)
        if start_year is not None:
            years[start_year].append(position)
        if partnership_id is not None:
            by_partnership[partnership_id].append(position)
    index.response_of = [row[1] for row in rows]
    index.partnership_of = [row[3] for row in rows]

    index.service_areas = list(ServiceArea.objects.order_by("name").values_list("slug", "name"))
    areas: defaultdict[int, set[str]] = defaultdict(set)
    for case_id, slug in CaseStudy.service_areas.through.objects.filter(
        casestudy__in=published
    ).values_list("casestudy_id", "servicearea__slug"):
        options["service"][slug].append(positions[case_id])
        areas[case_id].add(slug)

    councils: defaultdict[int, set[str]] = defaultdict(set)
    for (
        case_id,
        slug,
        name,
        council_type,
        nation,
        region,
        official_name,
        aliases,
        ended_year,
    ) in CaseStudy.councils.through.objects.filter(casestudy__in=published).values_list(
        "casestudy_id",
        "council__slug",
        "council__name",
        "council__council_type",
        "council__nation",
        "council__region",
        "council__official_name",
        "council__aliases",
        "council__ended_year",
    ):
        position = positions[case_id]
        options["council"][slug].append(position)
        options["council_type"][council_type].append(position)
        options["nation"][nation].append(position)
        if region:
            options["region"][region].append(position)
        councils[case_id].add(slug)
        if slug not in index.council_names:
            label = index.council_names[slug] = usual_name(name)
            names = [name, *other_names(name, council_type, official_name, aliases)]
            index.council_also[slug] = [n for n in names if n != label]
            index.council_keys.update(name_key(n) for n in names)
            if ended_year is not None:
                index.former_councils.add(slug)

    for partnership_id, sector in (
        Membership.objects.filter(partnership_id__in=list(by_partnership))
        .values_list("partnership_id", "organisation__sector")
        .distinct()
    ):
        options["sector"][sector].extend(by_partnership[partnership_id])

    strongest: dict[int, str] = {}
    for case_id, evidence in (
        Outcome.objects.filter(case_study__in=published)
        .values_list("case_study_id", "evidence")
        .distinct()
    ):
        if EVIDENCE_RANK[evidence] >= EVIDENCE_RANK.get(strongest.get(case_id), -1):
            strongest[case_id] = evidence
    for case_id, evidence in strongest.items():
        options["evidence"][evidence].append(positions[case_id])

    # A council or area listed twice for one case study counts once: bitmap() sets bits.
    index.options = {
        facet: {value: bitmap(found) for value, found in values.items()}
        for facet, values in options.items()
    }
    index.years = {year: bitmap(found) for year, found in years.items()}
    index.areas_of = [frozenset(areas.get(pk, ())) for pk in index.ids]
    index.councils_of = [frozenset(councils.get(pk, ())) for pk in index.ids]

    by_position = list(range(len(rows)))
    newest = sorted(by_position, key=lambda p: rows[p][4])  # title, as the tie-breaker
    newest.sort(key=lambda p: rows[p][5], reverse=True)  # stable: newest, then title
    by_title = sorted(by_position, key=lambda p: (rows[p][4], rows[p][0]))
    no_year = 10_000  # case studies without a start year come last either way
    by_year = sorted(
        by_position, key=lambda p: (rows[p][2] if rows[p][2] is not None else no_year, rows[p][4])
    )
    latest_year = sorted(by_position, key=lambda p: (-(rows[p][2] or -no_year), rows[p][4]))
    index.by_partnership = dict(by_partnership)
    index.newest_rank = [0] * len(rows)
    for rank, position in enumerate(newest):
        index.newest_rank[position] = rank
    index.orders = {
        "newest": newest,
        "title": by_title,
        "start-year": by_year,
        "-start-year": latest_year,
    }
    return index


RELATED_POOL = 50  # newest case studies considered among those sharing only an area


def related_ids(index: FacetIndex, case_study: CaseStudy, *, limit: int = 5) -> list[int]:
    """Published case studies most like this one, best first.

    Shared councils and the same partnership weigh 3, each shared service area and the same
    response 2. Scored exactly over every case study sharing a council or the partnership,
    and over the newest few sharing a service area (there can be tens of thousands of those).
    """
    areas = frozenset(area.slug for area in case_study.service_areas.all())
    councils = frozenset(council.slug for council in case_study.councils.all())
    same_councils = index.select("council", councils)
    same_area = index.select("service", areas)
    same_response = index.select("response", [case_study.response])
    candidates = set(index.ids_in(same_councils))
    candidates.update(
        index.ids[p] for p in index.by_partnership.get(case_study.partnership_id, ())
    )
    candidates.update(index.ordered_ids(same_area, "newest", limit=RELATED_POOL))
    candidates.update(index.ordered_ids(same_area & same_response, "newest", limit=RELATED_POOL))
    candidates.discard(case_study.pk)
    scored = []
    for pk in candidates:
        p = index.positions[pk]
        score = (
            3 * len(councils & index.councils_of[p])
            + 3 * (case_study.partnership_id is not None
                   and index.partnership_of[p] == case_study.partnership_id)
            + 2 * len(areas & index.areas_of[p])
            + 2 * (index.response_of[p] == case_study.response)
        )  # fmt: skip
        scored.append((-score, index.newest_rank[p], pk))
    return [pk for _, _, pk in sorted(scored)[:limit]]


_index: FacetIndex | None = None
_lock = threading.Lock()


def current_index() -> FacetIndex:
    """This process's index, rebuilt first if the catalogue has changed since it was built."""
    global _index
    version = CatalogueVersion.current()
    index = _index
    if index is not None and index.version == version:
        return index
    with _lock:
        if _index is None or _index.version != version:
            _index = build_index(version)
            # The index is long-lived and has no reference cycles: move it (and everything
            # else alive now) out of the collector's sight, or each full collection rescans
            # its hundreds of thousands of objects (pauses of 60+ ms at 20,000 case studies).
            gc.freeze()
        return _index


def id_list(ids: list[int]) -> RawSQL:
    """A subquery yielding these ids from one bound parameter, for `pk__in=`.

    A plain list would become one parameter per id, past PostgreSQL's limit of 65,535.
    """
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [list(ids)])  # nosec B611 - bound
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(list(ids))])  # nosec B611
