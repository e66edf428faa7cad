"""Case studies and what they are made of: outcomes, sources and service areas."""

import functools
import uuid
from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import nonmember
from urllib.parse import urlsplit, urlunsplit

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.postgres.search import SearchVectorField
from django.db import connection, models, transaction
from django.db.models import (
    F,
    Q,
)
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from partnerships.models import Council, Membership, Organisation, Partnership
from partnerships.vocabulary import Vocabulary, value_in, year_in_range

from .addresses import case_study_path


class ResponseType(Vocabulary):
    """Adam Kahane's four responses to an undesirable situation, as the RSA applied them."""

    FIGHT = "fight", "Fight"
    ADAPT = "adapt", "Adapt"
    EXIT = "exit", "Exit"
    COLLABORATE = "collaborate", "Collaborate"

    definitions = nonmember(
        {
            "fight": "The council contests the constraint itself: it lobbies or campaigns "
            "against cuts, takes the government to court, or makes the damage of cuts "
            "visible.",
            "adapt": "The council reshapes itself to live within the constraint: shared "
            "management or back offices, outsourcing, trusts and mutuals, commercial income, "
            "efficiency programmes.",
            "exit": "The council withdraws: it stops or hands over a service, transfers "
            "buildings to the community, is merged into a new council, or, most radically, "
            "fails financially (a section 114 notice stops all but essential spending).",
            "collaborate": "The council works with partners across organisational boundaries "
            "towards shared outcomes: pooled budgets, place-based alliances, deals with "
            "residents, prevention.",
        }
    )


class Status(Vocabulary):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in-review", "In review"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"

    definitions = nonmember(
        {
            "draft": "Being written; visible to editors only.",
            "in-review": "Submitted for a publisher to check; visible to editors only.",
            "published": "Public in the catalogue, its exports, feeds and API.",
            "archived": "Withdrawn from the catalogue but kept for the record; visible to "
            "editors only.",
        }
    )


class WorkflowError(Exception):
    """A change of status that the workflow refuses; the message says why in plain words."""

    def __init__(self, message: str, *, missing: list[str] | None = None):
        super().__init__(message)
        self.missing = missing or []


class EditConflict(Exception):
    """Someone else saved the case study after this copy of it was read."""


@dataclass(frozen=True)
class Transition:
    verb: str  # what the person does, as in "you may not {verb} case studies"
    done: str  # what the history says happened
    permission: str
    role: str  # who has the permission, for the refusal message


EDITOR, PUBLISHER = "an editor", "a publisher"
# The editorial workflow: from one status to another, and who may make the move.
TRANSITIONS = {
    (Status.DRAFT, Status.IN_REVIEW): Transition(
        "submit for review", "submitted for review", "catalogue.submit_casestudy", EDITOR
    ),
    (Status.IN_REVIEW, Status.DRAFT): Transition(
        "return to draft", "returned to draft", "catalogue.submit_casestudy", EDITOR
    ),
    (Status.IN_REVIEW, Status.PUBLISHED): Transition(
        "publish", "published", "catalogue.publish_casestudy", PUBLISHER
    ),
    (Status.PUBLISHED, Status.DRAFT): Transition(
        "unpublish", "unpublished", "catalogue.unpublish_casestudy", PUBLISHER
    ),
    (Status.PUBLISHED, Status.ARCHIVED): Transition(
        "archive", "archived", "catalogue.archive_casestudy", PUBLISHER
    ),
    (Status.ARCHIVED, Status.DRAFT): Transition(
        "restore from the archive",
        "restored from the archive",
        "catalogue.archive_casestudy",
        PUBLISHER,
    ),
}


class OutcomeKind(Vocabulary):
    ACHIEVED = "achieved", "Achieved"
    PROJECTED = "projected", "Projected"
    CONTEXT = "context", "Context"
    CONTESTED = "contested", "Contested"

    definitions = nonmember(
        {
            "achieved": "A result reported as having happened.",
            "projected": "A forecast or target, such as planned savings: a claim, not a result.",
            "context": "A fact about the situation the council faced, not a result of the work.",
            "contested": "A claim or result that others dispute, or a criticism of the work.",
        }
    )


class EvidenceStrength(Vocabulary):
    """Ordered from weakest to strongest; the order matters for 'strongest evidence'."""

    REPORTED = "reported", "Reported"
    MONITORED = "monitored", "Monitored"
    INDEPENDENTLY_EVALUATED = "independently-evaluated", "Independently evaluated"

    definitions = nonmember(
        {
            "reported": "Stated by the organisation itself or in press coverage, without "
            "published data behind it.",
            "monitored": "Backed by official statistics, audited accounts, inspection or "
            "performance data.",
            "independently-evaluated": "Assessed by an independent evaluation, academic study, "
            "audit office report or court judgment.",
        }
    )


class Confidence(Vocabulary):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"

    definitions = nonmember(
        {
            "high": "Stated in a source we have read.",
            "medium": "From a source, but partial, second-hand, a projection, or sources "
            "disagree.",
            "low": "Not confirmed in a source we have read; verify before relying on it.",
        }
    )


class CatalogueVersion(models.Model):
    """One row whose token changes with every edit to anything the public catalogue shows.

    Caches and each process's facet index are keyed on it, so nothing stale is ever served.
    A random token, not a counter: a rolled-back change must never reuse a version.
    """

    INITIAL = "initial"  # the version of a catalogue never edited (no row yet)

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.token

    @classmethod
    def current(cls) -> str:
        # Read by every page: in SQL of its own, a third (PostgreSQL) to a tenth (SQLite) of
        # the time of the ORM's query. Only the quoted table name goes into the text.
        table = connection.ops.quote_name(cls._meta.db_table)
        sql = f"SELECT token FROM {table} WHERE id = 1"  # nosec B608
        with connection.cursor() as cursor:
            cursor.execute(sql)
            row = cursor.fetchone()
        return row[0] if row else cls.INITIAL

    @classmethod
    def bump(cls, case_study_ids: Iterable[int] | None = None) -> None:
        """A new version, logged with what changed: the ids of the case studies whose own
        data changed, or None when something else did (a council, a partner, an import)."""
        token = uuid.uuid4().hex
        # The version row first: on PostgreSQL its lock is held to the end of the
        # transaction, so the log's ids are given out in the order the changes commit.
        cls.objects.update_or_create(pk=1, defaults={"token": token})
        ids = None if case_study_ids is None else set(case_study_ids)
        if ids is not None and len(ids) > CatalogueChange.MOST_CASE_STUDIES:
            ids = None
        if ids is None:
            logged = [CatalogueChange(token=token, case_study_id=None)]
        else:
            logged = [CatalogueChange(token=token, case_study_id=pk) for pk in sorted(ids)]
        last = CatalogueChange.objects.bulk_create(logged)[-1].pk
        if last is not None and last % CatalogueChange.PRUNE_EVERY == 0:
            CatalogueChange.objects.filter(pk__lte=last - CatalogueChange.KEPT).delete()
        catalogue_changed.send(sender=cls, case_study_ids=ids)


# Sent by CatalogueVersion.bump, inside the changing transaction, with the ids of the case
# studies changed (None: anything else, or too many to list).
catalogue_changed = Signal()


class CatalogueChange(models.Model):
    """The log of catalogue versions: which case studies each one changed (None: something
    else, or too many to list). A process's facet index, read at one version, catches up by
    applying the changes logged after it (facets.updated_index) instead of reading everything
    again; when its version is no longer in the log it reads everything."""

    MOST_CASE_STUDIES = 50  # listed in one version; more are logged as "everything"
    KEPT = 1_000  # versions' rows kept; an index further behind is read again in full
    PRUNE_EVERY = 100

    token = models.CharField(max_length=32, db_index=True)
    case_study_id = models.IntegerField(null=True)  # not a key: the log outlives deletions

    def __str__(self) -> str:
        return f"{self.token}: {self.case_study_id or 'everything'}"


class ServiceArea(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=80, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalogue:service_area_detail", kwargs={"slug": self.slug})


@dataclass(slots=True)
class Card:
    """A case study as a result card shows it (CaseStudyQuerySet.cards)."""

    OWN_FIELDS = ("pk", "slug", "title", "summary", "response", "secondary_response", "start_year")

    pk: int
    slug: str
    title: str
    summary: str
    response: str
    secondary_response: str
    start_year: int | None
    councils: list[str]  # names, alphabetically
    service_areas: list[str]  # names, alphabetically
    extract: str = ""  # a search's highlighted extract, as safe HTML (catalogue.search)

    def get_absolute_url(self) -> str:
        return case_study_path(self.slug)

    def get_response_display(self) -> str:
        return ResponseType(self.response).label

    def get_secondary_response_display(self) -> str:
        return ResponseType(self.secondary_response).label if self.secondary_response else ""


def names_by_case_study(ids: list[int]) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """({case study id: its councils' names}, {id: its service areas' names}), each
    alphabetically, in one query. Raw SQL: the ORM took several times longer to write these
    two joins than the database took to answer them. Only quoted table and column names from
    the models go into the text; the ids are parameters."""
    councils: dict[int, list[str]] = {}
    areas: dict[int, list[str]] = {}
    if not ids:
        return councils, areas
    quote = connection.ops.quote_name
    selects = []
    for kind, link, target in [
        (0, CaseStudy.councils.through, "council"),
        (1, CaseStudy.service_areas.through, "servicearea"),
    ]:
        case_study = quote(link._meta.get_field("casestudy").column)
        named = link._meta.get_field(target)
        selects.append(
            f"SELECT {kind}, link.{case_study}, named.name, named.id "  # nosec B608
            f"FROM {quote(link._meta.db_table)} link "
            f"JOIN {quote(named.related_model._meta.db_table)} named "
            f"ON named.id = link.{quote(named.column)} "
            f"WHERE link.{case_study} IN ({', '.join(['%s'] * len(ids))})"
        )
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects) + " ORDER BY 1, 3, 4", [*ids, *ids])
        for kind, case_study_id, name, _ in cursor.fetchall():
            (areas if kind else councils).setdefault(case_study_id, []).append(name)
    return councils, areas


def cards_of(rows: list[tuple]) -> list[Card]:
    """Cards from rows of Card.OWN_FIELDS, with their councils' and service areas' names."""
    councils, areas = names_by_case_study([row[0] for row in rows])
    return [Card(*row, councils.get(row[0], []), areas.get(row[0], [])) for row in rows]


class CaseStudyQuerySet(models.QuerySet):
    def published(self) -> "CaseStudyQuerySet":
        """What the public may see. Every public view, feed and export starts here."""
        return self.filter(status=Status.PUBLISHED)

    def for_listing(self) -> "CaseStudyQuerySet":
        """Everything the API's list and the feeds show, in a fixed number of queries, and not
        the long text neither shows: the body, the search vector, the councils' and areas'
        other details."""
        return (
            self.defer("body", "search_vector")
            .select_related("partnership")
            .prefetch_related(
                models.Prefetch("service_areas", ServiceArea.objects.only("slug", "name")),
                models.Prefetch(
                    "councils", Council.objects.order_by("name").only("slug", "name", "gss_code")
                ),
            )
        )

    def cards(self) -> list["Card"]:
        """What a result card shows of each case study, in the queryset's order: two
        queries, read as values. Twenty model instances with their prefetched councils and
        areas cost a list page more than its SQL."""
        return cards_of(list(self.values_list(*Card.OWN_FIELDS)))

    def previewable_by(self, user: AbstractBaseUser | AnonymousUser) -> "CaseStudyQuerySet":
        """Unpublished case studies that this person may preview at their public address."""
        if user.is_active and user.is_staff and user.has_perm("catalogue.view_casestudy"):
            return self.exclude(status=Status.PUBLISHED)
        return self.none()

    def not_checked_since(self, day: date) -> "CaseStudyQuerySet":
        """Case studies whose sources nobody has re-verified since `day` (or ever)."""
        return self.filter(Q(last_checked__isnull=True) | Q(last_checked__lt=day))


def published_cards(ids: list[int]) -> list[Card]:
    """CaseStudyQuerySet.cards() of the published case studies with these ids, in no
    particular order (a list page's, the home page's), from SQL the ORM writes once for each
    number of ids: writing it took longer than running it."""
    if not ids:
        return []
    sql, placeholders = _published_rows_sql(len(ids), connection.alias)
    # The ids go where the placeholder ids were; the other parameters stay as written.
    params = [ids[-p - 1] if isinstance(p, int) and p < 0 else p for p in placeholders]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cards_of(cursor.fetchall())


@functools.lru_cache(maxsize=256)
def _published_rows_sql(count: int, alias: str) -> tuple[str, tuple]:
    """The SQL and parameters of published() case studies' card fields for `count` ids, with
    -1 ... -count in the ids' places (ids are never negative). `alias`: one per database."""
    query = (
        CaseStudy.objects.using(alias)
        .published()
        .filter(pk__in=range(-1, -count - 1, -1))
        .order_by()
        .values_list(*Card.OWN_FIELDS)
    )
    sql, params = query.query.sql_with_params()
    return sql, tuple(params)


# Kept by name: catalogue/history.py records one version after a save made of many parts.
CASE_STUDY_HISTORY = HistoricalRecords(
    m2m_fields=["councils", "service_areas"], excluded_fields=["search_vector"]
)


class CaseStudy(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.TextField(help_text="Two or three sentences: what happened and why.")
    body = models.TextField(blank=True, help_text="The full write-up, in Markdown.")
    response = models.CharField(
        "response type",
        max_length=20,
        choices=ResponseType.choices,
        db_index=True,
        help_text=" ".join(f"{r.label}: {r.definition}" for r in ResponseType),
    )
    secondary_response = models.CharField(
        "secondary response type",
        max_length=20,
        choices=ResponseType.choices,
        blank=True,
        help_text="Only for hybrids, e.g. a library handed to volunteers is exit + collaborate.",
    )
    service_areas = models.ManyToManyField(ServiceArea, related_name="case_studies")
    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_studies",
    )
    councils = models.ManyToManyField(Council, related_name="case_studies")
    start_year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    start_year_estimated = models.BooleanField(
        "start year is an estimate",
        default=False,
        help_text="The research could only estimate or infer the start year.",
    )
    confidence = models.CharField(
        "research confidence",
        max_length=10,
        choices=Confidence.choices,
        blank=True,
        help_text="How well the sources we read support the case as a whole.",
    )
    from_transforming_together = models.BooleanField(
        "from the Transforming Together report",
        default=False,
        help_text="One of the cases studied in the RSA's Transforming Together report.",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField("last edited", auto_now=True)
    last_checked = models.DateField(
        null=True,
        blank=True,
        editable=False,
        db_index=True,
        help_text="When an editor last re-verified the case study against its sources.",
    )
    # Optimistic locking: every save claims the version it read (see `save`).
    version = models.PositiveIntegerField(default=1, editable=False)
    # PostgreSQL's full-text index (GIN-indexed by migration 0002); SQLite uses FTS5 instead.
    search_vector = SearchVectorField(null=True, editable=False)
    # A published case study's pending changes live in a hidden draft copy that points to it;
    # readers see the published row until a publisher publishes the copy (catalogue/revisions.py).
    revision_of = models.OneToOneField(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="pending_revision",
        verbose_name="pending revision of",
    )

    objects = CaseStudyQuerySet.as_manager()
    # A version of every save, with who and when; see catalogue/history.py.
    history = CASE_STUDY_HISTORY

    class Meta:
        verbose_name_plural = "case studies"
        ordering = ["-published_at", "title"]
        permissions = [
            ("submit_casestudy", "Can submit case studies for review"),
            ("publish_casestudy", "Can publish case studies"),
            ("unpublish_casestudy", "Can unpublish case studies"),
            ("archive_casestudy", "Can archive case studies and restore them from the archive"),
        ]
        constraints = [
            year_in_range("start_year"),
            models.CheckConstraint(
                condition=~Q(status=Status.PUBLISHED) | Q(published_at__isnull=False),
                name="published_case_study_has_published_at",
            ),
            models.CheckConstraint(
                condition=~Q(secondary_response=F("response")),
                name="secondary_response_differs_from_response",
            ),
            value_in("response", ResponseType),
            value_in("secondary_response", ResponseType, blank=True),
            value_in("status", Status),
            value_in("confidence", Confidence, blank=True),
            models.CheckConstraint(
                condition=Q(revision_of__isnull=True) | ~Q(status=Status.PUBLISHED),
                name="pending_revision_is_never_published",
            ),
        ]

    def __str__(self) -> str:
        # Told apart from the published case study in admin lists, choices and breadcrumbs.
        return f"{self.title} (pending changes)" if self.is_pending_revision else self.title

    def save(self, *args, **kwargs) -> None:
        # However it is published (admin form, action, import), it gets its first date once.
        if self.status == Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
            if (update_fields := kwargs.get("update_fields")) is not None:
                kwargs["update_fields"] = {*update_fields, "published_at"}
        if self._state.adding:
            super().save(*args, **kwargs)
            return
        # No lost updates: claim the version this copy was read at, in the same transaction
        # as the write. If someone saved in between, nothing is written.
        with transaction.atomic():
            claimed = CaseStudy.objects.filter(pk=self.pk, version=self.version).update(
                version=F("version") + 1
            )
            if not claimed:
                raise EditConflict(
                    f"“{self.title}” was changed by someone else after this copy was read."
                )
            self.version += 1
            super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return case_study_path(self.slug)

    @property
    def year_of_names(self) -> int | None:
        return year_of_names(self.start_year, self.partnership if self.partnership_id else None)

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    @property
    def is_pending_revision(self) -> bool:
        return self.revision_of_id is not None

    def publication_checklist(self) -> list[tuple[str, bool]]:
        """What publishing needs, in plain words, each with whether it is there."""
        return [
            ("a summary", bool(self.summary.strip())),
            ("a response type", bool(self.response)),
            ("at least one service area", self.pk is not None and self.service_areas.exists()),
            ("at least one council", self.pk is not None and self.councils.exists()),
            ("at least one outcome", self.pk is not None and self.outcomes.exists()),
            (
                "at least one source with a web address (URL)",
                self.pk is not None and self.sources.exclude(url="").exists(),
            ),
        ]

    def missing_for_publication(self) -> list[str]:
        return [item for item, done in self.publication_checklist() if not done]

    def check_still_complete(self) -> None:
        """A published case study keeps everything publishing needed (WorkflowError if not)."""
        if self.status == Status.PUBLISHED and (missing := self.missing_for_publication()):
            raise WorkflowError(
                f"“{self.title}” is published, so it must keep {join_words(missing)}. Put "
                "them back, or have a publisher unpublish it first.",
                missing=missing,
            )

    def next_statuses(self, user: AbstractBaseUser) -> list[Status]:
        """The statuses this person may move the case study to from where it is now."""
        return [
            target
            for (source, target), transition in TRANSITIONS.items()
            if source == self.status and user.has_perm(transition.permission)
        ]

    def check_transition(self, target: str, *, by: AbstractBaseUser) -> None:
        """Refuse (WorkflowError) a move the workflow does not have or this person may not make.

        Publishing also needs the checklist complete; `move_to` checks that as it saves.
        """
        current = Status(self.status)
        target = Status(target)
        transition = TRANSITIONS.get((current, target))
        if transition is None:
            routes = [Status(t).label.lower() for (s, t) in TRANSITIONS if s == current]
            raise WorkflowError(
                f"A case study that is {current.label.lower()} cannot become "
                f"{target.label.lower()}; from {current.label.lower()} it can only become "
                f"{' or '.join(routes)}."
            )
        if not by.has_perm(transition.permission):
            raise WorkflowError(
                f"You may not {transition.verb} case studies: that is for {transition.role}."
            )

    def move_to(self, target: str, *, by: AbstractBaseUser) -> None:
        """Change status by the workflow's rules, as `by`, and save; WorkflowError if refused."""
        self.check_transition(target, by=by)
        if target == Status.PUBLISHED and (missing := self.missing_for_publication()):
            raise WorkflowError(
                f"“{self.title}” cannot be published yet. It still needs {join_words(missing)}.",
                missing=missing,
            )
        if target == Status.PUBLISHED and self.is_pending_revision:
            # Imported here: revisions.py builds on this module and on history.py.
            from .revisions import publish_revision

            publish_revision(self, by=by)
            return
        transition = TRANSITIONS[(Status(self.status), Status(target))]
        self.status = target
        self.save_as(by, transition.done.capitalize(), update_fields=["status", "updated_at"])

    def submit(self, *, by: AbstractBaseUser) -> None:
        self.move_to(Status.IN_REVIEW, by=by)

    def publish(self, *, by: AbstractBaseUser) -> None:
        self.move_to(Status.PUBLISHED, by=by)

    def unpublish(self, *, by: AbstractBaseUser) -> None:
        """Back to draft; the first publication date is kept for the record."""
        if self.status != Status.PUBLISHED:
            raise WorkflowError(f"“{self.title}” is not published, so it cannot be unpublished.")
        self.move_to(Status.DRAFT, by=by)

    def archive(self, *, by: AbstractBaseUser) -> None:
        self.move_to(Status.ARCHIVED, by=by)

    def return_to_draft(self, *, by: AbstractBaseUser) -> None:
        """From review (withdrawn or sent back) or from the archive, back to draft."""
        if self.status == Status.PUBLISHED:
            raise WorkflowError(f"“{self.title}” is published: unpublish it instead.")
        self.move_to(Status.DRAFT, by=by)

    def mark_checked(self, *, by: AbstractBaseUser, day: date | None = None) -> None:
        """Record that an editor re-verified it against its sources; not an edit."""
        if not by.has_perm("catalogue.change_casestudy"):
            raise WorkflowError("You may not mark case studies as checked: that needs an editor.")
        self.last_checked = day or timezone.localdate()
        # updated_at is left alone: checking is not editing.
        self.save_as(by, "Checked against its sources", update_fields=["last_checked"])

    def save_as(self, user: AbstractBaseUser | None, reason: str, **kwargs) -> None:
        """Save, recording in the history who did it and why."""
        self._history_user, self._change_reason = user, reason
        try:
            self.save(**kwargs)
        finally:
            del self._history_user, self._change_reason


def public_partnerships() -> models.QuerySet[Partnership]:
    """Partnerships a published case study is about. One made for a draft stays private."""
    return Partnership.objects.filter(
        pk__in=CaseStudy.objects.published().values("partnership_id")
    )


def public_organisations() -> models.QuerySet[Organisation]:
    """Organisations in a public partnership; the rest stay private."""
    return Organisation.objects.filter(
        pk__in=Membership.objects.filter(partnership__in=public_partnerships()).values(
            "organisation_id"
        )
    )


# Sources move and claims date: a case study is due a re-check this long after the last one.
CHECK_INTERVAL_MONTHS = 18


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier, or the month's last day if it is shorter."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, monthrange(year, month)[1]))


def join_words(items: list[str]) -> str:
    """'a', 'b' and 'c' as a reader writes it."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


class Outcome(models.Model):
    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="outcomes")
    description = models.TextField()
    kind = models.CharField(max_length=20, choices=OutcomeKind.choices)
    figure = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    unit = models.CharField(
        max_length=40, blank=True, help_text="What the figure counts, e.g. £m, %, people."
    )
    period = models.CharField(max_length=60, blank=True, help_text="e.g. 2013–2018, per year.")
    evidence = models.CharField(
        "evidence strength", max_length=30, choices=EvidenceStrength.choices
    )
    confidence = models.CharField(
        max_length=10, choices=Confidence.choices, default=Confidence.MEDIUM
    )
    # Only the case study's own sources: see `check_outcome_sources` below.
    sources = models.ManyToManyField(
        "Source",
        related_name="outcomes",
        blank=True,
        help_text="The case study's sources that support this outcome.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["case_study", "pk"]
        indexes = [models.Index(fields=["case_study", "evidence"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(figure__isnull=False) | Q(unit=""),
                name="outcome_unit_needs_a_figure",
            ),
            value_in("kind", OutcomeKind),
            value_in("evidence", EvidenceStrength),
            value_in("confidence", Confidence),
        ]

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def figure_text(self) -> str:
        return figure_text(self.figure, self.unit)


def year_of_names(start_year: int | None, partnership) -> int | None:
    """The year whose names a case study uses for its partners: when the work started, else
    when its partnership (if any) did."""
    if start_year:
        return start_year
    return partnership.start_year if partnership else None


def figure_text(figure: Decimal | None, unit: str) -> str:
    """An outcome's figure as a reader expects it: £7.5m, 45%, 4,000 people."""
    if figure is None:
        return ""
    number = f"{figure:,.2f}"
    if number.endswith(".00"):
        number = number[:-3]
    elif number.endswith("0"):
        number = number[:-1]
    if unit.startswith("£"):
        return f"£{number}{unit[1:]}"
    if unit == "%":
        return f"{number}%"
    return f"{number} {unit}".strip()


class TrackingFreeURLFormField(forms.URLField):
    def to_python(self, value: str | None) -> str:
        return without_tracking(super().to_python(value))


class TrackingFreeURLField(models.URLField):
    """A URL without tracking parameters, however it is saved: a form cleans them away, and
    every save, bulk creation included, drops any left."""

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = without_tracking(getattr(model_instance, self.attname) or "")
        setattr(model_instance, self.attname, value)
        return value

    def formfield(self, **kwargs) -> forms.Field:
        return super().formfield(**{"form_class": TrackingFreeURLFormField, **kwargs})


class Source(models.Model):
    """A publication or web page that a case study cites."""

    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="sources")
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    url = TrackingFreeURLField(
        "URL", max_length=500, blank=True, help_text="The original's address, if known."
    )
    copy_url = TrackingFreeURLField(
        "copy at",
        max_length=500,
        blank=True,
        help_text="A copy on another site (a document-sharing site, a mirror, an archive); "
        "the title and publisher stay the original's.",
    )
    section = models.CharField(
        "page or section", max_length=100, blank=True, help_text="e.g. p. 12, or 'Appendix A'."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["case_study", "pk"]
        constraints = [
            year_in_range("year"),
            models.UniqueConstraint(
                fields=["case_study", "url"],
                condition=~Q(url=""),
                name="source_cited_once_per_case_study",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def copy_host(self) -> str:
        """Where the copy is, as a reader names a site: 'docslib.org'."""
        return (urlsplit(self.copy_url).hostname or "").removeprefix("www.")


class ExportLine(models.Model):
    """A published case study's line of the CSV export, made after each change to it, so that
    an export reads lines instead of making them (catalogue.exports.csv_stream).

    A line is deleted in the same transaction as any change to what it shows (the
    `catalogue_changed` signal: the case study's, or every line when something else changed),
    so a line that exists is current. It is made again once the change has committed, and
    missing lines are made by a background thread; an export makes any still missing itself.
    `layout` says which code made it: a line made by other code (before a deploy) is not used.
    """

    # Deleted with its case study by the change's own signal (catalogue_changed), after the
    # catalogue's version row is locked, as every other change to lines is: a cascade would
    # lock the line first and could deadlock with a refill on PostgreSQL.
    case_study = models.OneToOneField(
        CaseStudy,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    layout = models.CharField(max_length=16)
    line = models.TextField()  # as written to the CSV; the permalink without the site's address

    def __str__(self) -> str:
        return f"Export line of case study {self.case_study_id}"


class CaseStudyPage(models.Model):
    """The stored part of a published case study's page that only its own data shapes, from
    its title to its sources (catalogue.pages), so that reading the page costs a few queries
    instead of rendering that part from eleven.

    Kept as an ExportLine is: deleted in the transaction of any change to what it shows (the
    `catalogue_changed` signal), so a page that exists is current; rendered again once an edit
    to the case study commits, or else by the page's next reader. `layout` says which code
    rendered it.
    """

    case_study = models.OneToOneField(
        CaseStudy,
        primary_key=True,
        on_delete=models.DO_NOTHING,  # deleted by catalogue_changed, as ExportLine
        db_constraint=False,
        related_name="+",
    )
    layout = models.CharField(max_length=16)
    # The rendered article, and the case study's councils and service areas as [slug, name]
    # pairs for the rest of the page: JSON, zlib-compressed (to about a fifth of its size).
    parts = models.BinaryField()

    def __str__(self) -> str:
        return f"Stored page of case study {self.case_study_id}"


# Query parameters that only say how a reader arrived (campaigns, clicks, WordPress's cron),
# never which page it is: matched case-insensitively, `utm_` as a prefix.
TRACKING_PARAMETERS = {
    "cmp", "intcmp", "doing_wp_cron", "fbclid", "gclid", "dclid", "gbraid", "wbraid",
    "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_ga", "_gl",
}  # fmt: skip


def is_tracking(parameter: str) -> bool:
    name = parameter.lower()
    return name.startswith("utm_") or name in TRACKING_PARAMETERS


def without_tracking(url: str) -> str:
    """The address without tracking parameters; the rest of it is kept byte for byte."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [piece for piece in parts.query.split("&") if not is_tracking(piece.partition("=")[0])]
    return urlunsplit(parts._replace(query="&".join(kept)))
