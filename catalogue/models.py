"""Case studies and what they are made of: outcomes, sources and service areas."""

import uuid
from enum import nonmember

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from partnerships.models import Council, Partnership
from partnerships.vocabulary import Vocabulary, value_in, year_in_range


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
            "buildings to the community, or is merged into a new council.",
            "collaborate": "The council works with partners across organisational boundaries "
            "towards shared outcomes: pooled budgets, place-based alliances, deals with "
            "residents, prevention.",
        }
    )


class Status(Vocabulary):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in-review", "In review"
    PUBLISHED = "published", "Published"

    definitions = nonmember(
        {
            "draft": "Being written; visible to editors only.",
            "in-review": "Submitted for a publisher to check; visible to editors only.",
            "published": "Public in the catalogue, its exports, feeds and API.",
        }
    )


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

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.token

    @classmethod
    def current(cls) -> str:
        token = cls.objects.filter(pk=1).values_list("token", flat=True).first()
        return token or "initial"

    @classmethod
    def bump(cls) -> None:
        cls.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})


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


class CaseStudyQuerySet(models.QuerySet):
    def published(self) -> "CaseStudyQuerySet":
        """What the public may see. Every public view, feed and export starts here."""
        return self.filter(status=Status.PUBLISHED)

    def for_listing(self) -> "CaseStudyQuerySet":
        """Everything a result card shows, in a fixed number of queries."""
        return self.select_related("partnership").prefetch_related(
            "service_areas", models.Prefetch("councils", Council.objects.order_by("name"))
        )

    def counts_by_response(self) -> dict[str, int]:
        rows = self.order_by().values_list("response").annotate(n=Count("pk"))
        counts = dict.fromkeys(ResponseType.values, 0)
        counts.update(dict(rows))
        return counts


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
    updated_at = models.DateTimeField(auto_now=True)
    # PostgreSQL's full-text index (GIN-indexed by migration 0002); SQLite uses FTS5 instead.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = CaseStudyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "case studies"
        ordering = ["-published_at", "title"]
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
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # However it is published (admin form, action, import), it gets its first date once.
        if self.status == Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
            if (update_fields := kwargs.get("update_fields")) is not None:
                kwargs["update_fields"] = {*update_fields, "published_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("catalogue:case_study_detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    def publish(self) -> None:
        self.status = Status.PUBLISHED
        self.save(update_fields=["status", "updated_at"])

    def unpublish(self) -> None:
        """Back to draft; the first publication date is kept for the record."""
        self.status = Status.DRAFT
        self.save(update_fields=["status", "updated_at"])


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
        """The figure as a reader expects it: £7.5m, 45%, 4,000 people."""
        if self.figure is None:
            return ""
        number = f"{self.figure:,.2f}"
        if number.endswith(".00"):
            number = number[:-3]
        elif number.endswith("0"):
            number = number[:-1]
        if self.unit.startswith("£"):
            return f"£{number}{self.unit[1:]}"
        if self.unit == "%":
            return f"{number}%"
        return f"{number} {self.unit}".strip()


class Source(models.Model):
    """A publication or web page that a case study cites."""

    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="sources")
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    url = models.URLField("URL", max_length=500, blank=True)
    section = models.CharField(
        "page or section", max_length=100, blank=True, help_text="e.g. p. 12, or 'Appendix A'."
    )

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
