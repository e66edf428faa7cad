"""An in-memory facet index of the published catalogue: the query string evaluated as bitmaps.

Counting every option of every facet in SQL costs one grouped join per facet over the whole
result set (hundreds of milliseconds at 100,000 case studies). Here each option of each facet
is a bitmap (a Python int, one bit per published case study); a selection is ORs within a
facet and ANDs across facets, and a count is a popcount, so a page's counts take microseconds.
Facets with many options also keep each case study's values by position (`ValuesAt`): a
small result set is counted from its own values rather than by ANDing every option's bitmap.

Each process holds one index, built from one snapshot of the database and labelled with the
catalogue version (`CatalogueVersion`) it was read at. Any edit anywhere changes the version.
An edit to a few case studies is caught up by the first request to see the new version, which
reads just those again (`updated_index`: milliseconds), so the very next reader sees it.
Anything else (a council renamed, a partner's sector, an import) means reading everything
again (a second or two at 100,000 case studies): that runs in a background thread, and every
request until it is done is answered by the index the process already has, so an edit never
makes a reader wait. One process of the machine builds each such version and the others load
what it saved (`shared_build`). Only a process with no index at all (just started) makes the
requests that need one wait for its first build.

The index is a few large objects (ints and arrays, about 15 MB at 100,000 case studies), not
one object per case study: small for memory, and invisible to the garbage collector.
"""

import bisect
import fcntl
import functools
import hashlib
import heapq
import itertools
import json
import logging
import os
import pickle  # nosec B403 - only of indexes this process's user saved (shared_build)
import sys
import threading
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Max, QuerySet, When
from django.db.models.expressions import RawSQL

from partnerships.models import Council, Membership, other_names
from partnerships.names import name_key, usual_name

from .models import (
    CaseStudy,
    CatalogueChange,
    CatalogueVersion,
    EvidenceStrength,
    Outcome,
    ServiceArea,
)

logger = logging.getLogger(__name__)

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
# The list's orders, for the index and for outputs sorted in SQL alike: case studies without a
# start year come last either way, on both databases.
SORT_ORDERING = {
    "newest": [F("published_at").desc(), "title", "pk"],
    "title": ["title", "pk"],
    "start-year": [F("start_year").asc(nulls_last=True), "title", "pk"],
    "-start-year": [F("start_year").desc(nulls_last=True), "title", "pk"],
}
EVIDENCE_RANK = {value: rank for rank, value in enumerate(EvidenceStrength.values)}
RELATED_SHOWN = 5  # related case studies on a case study's page
RELATED_POOL = 50  # newest case studies considered among those sharing only a service area
# Sorting n members by their places costs about as much as walking this many steps n times.
SORTING_COSTS_A_STEP = 16
# Counting one position's values costs about as much as ANDing and counting this many bits
# of one option's bitmap (both measured at 20,000 and 100,000 case studies).
POSITION_COSTS_BITS = 12_000
# Facets with ten options or more, whose values are also kept by position (ValuesAt): a small
# result set counts its own few values rather than ANDing every option's whole bitmap.
COUNTED_BY_POSITION = ("council", "service", "sector", "region", "council_type")
# How long a request waits for a new process's first index before building one itself.
FIRST_BUILD_WAIT = 15  # seconds


@dataclass
class ValuesAt:
    """One facet's values of each position: position p's are the codes
    codes[starts[p]:starts[p + 1]], each an index into `names`; `changed` holds the codes of
    positions read again since the build (and of those added), which win over the arrays."""

    names: list[str]
    codes: array
    starts: array
    changed: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def counts(self, positions: Iterable[int]) -> dict[str, int]:
        """How many of these positions have each value, for the values some of them have."""
        tally = [0] * len(self.names)
        codes, starts, changed = self.codes, self.starts, self.changed
        for p in positions:
            for code in changed[p] if p in changed else codes[starts[p] : starts[p + 1]]:
                tally[code] += 1
        return {name: n for name, n in zip(self.names, tally, strict=True) if n}

    def with_changes(self, values: dict[int, Iterable[str]]) -> "ValuesAt":
        """A copy in which each position in `values` has those values: it shares the arrays
        and copies only what it changes."""
        names, changed = self.names, dict(self.changed)
        code_of = {name: code for code, name in enumerate(names)}
        for p, found in values.items():
            for name in found:
                if name not in code_of:  # new to the index
                    if names is self.names:
                        names = list(names)
                    code_of[name] = len(names)
                    names.append(name)
            changed[p] = tuple(code_of[name] for name in found)
        return replace(self, names=names, changed=changed)


def values_at(found: dict[str, array], size: int) -> ValuesAt:
    """value -> positions turned round: position -> values, in two flat arrays rather than an
    object per position."""
    starts = array("i", [0]) * (size + 1)
    for found_at in found.values():
        for p in found_at:
            starts[p + 1] += 1
    for p in range(size):
        starts[p + 1] += starts[p]
    codes = array("H" if len(found) < 1 << 16 else "l", [0]) * starts[size]
    free = starts[:size]  # the next place to fill in each position's run
    for code, found_at in enumerate(found.values()):
        for p in found_at:
            codes[free[p]] = code
            free[p] += 1
    return ValuesAt(names=list(found), codes=codes, starts=starts)


@dataclass
class FacetIndex:
    version: str
    # position -> id: ascending as built, then the ids of case studies published since
    # (updated_index), whose positions are in `late`.
    ids: array = field(default_factory=lambda: array("q"))
    late: dict[int, int] = field(default_factory=dict)  # id -> position, for those added
    live: int = 0  # the published case studies: positions of those unpublished since are not
    options: dict[str, dict[str, int]] = field(default_factory=dict)  # facet -> value -> bits
    years: dict[int, int] = field(default_factory=dict)  # start year -> bits
    orders: dict[str, array] = field(default_factory=dict)  # sort -> positions in order
    newest_rank: array = field(default_factory=lambda: array("i"))  # position -> rank, newest 0
    council_names: dict[str, str] = field(default_factory=dict)  # slug -> name, in use only
    council_also: dict[str, list[str]] = field(default_factory=dict)  # slug -> other names
    council_keys: set[str] = field(default_factory=set)  # names.name_key of every name
    former_councils: set[str] = field(default_factory=set)  # slugs, in use only
    service_areas: list[tuple[str, str]] = field(default_factory=list)  # (slug, name), all
    values_at: dict[str, ValuesAt] = field(default_factory=dict)  # COUNTED_BY_POSITION

    @property
    def everything(self) -> int:
        return self.live

    @functools.cached_property
    def council_choices(self) -> list[tuple[str, str]]:
        """The councils in use, by name, as the council filter's choices (once per index, not
        a sort of hundreds of names on every list page); former councils say so."""
        by_name = sorted(self.council_names.items(), key=lambda item: (item[1], item[0]))
        former = self.former_councils
        return [(slug, f"{name} (former)" if slug in former else name) for slug, name in by_name]

    def position(self, pk: int) -> int | None:
        """Where this case study is in the index, or None if the index does not know it (it
        was published after the index was read, or is not published)."""
        ascending = len(self.ids) - len(self.late)
        p = bisect.bisect_left(self.ids, pk, 0, ascending)
        return p if p < ascending and self.ids[p] == pk else self.late.get(pk)

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
        members = self.as_bytes(within)
        return [
            pk
            for pk in ids
            if (p := self.position(pk)) is not None and members[p >> 3] & (1 << (p & 7))
        ]

    def has(self, facet: str, value: str, pk: int) -> bool:
        """Whether case study `pk` has `value` in `facet`."""
        p = self.position(pk)
        return p is not None and bool(self.options[facet].get(value, 0) >> p & 1)

    def of_ids(self, ids: Iterable[int]) -> int:
        return bitmap(p for pk in ids if (p := self.position(pk)) is not None) & self.live

    def counts(self, facet: str, within: int) -> dict[str, int]:
        """How many of `within` each option of `facet` has (every option, 0 included)."""
        options = self.options[facet]
        by_position = self.values_at.get(facet)
        few = within.bit_count() * POSITION_COSTS_BITS < len(options) * len(self.ids)
        if by_position is not None and few:
            return dict.fromkeys(options, 0) | by_position.counts(self.positions_in(within))
        return {value: (bits & within).bit_count() for value, bits in options.items()}

    def ordered_ids(
        self, within: int, order: str, *, offset: int = 0, limit: int | None = None
    ) -> list[int]:
        """The ids of the case studies in `within`, in a named order: from the `offset`-th,
        at most `limit` of them. Walks the order and stops as soon as it has them (a first
        page of many is quick); when they are few, sorts just them instead (a walk would
        visit the whole order to find twenty of a hundred thousand)."""
        found: list[int] = []
        if limit == 0:
            return found
        count = within.bit_count()
        if not count:
            return found
        walked = len(self.ids) if limit is None else (offset + limit) * len(self.ids) // count
        if count * SORTING_COSTS_A_STEP < walked:
            place = self.places_in(order)
            ordered = sorted(self.positions_in(within), key=place.__getitem__)
            end = None if limit is None else offset + limit
            return [self.ids[p] for p in ordered[offset:end]]
        members = self.as_bytes(within)
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

    def places_in(self, order: str) -> array:
        """position -> its place in a named order, made once per index and order."""
        if order == "newest":
            return self.newest_rank
        places = self.__dict__.setdefault("_places", {})  # not a field: replace() drops it
        if order not in places:
            place = array("i", [0]) * len(self.ids)
            for number, p in enumerate(self.orders[order]):
                place[p] = number
            places[order] = place
        return places[order]

    def newest_in_turn(self, facet: str, limit: int) -> list[int]:
        """The newest case study of each option of `facet`, then the second newest of each,
        and so on, each turn newest first: `limit` ids. A batch published at one moment (a
        seed, an import) would otherwise fill a short list with one option."""
        # `limit` of each option: enough even when all but one have fewer than a turn each.
        turn_of = {
            pk: turn
            for bits in self.options[facet].values()
            for turn, pk in enumerate(self.ordered_ids(bits, "newest", limit=limit))
        }
        in_turn = sorted(
            turn_of, key=lambda pk: (turn_of[pk], self.newest_rank[self.position(pk)])
        )
        return in_turn[:limit]

    def related(
        self,
        pk: int,
        *,
        councils: list[str],
        areas: list[str],
        response: str,
        partners: Iterable[int],
    ) -> list[int]:
        """The ids of the published case studies most like case study `pk`, best first, at
        most RELATED_SHOWN.

        Shared councils and the same partnership (`partners`: its published case studies)
        weigh 3, each shared service area and the same response 2; ties go to the newest.
        Scored exactly over every case study sharing a council or the partnership, and over
        the newest RELATED_POOL sharing a service area (tens of thousands may), with and
        without the same response: a bounded number of candidates, read from bitmaps.
        """
        same_partnership = self.of_ids(partners)
        same_response = self.options["response"].get(response, 0)
        weighed = [
            *((self.options["council"].get(slug, 0), 3) for slug in councils),
            (same_partnership, 3),
            *((self.options["service"].get(slug, 0), 2) for slug in areas),
            (same_response, 2),
        ]
        itself = self.of_ids([pk])
        in_area = self.select("service", areas) & ~itself
        pool = self.select("council", councils) | same_partnership
        for within in (in_area, in_area & same_response):
            pool |= self.of_ids(self.ordered_ids(within, "newest", limit=RELATED_POOL))
        pool &= ~itself
        # Scored a bitmap at a time, in one comprehension over all the candidates each: a third
        # less time than a Python function testing each candidate against every bitmap.
        candidates = list(self.positions_in(pool))
        places = [(p >> 3, p & 7) for p in candidates]
        scores = [0] * len(candidates)
        for bits, weight in weighed:
            if bits & pool:
                members = self.as_bytes(bits)
                scores = [
                    score + weight * (members[byte] >> bit & 1)
                    for score, (byte, bit) in zip(scores, places, strict=True)
                ]
        newest_rank = self.newest_rank
        ranked = zip(
            [-score for score in scores],
            [newest_rank[p] for p in candidates],
            candidates,
            strict=True,
        )
        best = [p for _, _, p in heapq.nsmallest(RELATED_SHOWN, ranked)]
        return [self.ids[p] for p in best]

    def positions_in(self, within: int) -> Iterator[int]:
        members = self.as_bytes(within)
        # The zero bytes are skipped in C: a sparse bitmap of 100,000 positions is 12,500
        # bytes, nearly all zero, that a Python loop would visit one by one. Every non-zero
        # byte made 1, bytes.find (memchr) jumps to the next: three times a regex's speed.
        flags = members.translate(NONZERO_AS_ONE)
        byte_number = flags.find(1)
        while byte_number != -1:
            byte = members[byte_number]
            while byte:
                low = byte & -byte
                yield (byte_number << 3) + low.bit_length() - 1
                byte ^= low
            byte_number = flags.find(1, byte_number + 1)

    def ids_in(self, within: int) -> list[int]:
        """The ids of the case studies in `within`, in no particular order: fast when few."""
        return [self.ids[p] for p in self.positions_in(within)]


NONZERO_AS_ONE = bytes([0] + [1] * 255)  # a bytes.translate table


def bitmap(positions: Iterable[int]) -> int:
    """The int with exactly these bits set (built through bytes: ints are immutable)."""
    positions = list(positions)
    if not positions:
        return 0
    bits = bytearray(max(positions) // 8 + 1)
    for position in positions:
        bits[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(bits, "little")


def bitmaps(found: dict[object, list[int]]) -> dict:
    return {value: bitmap(positions) for value, positions in found.items()}


@contextmanager
def snapshot() -> Iterator[None]:
    """Every query inside reads the same state of the database: a read-only REPEATABLE READ
    transaction on PostgreSQL, one read transaction on SQLite. Without it, a case study
    published between two of a build's queries is in one and not the other."""
    if connection.in_atomic_block:  # a savepoint: the outer transaction decides
        with transaction.atomic():
            yield
        return
    if connection.vendor == "sqlite":
        # A deferred transaction, which only reads: atomic() would begin IMMEDIATE (the
        # setting that keeps writers from deadlocking) and hold the write lock for the whole
        # build, so the workers' builds and every editor's save would wait on each other.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def build_index() -> FacetIndex:
    """Read the published catalogue into bitmaps, all from one snapshot, labelled with the
    version that snapshot holds. A link to a case study the index does not know (which a
    snapshot rules out, but never mind) is left out rather than raising.

    Rows are streamed and positions kept in arrays, never one Python object per case study
    for long: the memory a build touches stays small, so the process stays small after it.
    """
    with snapshot():
        index = FacetIndex(version=CatalogueVersion.current())
        published = CaseStudy.objects.published().order_by()
        position_of: dict[int, int] = {}  # the inverse of index.ids, while building
        year_of = array("h")  # start year by position, 0 for none
        responses, years, by_partnership = positions(), positions(), positions()
        rows = published.order_by("pk").values_list(
            "pk", "response", "start_year", "partnership_id"
        )
        for position, (pk, response, start_year, partnership_id) in enumerate(raw_rows(rows)):
            index.ids.append(pk)
            position_of[pk] = position
            responses[response].append(position)
            year_of.append(start_year or 0)
            if start_year is not None:
                years[start_year].append(position)
            if partnership_id is not None:
                by_partnership[partnership_id].append(position)

        newest = ordered_positions(published, SORT_ORDERING["newest"], position_of)
        by_title = ordered_positions(published, SORT_ORDERING["title"], position_of)
        areas = list(ServiceArea.objects.order_by("name").values_list("pk", "slug", "name"))
        # Links and outcomes of every case study, read without a join to the published ones:
        # position_of drops the others, faster than the database can filter them.
        by_area = positions_by_value(
            CaseStudy.service_areas.through.objects.values_list("casestudy_id", "servicearea_id"),
            position_of,
        )
        by_council = positions_by_value(
            CaseStudy.councils.through.objects.values_list("casestudy_id", "council_id"),
            position_of,
        )
        # Sectors by partnership, then to its case studies: joining every case study to its
        # partners' organisations costs far more.
        by_sector = positions()
        for partnership_id, sector in Membership.objects.values_list(
            "partnership_id", "organisation__sector"
        ).iterator(CHUNK):
            by_sector[sector].extend(by_partnership.get(partnership_id, ()))
        by_evidence = positions_by_value(strongest_evidence_ranks(Outcome.objects), position_of)
        councils = list(
            Council.objects.filter(pk__in=list(by_council)).values_list(
                "pk", "nation", "region", *COUNCIL_NAMING
            )
        )
    del position_of, by_partnership

    no_year = 10_000  # case studies without a start year come last either way
    index.newest_rank = array("i", [0]) * len(newest)
    for rank, p in enumerate(newest):
        index.newest_rank[p] = rank
    index.orders = {
        "newest": newest,
        "title": by_title,
        # Stable sorts of the title order: ties stay in title order.
        "start-year": array("l", sorted(by_title, key=lambda p: year_of[p] or no_year)),
        "-start-year": array("l", sorted(by_title, key=lambda p: -(year_of[p] or -no_year))),
    }
    index.service_areas = [(slug, name) for _, slug, name in areas]
    area_slug = {pk: slug for pk, slug, _ in areas}
    council_bits = bitmaps(by_council)
    by_council_of: dict[str, defaultdict[str, int]] = {
        facet: defaultdict(int) for facet in ["council", "council_type", "nation", "region"]
    }
    for pk, nation, region, *naming in councils:
        slug, _, council_type, *_ = naming
        bits = council_bits[pk]
        by_council_of["council"][slug] |= bits
        by_council_of["council_type"][council_type] |= bits
        by_council_of["nation"][nation] |= bits
        if region:
            by_council_of["region"][region] |= bits
        name_council(index, *naming)
    evidence = EvidenceStrength.values
    index.options = {
        "response": bitmaps(responses),
        "service": {area_slug[pk]: bits for pk, bits in bitmaps(by_area).items()},
        "sector": bitmaps(by_sector),
        "evidence": {evidence[rank]: bits for rank, bits in bitmaps(by_evidence).items()},
        **{facet: dict(found) for facet, found in by_council_of.items()},
    }
    index.years = bitmaps(years)
    index.live = (1 << len(index.ids)) - 1
    index.values_at = {
        facet: values_at(
            {value: array("l", index.positions_in(bits)) for value, bits in found.items()},
            len(index.ids),
        )
        for facet, found in index.options.items()
        if facet in COUNTED_BY_POSITION
    }
    return index


COUNCIL_NAMING = ("slug", "name", "council_type", "official_name", "aliases", "ended_year")


def name_council(index: FacetIndex, slug, name, council_type, official, aliases, ended) -> None:
    """Add a council in use to the index's names (COUNCIL_NAMING are the arguments)."""
    label = index.council_names[slug] = usual_name(name)
    names = [name, *other_names(name, council_type, official, aliases)]
    index.council_also[slug] = [n for n in names if n != label]
    index.council_keys.update(name_key(n) for n in names)
    if ended is not None:
        index.former_councils.add(slug)


def strongest_evidence_ranks(outcomes) -> QuerySet:
    """(case study id, rank in EvidenceStrength of its outcomes' strongest evidence) pairs."""
    strength = Case(
        *(When(evidence=value, then=rank) for value, rank in EVIDENCE_RANK.items()),
        output_field=IntegerField(),
    )
    return (
        outcomes.values("case_study_id")
        .annotate(strongest=Max(strength))
        .values_list("case_study_id", "strongest")
    )


CHUNK = 10_000  # rows fetched at a time


def positions() -> defaultdict[object, array]:
    """value -> positions, kept as machine ints."""
    return defaultdict(lambda: array("l"))


def raw_rows(queryset) -> Iterator[tuple]:
    """A values_list queryset's rows as the database cursor gives them, a chunk at a time
    (a server-side cursor on PostgreSQL, as iterator() uses): the ids, codes and years a
    build reads need none of the ORM's conversions, which cost more than the reading."""
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            yield from rows


def ordered_positions(queryset, ordering: list, position_of: dict) -> array:
    ids = raw_rows(queryset.order_by(*ordering).values_list("pk"))
    return array("l", (p for (pk,) in ids if (p := position_of.get(pk)) is not None))


def positions_by_value(pairs: Iterable[tuple[int, object]], position_of: dict) -> dict:
    """(case study id, value) pairs as value -> positions; pairs of case studies the index
    does not hold are left out."""
    found = positions()
    for case_id, value in raw_rows(pairs):
        if (position := position_of.get(case_id)) is not None:
            found[value].append(position)
    return found


# -- catching up with an edit by reading only what it changed -------------------------------

MOST_CHANGED = 50  # case studies re-read to catch up; more, and the index is built again
MOST_LOGGED = 1_000  # rows of the change log read to catch up (one save may log dozens)


class BuildInstead(Exception):
    """The index cannot catch up with the changes by itself: build it again."""


def updated_index(index: FacetIndex) -> FacetIndex | None:
    """`index` brought up to the catalogue's current version by reading again only the case
    studies changed since its own (CatalogueChange), or None if it cannot be: its version has
    left the log, something other than case studies changed (a council's name, a partner, a
    service area), or a council is no longer in any published case study (a full build drops
    its names, which another council may share).

    A few queries per changed case study, and a few sort comparisons more where one moves in
    an order: milliseconds, where a build reads the whole catalogue for seconds. `index`
    itself is not changed (requests may be reading it): the result shares what did not.
    """
    with snapshot():
        version = CatalogueVersion.current()
        if version == index.version:
            return index
        since = CatalogueChange.objects.filter(token=index.version).aggregate(last=Max("pk"))
        if since["last"] is None:
            return None
        logged = list(
            CatalogueChange.objects.filter(pk__gt=since["last"])
            .order_by("pk")
            .values_list("token", "case_study_id")[: MOST_LOGGED + 1]
        )
        changed = {pk for _, pk in logged}
        if (
            not logged
            or len(logged) > MOST_LOGGED
            or logged[-1][0] != version  # a version logged nothing: do not trust the log
            or None in changed
            or len(changed) > MOST_CHANGED
        ):
            return None
        try:
            return caught_up(index, version, sorted(changed))
        except BuildInstead:
            return None


def caught_up(index: FacetIndex, version: str, changed: list[int]) -> FacetIndex:
    """A copy of `index` at `version`, with these case studies read again."""
    facts = published_facts(changed)
    still_there = set(CaseStudy.objects.filter(pk__in=changed).values_list("pk", flat=True))
    area_slugs = {slug for slug, _ in index.service_areas}
    if any(not values["service"] <= area_slugs for values, _ in facts.values()):
        raise BuildInstead  # a service area added since: the build reads their names
    # Shares what it does not change; the dicts it changes are its own.
    new = replace(
        index,
        version=version,
        options={facet: dict(found) for facet, found in index.options.items()},
        years=dict(index.years),
        orders=dict(index.orders),
    )
    now_in_use = set().union(*(values["council"] for values, _ in facts.values()))
    if new_councils := now_in_use - index.council_names.keys():
        new.council_names, new.council_also = dict(index.council_names), dict(index.council_also)
        new.council_keys, new.former_councils = set(index.council_keys), set(index.former_councils)
        in_use_since = Council.objects.filter(slug__in=new_councils)
        for naming in in_use_since.values_list(*COUNCIL_NAMING):
            name_council(new, *naming)
    if any(pk in facts and index.position(pk) is None for pk in changed):
        new.ids, new.late = array(index.ids.typecode, index.ids), dict(index.late)
    reread = []  # positions to sort again
    values_now: dict[str, dict[int, set[str]]] = {facet: {} for facet in new.values_at}
    for pk in changed:
        p = new.position(pk)
        if p is None:
            if pk not in facts:
                continue  # a draft, as it was
            p = len(new.ids)  # published since the index was built: a new position
            new.ids.append(pk)
            new.late[pk] = p
        bit = 1 << p
        new.live &= ~bit
        for facet, found in values_now.items():  # none, unless it is published
            found[p] = facts[pk][0].get(facet, set()) if pk in facts else set()
        for found in [*new.options.values(), new.years]:
            for value, bits in found.items():
                if bits & bit:
                    found[value] = bits ^ bit
        if pk in facts:
            values, year = facts[pk]
            new.live |= bit
            for facet, found in values.items():
                for value in found:
                    new.options.setdefault(facet, {})[value] = (
                        new.options[facet].get(value, 0) | bit
                    )
            if year is not None:
                new.years[year] = new.years.get(year, 0) | bit
        if pk in still_there:
            reread.append(p)
    for facet, found in new.options.items():
        for value in [value for value, bits in found.items() if not bits]:
            if facet == "council":
                # No longer in use: a full build leaves out its names (which another
                # council in use may share, so they cannot simply be taken out here).
                raise BuildInstead
            del found[value]
    new.years = {year: bits for year, bits in new.years.items() if bits}
    new.values_at = {
        facet: by_position.with_changes(values_now[facet])
        for facet, by_position in new.values_at.items()
    }

    gone = {p for pk in changed if pk not in still_there and (p := index.position(pk)) is not None}
    for name, ordering in SORT_ORDERING.items():
        new.orders[name] = resorted(index.orders[name], ordering, new.ids, reread, gone)
    if new.orders["newest"] is not index.orders["newest"]:
        new.newest_rank = array("i", [0]) * len(new.ids)
        for rank, p in enumerate(new.orders["newest"]):
            new.newest_rank[p] = rank
    return new


def published_facts(pks: list[int]) -> dict[int, tuple[defaultdict[str, set], int | None]]:
    """What the index holds of each of these case studies that is published: its values of
    each facet, and its start year. As build_index reads them, for a few case studies."""
    facts: dict[int, tuple[defaultdict[str, set], int | None]] = {}
    partnership_of = {}
    published = CaseStudy.objects.published().filter(pk__in=pks)
    for pk, response, year, partnership_id in published.values_list(
        "pk", "response", "start_year", "partnership_id"
    ):
        facts[pk] = (defaultdict(set, response={response}), year)
        partnership_of[pk] = partnership_id
    areas = CaseStudy.service_areas.through.objects.filter(casestudy_id__in=list(facts))
    for pk, slug in areas.values_list("casestudy_id", "servicearea__slug"):
        facts[pk][0]["service"].add(slug)
    councils = CaseStudy.councils.through.objects.filter(casestudy_id__in=list(facts))
    for pk, slug, council_type, nation, region in councils.values_list(
        "casestudy_id",
        "council__slug",
        "council__council_type",
        "council__nation",
        "council__region",
    ):
        values = facts[pk][0]
        values["council"].add(slug)
        values["council_type"].add(council_type)
        values["nation"].add(nation)
        if region:
            values["region"].add(region)
    sectors = defaultdict(set)
    for partnership_id, sector in Membership.objects.filter(
        partnership_id__in={p for p in partnership_of.values() if p is not None}
    ).values_list("partnership_id", "organisation__sector"):
        sectors[partnership_id].add(sector)
    for pk, partnership_id in partnership_of.items():
        if partnership_id is not None and sectors[partnership_id]:
            facts[pk][0]["sector"] |= sectors[partnership_id]
    evidence = EvidenceStrength.values
    outcomes = Outcome.objects.filter(case_study_id__in=list(facts))
    for pk, rank in strongest_evidence_ranks(outcomes):
        facts[pk][0]["evidence"].add(evidence[rank])
    return facts


def resorted(order: array, ordering: list, ids: array, reread: list[int], gone: set[int]) -> array:
    """`order` without the positions in `gone` (deleted case studies) and with those in
    `reread` where they sort now: `order` itself if nothing moved.

    Case studies are compared in SQL (the database's collation orders titles), all of them at
    once: one query to see that each sorts between its neighbours still (the usual case), or
    one per step of a binary search for where each goes now (about 17 at 100,000).
    """
    if gone:
        order = array(order.typecode, (p for p in order if p not in gone))
    try:
        placed = [order.index(p) for p in reread]
    except ValueError:  # one is new to the index
        placed = None
    if placed is not None:
        # Still sorted if each changed one sorts between its neighbours.
        runs = [order[max(i - 1, 0) : i + 2] for i in placed]
        rank = sql_ranks(ids, ordering, {p for run in runs for p in run})
        if all(rank[a] < rank[b] for run in runs for a, b in itertools.pairwise(run)):
            return order
    moving = set(reread)
    order = array(order.typecode, (p for p in order if p not in moving))
    low, high = dict.fromkeys(reread, 0), dict.fromkeys(reread, len(order))
    while searching := {p: (low[p] + high[p]) // 2 for p in reread if low[p] < high[p]}:
        rank = sql_ranks(ids, ordering, {*searching, *(order[m] for m in searching.values())})
        for p, middle in searching.items():
            if rank[order[middle]] < rank[p]:
                low[p] = middle + 1
            else:
                high[p] = middle
    # From the last place back, so that earlier places stay where they were; those going to
    # the same place in their own order.
    rank = sql_ranks(ids, ordering, moving)
    for p in sorted(reread, key=lambda p: (low[p], rank[p]), reverse=True):
        order.insert(low[p], p)
    return order


def sql_ranks(ids: array, ordering: list, positions: set[int]) -> dict[int, int]:
    """These case studies' places among themselves in the order `ordering` sorts them into in
    SQL, by position."""
    position_of = {ids[p]: p for p in positions}
    found = CaseStudy.objects.filter(pk__in=list(position_of)).order_by(*ordering)
    pks = list(found.values_list("pk", flat=True))
    if len(pks) != len(position_of):
        raise BuildInstead  # one was deleted while the index still orders it
    return {position_of[pk]: rank for rank, pk in enumerate(pks)}


_index: FacetIndex | None = None
_builder: threading.Thread | None = None  # the rebuild under way, if any
_lock = threading.Lock()
_catching_up = threading.Lock()  # one request at a time catches the index up


def current_index(version: str | None = None) -> FacetIndex:
    """This process's index: the newest it has, even while a newer one is being built.
    `version`: the catalogue's current version if the caller has just read it (in a query of
    its own), else it is read here.

    After an edit to a few case studies the request catches the index up itself, in
    milliseconds, so that the reader right after the edit (often the editor) sees it on any
    process. Anything more is built in a background thread while the old index answers. A
    process with no index yet waits for its first build. With CATALOGUE_INDEX_IN_BACKGROUND
    off (the tests, where every query runs in one uncommitted transaction that a thread's own
    connection could not see) the request itself builds too, as it has to wait anyway.
    """
    global _index
    version = version or CatalogueVersion.current()
    index = _index
    if index is not None and index.version == version:
        return index
    if not settings.CATALOGUE_INDEX_IN_BACKGROUND:
        with _lock:
            if _index is None or _index.version != version:
                _index = (_index and updated_index(_index)) or build_index()
            return _index
    if index is not None and _builder is None:  # (a build under way will be newer still)
        with _catching_up:
            if _index is not index:  # another thread has caught up meanwhile
                return _index
            if (caught := caught_up_or_none(index)) is not None:
                with _lock:
                    if _index is index:
                        _index = caught
                return caught
    builder = start_rebuild()
    if index is not None:
        return index
    builder.join(FIRST_BUILD_WAIT)
    if _index is None:  # the build failed (say the database is down): fail here, and say why
        with _lock:
            if _index is None:
                _index = build_index()
    return _index


def start_rebuild() -> threading.Thread:
    """Start building a new index in the background, unless that is already under way."""
    global _builder
    with _lock:
        if _builder is None:
            _builder = threading.Thread(target=_rebuild, name="facet-index", daemon=True)
            _builder.start()
        return _builder


def _rebuild() -> None:
    global _index, _builder
    try:
        index = shared_build()
        with _lock:
            _index = index
    except Exception:
        logger.exception("The facet index could not be rebuilt; the old one still answers.")
    finally:
        connection.close()  # this thread's own connection
        with _lock:
            _builder = None


def caught_up_or_none(index: FacetIndex) -> FacetIndex | None:
    try:
        return updated_index(index)
    except Exception:  # never worse than before: a full build follows, in the background
        logger.exception("The facet index could not catch up; building it again.")
        return None


def shared_build() -> FacetIndex:
    """The index of the current version, built once for all of this machine's processes.

    Under a file lock, the first process to need a version builds it and saves it; the others,
    waiting on the lock, load it (milliseconds, not the seconds of CPU a build takes). So after
    an edit one core builds while the rest keep answering, and every process has the new index
    about as soon as the build is done. Without a usable folder (CATALOGUE_INDEX_DIR), each
    process builds its own.
    """
    folder = index_folder()
    if folder is None:
        return build_index()
    with open(folder / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        version = CatalogueVersion.current()
        saved = saved_index(folder, version)
        if version != CatalogueVersion.INITIAL and saved.exists():
            with saved.open("rb") as file:
                # Safe: only this user can write in the folder (index_folder checks).
                return pickle.load(file)  # nosec B301  # nosemgrep
        index = build_index()
        partial = folder / "index.partial"
        with partial.open("wb") as file:
            pickle.dump(index, file, protocol=pickle.HIGHEST_PROTOCOL)
        for old in folder.glob("index-*.pickle"):
            old.unlink()
        partial.replace(saved_index(folder, index.version))
        return index


def saved_index(folder: Path, version: str) -> Path:
    """Where the index of `version`, built by this code, is saved."""
    return folder / f"index-{code_version()}-{version}.pickle"


@functools.cache
def code_version() -> str:
    """A digest of the code that shapes an index: a process running other code (after a deploy
    or a reload) never loads an index saved by this one, nor this one an older process's."""
    return code_digest(__name__, "catalogue.models", "partnerships.models", "partnerships.names")


def code_digest(*modules: str) -> str:
    """A digest of these (imported) modules' source files."""
    digest = hashlib.sha256()
    for name in modules:
        digest.update(Path(sys.modules[name].__file__).read_bytes())
    return digest.hexdigest()[:16]


def index_folder() -> Path | None:
    """This database's folder for shared indexes, made private to this user; None if sharing
    is off or the folder is not private (another user could plant an index in it)."""
    if not settings.CATALOGUE_INDEX_DIR:
        return None
    database = settings.DATABASES["default"]
    identity = repr([database.get(key) for key in ("ENGINE", "NAME", "HOST", "PORT")])
    name = hashlib.sha256(identity.encode()).hexdigest()[:16]
    folder = Path(settings.CATALOGUE_INDEX_DIR) / name
    try:
        folder.parent.mkdir(mode=0o700, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        private = all(
            (status := place.stat()).st_uid == os.getuid() and not status.st_mode & 0o077
            for place in (folder.parent, folder)
        )
    except OSError as error:
        logger.warning("Facet indexes are not shared: %s", error)
        return None
    if not private:
        logger.warning("Facet indexes are not shared: %s is not private to this user.", folder)
        return None
    return folder


def finish_rebuild() -> None:
    """Wait for the rebuild under way, if any (for tests and benchmarks)."""
    if (builder := _builder) is not None:
        builder.join()


def index_is_behind(version: str) -> bool:
    """Whether this process answers from an index older than `version` (a rebuild is under
    way): a page made now may show the catalogue as it was, so it must not be cached as the
    page of `version`."""
    index = _index
    return index is not None and index.version != version


def id_list(ids: list[int]) -> RawSQL:
    """A subquery yielding these ids from one bound parameter, for `pk__in=`.

    A plain list would become one parameter per id, past PostgreSQL's limit of 65,535.
    """
    if connection.vendor == "postgresql":
        # As an array literal: psycopg would check and convert each element of a list.
        literal = "{" + ",".join(str(int(pk)) for pk in ids) + "}"
        return RawSQL("SELECT unnest(%s::bigint[])", [literal])  # nosec B611 - bound
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(list(ids))])  # nosec B611
