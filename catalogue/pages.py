"""Stored case study pages: the part of a published case study's page that only its own data
shapes (its title to its sources, `_case_study_article.html`) is rendered once and read back,
so that the page costs two or three queries and a short template instead of eight to eleven
queries and the whole template. The rest (the citation with this site's address, related case
studies read from the facet index, the breadcrumb) is made for each request.

A stored page is kept exact as an ExportLine is: it is deleted in the transaction of any change
to what it shows (`catalogue_changed`), so one that exists is current. An edit to a few case
studies renders their pages again once it commits. After anything else (bulk work such as an
import, a change to everything such as a council's name, a deploy that renders pages otherwise)
each page's first reader renders it and hands it to a thread that stores it, unless the
catalogue has changed since the reader read it: the reader never waits on a write, and a page
no one reads is never stored.
"""

import functools
import hashlib
import importlib.metadata
import json
import logging
import queue
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Prefetch, QuerySet
from django.template.loader import get_template, render_to_string
from django.utils.safestring import SafeString, mark_safe

from partnerships.models import Membership

from . import exports
from .codebook import outcome_terms
from .facets import code_digest, id_list
from .models import CaseStudy, CaseStudyPage, CatalogueVersion, Status

logger = logging.getLogger(__name__)

ARTICLE_TEMPLATE = "catalogue/_case_study_article.html"
WAITING_AT_MOST = 1_000  # pages waiting to be stored; past that a reader's page is dropped


def everything_shown() -> QuerySet:
    """Case studies with everything their article shows, in seven queries."""
    return CaseStudy.objects.select_related("partnership__lead_council").prefetch_related(
        "service_areas",
        "councils",
        "outcomes",
        "sources",
        Prefetch(
            "partnership__memberships",
            Membership.objects.select_related("organisation").prefetch_related(
                "organisation__former_names"
            ),
        ),
    )


@dataclass(frozen=True)
class Page:
    """What a case study's page is made from: the case study's own fields, its article, its
    councils and service areas as (slug, name) pairs in the page's order, the ids of its
    partnership's published case studies (for related ones); and, for a stored page, the
    catalogue's version when it was read."""

    case_study: CaseStudy
    article: SafeString
    councils: list[tuple[str, str]]
    service_areas: list[tuple[str, str]]
    partners: frozenset[int] = frozenset()  # the partnership's published case studies' ids
    version: str | None = None


@functools.cache
def layout() -> str:
    """A digest of what shapes an article: the code, the templates and the libraries that
    render it. An article stored by other code (before a deploy) is not used."""
    digest = hashlib.sha256(
        code_digest(
            __name__,
            "catalogue.addresses",
            "catalogue.codebook",
            "catalogue.exports",
            "catalogue.markdown",
            "catalogue.models",
            "catalogue.templatetags.catalogue",
            "partnerships.models",
            "partnerships.names",
            "partnerships.vocabulary",
        ).encode()
    )
    for name in [ARTICLE_TEMPLATE, "catalogue/_outcome_terms.html"]:
        digest.update(Path(get_template(name).origin.name).read_bytes())
    for library in ["django", "markdown-it-py", "nh3"]:
        digest.update(importlib.metadata.version(library).encode())
    return digest.hexdigest()[:16]


# The case study's own fields the rest of the page reads (the long texts are in the article).
PAGE_FIELDS = [
    field
    for field in CaseStudy._meta.concrete_fields
    if field.name not in {"body", "search_vector"}
]


# Ids joined by commas, in each database's words.
IDS_JOINED = {
    "postgresql": "string_agg(CAST(other.id AS text), ',')",
    "sqlite": "group_concat(other.id)",
}


def stored(slug: str) -> Page | None:
    """The published case study's stored page, with the catalogue's version and its
    partnership's published case studies, in one query; None if it has none."""
    # Raw SQL on a plain cursor: under half a RawQuerySet's time for this one row (which was a
    # third of the ORM's). Each column is converted as the ORM would, and from_db leaves the
    # fields not read deferred. `status`: CaseStudy.objects.published(). Only quoted table
    # and column names from the models go into the text; values are parameters.
    database = connections[DEFAULT_DB_ALIAS]  # this thread's, as `connection` stands for
    with database.cursor() as cursor:
        parameters = [Status.PUBLISHED, slug, Status.PUBLISHED, layout()]
        cursor.execute(_stored_page_sql(database.vendor), parameters)
        row = cursor.fetchone()
    if row is None:
        return None
    *values, parts, version, partners = row
    for position, column, converters in _page_field_converters(database):
        for convert in converters:
            values[position] = convert(values[position], column, database)
    case_study = CaseStudy.from_db(database.alias, PAGE_FIELD_NAMES, values)
    parts = json.loads(zlib.decompress(parts))
    return Page(
        case_study=case_study,
        # Safe: rendered by the article template, which escapes or sanitises what it shows.
        article=mark_safe(parts["article"]),  # nosec B308, B703  # nosemgrep
        councils=[tuple(pair) for pair in parts["councils"]],
        service_areas=[tuple(pair) for pair in parts["service_areas"]],
        partners=frozenset(map(int, partners.split(","))) if partners else frozenset(),
        version=version or CatalogueVersion.INITIAL,
    )


PAGE_FIELD_NAMES = [field.attname for field in PAGE_FIELDS]


@functools.lru_cache(maxsize=4)
def _stored_page_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    case_studies = quote(CaseStudy._meta.db_table)
    columns = ", ".join(f"case_study.{quote(field.column)}" for field in PAGE_FIELDS)
    partnership = quote(CaseStudy._meta.get_field("partnership").column)
    return (
        f"SELECT {columns}, page.parts, (SELECT token FROM "  # nosec B608
        f"{quote(CatalogueVersion._meta.db_table)} WHERE id = 1), "
        f"(SELECT {IDS_JOINED[vendor]} FROM {case_studies} other "
        f"WHERE other.{partnership} = case_study.{partnership} AND other.status = %s) "
        f"FROM {quote(CaseStudyPage._meta.db_table)} page "
        f"JOIN {case_studies} case_study ON case_study.id = page.case_study_id "
        "WHERE case_study.slug = %s AND case_study.status = %s AND page.layout = %s"
    )


@functools.lru_cache(maxsize=8)  # per connection: one a thread
def _page_field_converters(database) -> list[tuple[int, object, list]]:
    """(position, column, converters) of the page's fields whose values from the database
    need converting, with the converters the ORM would apply (the backend's, the field's)."""
    found = []
    for position, field in enumerate(PAGE_FIELDS):
        column = field.get_col(CaseStudy._meta.db_table)
        converters = database.ops.get_db_converters(column) + column.get_db_converters(database)
        if converters:
            found.append((position, column, converters))
    return found


TITLES_REMEMBERED = 10_000  # at most, for one version of the catalogue

_titles: tuple[str | None, dict[int, tuple[str, str]]] = (None, {})


def published_titles(ids: list[int], version: str | None = None) -> dict[int, tuple[str, str]]:
    """The slug and title of each of these case studies that is published, by id: for the
    few a page links to. With the catalogue's `version` a stored page was read at, they are
    remembered for that version: pages link to the same few (the newest in a service area)
    again and again, and any change to the catalogue is a new version, so a slug, title or
    publication that has changed since is never read from memory."""
    global _titles
    if version in (None, CatalogueVersion.INITIAL):  # one name for catalogues never edited
        return _read_titles(ids)
    remembered_at, remembered = _titles
    if remembered_at != version or len(remembered) > TITLES_REMEMBERED:
        remembered = {}
        _titles = (version, remembered)
    # Read after `version` was, so never older than it.
    if missing := [pk for pk in ids if pk not in remembered]:
        remembered.update(_read_titles(missing))
    return {pk: remembered[pk] for pk in ids if pk in remembered}


def _read_titles(ids: list[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    table = connection.ops.quote_name(CaseStudy._meta.db_table)
    sql = f"SELECT id, slug, title FROM {table} WHERE status = %s AND id IN ({marks})"  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, [Status.PUBLISHED, *ids])
        return {pk: (slug, title) for pk, slug, title in cursor.fetchall()}


def rendered(case_study: CaseStudy) -> Page:
    """The page of a case study read through everything_shown(), rendered now."""
    # Which sources back each outcome, by their number in the list; partners by their names
    # in the case's years.
    exports.number_sources(
        {case_study.pk: list(case_study.sources.all())},
        {case_study.pk: list(case_study.outcomes.all())},
    )
    if case_study.partnership:
        for membership in case_study.partnership.memberships.all():
            membership.name_then = membership.organisation.name_in(case_study.year_of_names)
    article = render_to_string(
        ARTICLE_TEMPLATE, {"case_study": case_study, "outcome_terms": outcome_terms()}
    )
    return Page(
        case_study=case_study,
        article=article,
        councils=[(council.slug, council.name) for council in case_study.councils.all()],
        service_areas=[(area.slug, area.name) for area in case_study.service_areas.all()],
        partners=frozenset(
            CaseStudy.objects.published()
            .filter(partnership_id=case_study.partnership_id)
            .values_list("pk", flat=True)
        )
        if case_study.partnership_id
        else frozenset(),
    )


def keep(page: Page, version: str) -> None:
    """Store a published case study's page rendered from the catalogue at `version`, unless
    the catalogue has changed since: in a thread of its own, so the reader never waits."""
    kept = (page.case_study.pk, version, packed(page))
    if not settings.CATALOGUE_INDEX_IN_BACKGROUND:  # the tests: at once, in their transaction
        store([kept])
        return
    global _keeper
    with _keeper_lock:
        try:
            _waiting.put_nowait(kept)
        except queue.Full:  # the next reader renders it again
            return
        if _keeper is None:
            _keeper = threading.Thread(target=_keep_waiting, name="case-study-pages", daemon=True)
            _keeper.start()


def packed(page: Page) -> bytes:
    """What is stored of a page: its parts as zlib-compressed JSON (about 2 KB)."""
    parts = {
        "article": str(page.article),
        "councils": page.councils,
        "service_areas": page.service_areas,
    }
    return zlib.compress(json.dumps(parts).encode())


def store(kept: list[tuple[int, str, bytes]]) -> int:
    """Store those of these pages (case study id, the version it was read at, packed) that
    were read at the catalogue's current version; how many."""
    layout_now = layout()
    with transaction.atomic():
        # The row every change locks first (CatalogueVersion.bump), held until this commits:
        # no change commits between reading the version and storing what was read at it.
        CatalogueVersion.objects.select_for_update().filter(pk=1).first()
        current = CatalogueVersion.current()
        rows = {
            pk: CaseStudyPage(case_study_id=pk, layout=layout_now, parts=parts)
            for pk, version, parts in kept
            if version == current
        }
        CaseStudyPage.objects.bulk_create(
            rows.values(),
            update_conflicts=True,
            unique_fields=["case_study"],
            update_fields=["layout", "parts"],
        )
    return len(rows)


_waiting: queue.Queue = queue.Queue(maxsize=WAITING_AT_MOST)
_keeper: threading.Thread | None = None
_keeper_lock = threading.Lock()


def _keep_waiting() -> None:
    """Store the pages waiting, a batch at a time, until none is left."""
    global _keeper
    while True:
        with _keeper_lock:
            batch = []
            while len(batch) < exports.CHUNK_SIZE:
                try:
                    batch.append(_waiting.get_nowait())
                except queue.Empty:
                    break
            if not batch:
                _keeper = None
                connection.close()  # this thread's own connection
                return
        try:
            store(batch)
        except Exception:  # the next reader renders the page again: slower, never wrong
            logger.exception("Case study pages could not be stored.")


def finish_keeping() -> None:
    """Wait until the pages handed over are stored (for tests and benchmarks)."""
    if (keeper := _keeper) is not None:
        keeper.join()


def out_of_date(case_study_ids: set[int] | None) -> None:
    """In the transaction of a change: delete the pages it makes stale (every page, for
    None). Those of a few case studies are rendered again once it commits, so the next reader
    (often the editor) reads a stored page; after bulk work, or a change to everything, their
    readers store them."""
    pages = CaseStudyPage.objects.all()
    if case_study_ids is not None:
        pages = pages.filter(case_study_id__in=case_study_ids)
        if not exports.in_bulk_work():
            transaction.on_commit(functools.partial(render_again, case_study_ids), robust=True)
    pages.delete()


def render_again(case_study_ids: set[int]) -> int:
    """Render and store the pages of these case studies that are published and have none;
    how many. (A page that exists is current: one save calls this once for each of its many
    changes, such as publishing pending changes with their outcomes, and only the first
    renders anything.)"""
    version = CatalogueVersion.current()  # first: what is read after it is at least as new
    current = CaseStudyPage.objects.filter(layout=layout()).values("case_study_id")
    found = (
        everything_shown()
        .published()
        .filter(pk__in=id_list(list(case_study_ids)))
        .exclude(pk__in=current)
    )
    return store([(case_study.pk, version, packed(rendered(case_study))) for case_study in found])
