"""Full-text search over case studies, on PostgreSQL and on SQLite.

Both index the same weighted text (see `search_document`): the title weighs most, then the
summary and the names of the councils and partners, then the body, then outcomes.

- PostgreSQL: a stored, GIN-indexed `tsvector` (`CaseStudy.search_vector`) queried with
  `websearch_to_tsquery`, ranked with `ts_rank`, snippets from `ts_headline`.
- SQLite: an FTS5 table (`catalogue_casestudy_fts`, Porter stemming) queried with the same
  websearch syntax translated to FTS5, ranked with weighted `bm25`, snippets from `snippet()`.

The index is refreshed whenever a case study or anything shown in its text changes (see
signals.py); bulk loaders call `index_case_studies` themselves.
"""

import heapq
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, FloatField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_QUERY_LENGTH = 200
# The four weighted texts (see search_document): PostgreSQL weights A to D, and bm25 weights
# 10, 4, 2 and 1 for the FTS5 columns title, people, body and outcomes.
# SQLite's FTS5 statements: literal SQL, every value a bound parameter.
FTS_DELETE = "DELETE FROM catalogue_casestudy_fts WHERE rowid = %s"
FTS_INSERT = (
    "INSERT INTO catalogue_casestudy_fts (rowid, title, people, body, outcomes) "
    "VALUES (%s, %s, %s, %s, %s)"
)
FTS_MATCHING = "SELECT rowid FROM catalogue_casestudy_fts WHERE catalogue_casestudy_fts MATCH %s"
# Ties go to the older case study (lower id), as in `with_rank` orderings. With a LIMIT, SQLite
# ranks every match but sorts only as far as it must.
FTS_BEST = (
    "SELECT rowid FROM catalogue_casestudy_fts WHERE catalogue_casestudy_fts MATCH %s "
    "ORDER BY bm25(catalogue_casestudy_fts, 10.0, 4.0, 2.0, 1.0), rowid LIMIT %s"
)
# bm25() is lower for better matches: negated so both engines sort rank descending.
FTS_RANK = (
    "SELECT -bm25(catalogue_casestudy_fts, 10.0, 4.0, 2.0, 1.0) FROM catalogue_casestudy_fts "
    "WHERE catalogue_casestudy_fts MATCH %s AND rowid = catalogue_casestudy.id"
)
FTS_SNIPPETS = (
    "SELECT rowid, snippet(catalogue_casestudy_fts, -1, %s, %s, ' … ', 30) "
    "FROM catalogue_casestudy_fts WHERE catalogue_casestudy_fts MATCH %s "
    "AND rowid IN (SELECT value FROM json_each(%s))"
)
PG_INDEX = (
    "UPDATE catalogue_casestudy SET search_vector = "
    "setweight(to_tsvector('english', %s), 'A') || setweight(to_tsvector('english', %s), 'B') "
    "|| setweight(to_tsvector('english', %s), 'C') || setweight(to_tsvector('english', %s), 'D') "
    "WHERE id = %s"
)
INDEX_BATCH = 500
PG_SNIPPETS = (
    "SELECT id, ts_headline('english', summary || ' ' || body, "
    "websearch_to_tsquery('english', %s), %s) FROM catalogue_casestudy WHERE id = ANY(%s)"
)
# PostgreSQL's English stop words (tsearch_data/english.stop): neither engine requires them.
_STOP_WORD_TEXT = (
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his "
    "himself she her hers herself it its itself they them their theirs themselves what "
    "which who whom this that these those am is are was were be been being have has had "
    "having do does did doing a an the and but if or because as until while of at by for "
    "with about against between into through during before after above below to from up "
    "down in out on off over under again further then once here there when where why how "
    "all any both each few more most other some such no nor not only own same so than "
    "too very s t can will just don should now"
)
STOP_WORDS = frozenset(_STOP_WORD_TEXT.split())
# Private-use characters mark highlights until the snippet is escaped.
MARK_START, MARK_END = "\ue000", "\ue001"


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def search_document(case_study) -> list[str]:
    """The four weighted texts of one case study, in FTS_COLUMNS order."""
    # Councils under the names they are given ("COSLA"); forms that follow from the name
    # ("Gwynedd Council") are matched by dropping generic words from the query instead.
    councils = " ".join(
        " ".join([council.name, council.official_name, *council.alias_list])
        for council in case_study.councils.all()
    )
    partners = ""
    if case_study.partnership_id:
        partnership = case_study.partnership
        # Partners by every name they have had, so the names of the case's years find it.
        partners = " ".join(
            [
                partnership.name,
                *(o.name for o in partnership.organisations.all()),
                *(f.name for o in partnership.organisations.all() for f in o.former_names.all()),
            ]
        )
    areas = " ".join(area.name for area in case_study.service_areas.all())
    outcomes = " ".join(outcome.description for outcome in case_study.outcomes.all())
    return [
        case_study.title,
        f"{case_study.summary} {councils} {partners} {areas}",
        case_study.body,
        outcomes,
    ]


_pending: ContextVar[set[int] | None] = ContextVar("pending_search_index", default=None)


@contextmanager
def indexing_deferred() -> Iterator[None]:
    """Collect index updates made inside the block and apply them once at the end.

    For bulk work (seed loading, imports, an admin save with inlines) that would otherwise
    rebuild the same entries many times over.
    """
    if _pending.get() is not None:  # already inside a deferred block
        yield
        return
    token = _pending.set(set())
    try:
        yield
        ids = _pending.get()
    finally:
        _pending.reset(token)
    index_case_studies(ids)


def index_case_studies(ids: Iterable[int]) -> None:
    """Rebuild the search index entries of these case studies (or later, if deferred)."""
    ids = list(ids)
    if not ids:
        return
    pending = _pending.get()
    if pending is not None:
        pending.update(ids)
        return
    for start in range(0, len(ids), INDEX_BATCH):
        batch = ids[start : start + INDEX_BATCH]
        found = list(documents(batch))
        with connection.cursor() as cursor:
            if is_postgresql():
                cursor.executemany(PG_INDEX, [(*texts, pk) for pk, texts in found])
            else:
                cursor.executemany(FTS_DELETE, [(pk,) for pk in batch])
                cursor.executemany(FTS_INSERT, [(pk, *texts) for pk, texts in found])


def documents(ids: list[int]) -> Iterator[tuple[int, list[str]]]:
    """(id, the four weighted texts) of each of these case studies that exists."""
    from .models import CaseStudy

    case_studies = CaseStudy.objects.filter(pk__in=ids).prefetch_related(
        "councils", "service_areas", "outcomes", "partnership__organisations__former_names"
    )
    for case_study in case_studies:
        yield case_study.pk, search_document(case_study)


def forget_case_studies(ids: Iterable[int]) -> None:
    if is_postgresql():
        return  # the vector is a column of the deleted row
    with connection.cursor() as cursor:
        cursor.executemany(FTS_DELETE, [(pk,) for pk in ids])


class Matches:
    """The case studies (of any status) matching a search text: all of them, unranked, and
    the best few in rank order. Finding every match costs a fraction of ranking them all."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def ids(self) -> list[int]:
        # Nothing to look for (only stop words, or only -exclusions) matches nothing on either
        # engine; PostgreSQL alone would read "-libraries" as "everything but libraries".
        match = fts5_query(self.text)
        if not match:
            return []
        if is_postgresql():
            return list(self._ranks)
        with connection.cursor() as cursor:
            cursor.execute(FTS_MATCHING, [match])
            return [pk for (pk,) in cursor.fetchall()]

    def best(self, limit: int) -> list[int]:
        """The ids of the `limit` best matches, best first; ties go to the lower id."""
        match = fts5_query(self.text)
        if not match:
            return []
        if is_postgresql():
            ranked = heapq.nsmallest(limit, ((-rank, pk) for pk, rank in self._ranks.items()))
            return [pk for _, pk in ranked]
        with connection.cursor() as cursor:
            cursor.execute(FTS_BEST, [match, limit])
            return [pk for (pk,) in cursor.fetchall()]

    @cached_property
    def _ranks(self) -> dict[int, float]:
        """PostgreSQL: id -> rank of every match. Finding and ranking both read every matching
        tsvector (there is no index for the best few), so it is done once, in one pass."""
        from .models import CaseStudy

        query = pg_query(self.text)
        with planned_for_its_words():
            return dict(
                CaseStudy.objects.filter(search_vector=query)
                .annotate(rank=SearchRank(F("search_vector"), query))
                .order_by()  # in no order: the model's default would sort every match
                .values_list("pk", "rank")
            )


@contextmanager
def planned_for_its_words() -> Iterator[None]:
    """PostgreSQL: the queries inside are planned for the words searched for each time, never
    run from a prepared statement (config/settings.py prepares those a connection repeats).
    A prepared statement's generic plan, made without the words, cannot tell how many case
    studies they match: a search at 100,000 took a third longer from one."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    psycopg_connection = connection.connection
    threshold = psycopg_connection.prepare_threshold
    psycopg_connection.prepare_threshold = None
    try:
        yield
    finally:
        psycopg_connection.prepare_threshold = threshold


def with_rank(queryset: QuerySet, text: str) -> QuerySet:
    """Annotate `rank`, higher for better matches; for the outermost query only. Order by
    ("-rank", "pk") for the order the list page shows."""
    if is_postgresql():
        return queryset.annotate(rank=SearchRank(F("search_vector"), pg_query(text)))
    rank = RawSQL(FTS_RANK, [fts5_query(text)], output_field=FloatField())  # nosec B611
    return queryset.annotate(rank=rank)


def pg_query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config="english")


def snippets(ids: list[int], text: str) -> dict[int, SafeString]:
    """A highlighted extract for each case study that matches, as safe HTML."""
    if not ids:
        return {}
    if is_postgresql():
        sql = PG_SNIPPETS
        options = (
            f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=35, MinWords=15, "
            'MaxFragments=2, FragmentDelimiter=" … "'
        )
        params = [text, options, list(ids)]
    else:
        match = fts5_query(text)
        if not match:
            return {}
        sql = FTS_SNIPPETS
        params = [MARK_START, MARK_END, match, json.dumps(list(ids))]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {pk: highlight(extract) for pk, extract in cursor.fetchall()}


def highlight(extract: str) -> SafeString:
    """Escape an extract, then turn the engine's markers into <mark> elements."""
    html = escape(extract).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    # Safe: everything but our own <mark> tags was escaped on the line above.
    return mark_safe(html)  # nosec B308, B703  # nosemgrep


_TOKEN = re.compile(r'(-?)"([^"]*)"|(-?)(\S+)')
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Terms:
    """A search text read as websearch syntax, as FTS5 terms. PostgreSQL's
    websearch_to_tsquery reads it the same way."""

    required: list[str]  # every one must match; one may be '"a" OR "b"'
    excluded: list[str]
    stop_words: list[str]  # too common to search for: left out by both engines


def terms(text: str) -> Terms:
    """The words, "phrases", OR and -exclusions of a search text.

    Every word is quoted, so nothing the user types can be read as FTS5 syntax.
    """
    required: list[str] = []
    excluded: list[str] = []
    stop_words: list[str] = []
    pending_or = False
    for match in _TOKEN.finditer(text):
        negated, phrase, negated_word, word = match.groups()
        if word is not None and word.lower() == "or" and required:
            pending_or = True
            continue
        words = [w.lower() for w in _WORD.findall(phrase if phrase is not None else word)]
        stop_words += [w for w in words if w in STOP_WORDS]
        words = [w for w in words if w not in STOP_WORDS]
        if not words:
            continue
        term = '"' + " ".join(words) + '"'
        if negated or negated_word:
            excluded.append(term)
        elif pending_or:
            required[-1] = f"{required[-1]} OR {term}"
        else:
            required.append(term)
        pending_or = False
    return Terms(required=required, excluded=excluded, stop_words=stop_words)


def fts5_query(text: str) -> str:
    """Translate websearch syntax (words, "phrases", OR, -exclusions) into an FTS5 query."""
    found = terms(text)
    if not found.required:
        return ""
    query = " AND ".join(f"({term})" for term in found.required)
    for term in found.excluded:
        query = f"{query} NOT {term}"
    return query
