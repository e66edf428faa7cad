"""Versions of a case study: what it looked like at each save, what changed, and going back.

django-simple-history keeps a row for every save of a case study, an outcome and a source,
with who and when. A *version* of a case study is one of its history rows together with the
outcomes and sources it had at that moment. A save made of several parts (the admin form with
its outcomes and sources, an import, a restore) is recorded as one version, after all the
parts, so that the version includes them.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from partnerships.models import Council, Partnership

from .models import CASE_STUDY_HISTORY, CaseStudy, Outcome, ServiceArea, Source, Status

# What a restore brings back. Status, publication date and last-checked date belong to the
# case study's life, not its content; the slug is its web address, which citations use.
CONTENT_FIELDS = [
    "title",
    "summary",
    "body",
    "response",
    "secondary_response",
    "start_year",
    "start_year_estimated",
    "confidence",
    "from_transforming_together",
    "partnership_id",
]
OUTCOME_FIELDS = ["description", "kind", "figure", "unit", "period", "evidence", "confidence"]
SOURCE_FIELDS = ["title", "publisher", "year", "url", "copy_url", "section"]

_recorded_by_caller: ContextVar[bool] = ContextVar("case_study_version_by_caller", default=False)


# -- recording -------------------------------------------------------------------------------


@contextmanager
def versions_recorded_by_caller() -> Iterator[None]:
    """Inside this block outcome and source saves add no case-study version of their own:
    whoever saves the case study records one version when all its parts are saved."""
    token = _recorded_by_caller.set(True)
    try:
        yield
    finally:
        _recorded_by_caller.reset(token)


def hold_version(case_study: CaseStudy) -> None:
    """Saves of this case study record no version until `record_version` is called."""
    case_study.skip_history_when_saving = True


def record_version(
    case_study: CaseStudy, *, by: AbstractBaseUser | None, reason: str, created: bool = False
) -> None:
    """Keep the case study as it is now, councils and service areas included, as a version.

    Without `by`, the signed-in user of the current request is recorded, if there is one.
    """
    if hasattr(case_study, "skip_history_when_saving"):
        del case_study.skip_history_when_saving
    if by is not None:
        case_study._history_user = by
    case_study._change_reason = reason[:100]
    try:
        CASE_STUDY_HISTORY.create_historical_record(case_study, "+" if created else "~")
    finally:
        case_study.__dict__.pop("_history_user", None)
        del case_study._change_reason


@contextmanager
def one_version(
    case_study: CaseStudy, *, by: AbstractBaseUser | None, reason: str, created: bool = False
) -> Iterator[None]:
    """Everything saved inside the block becomes one version of `case_study`."""
    hold_version(case_study)
    with versions_recorded_by_caller():
        yield
    record_version(case_study, by=by, reason=reason, created=created)


def _part_changed(instance: Outcome | Source, action: str) -> None:
    if _recorded_by_caller.get():
        return  # the case study is saved (and its version claimed) with its parts
    bump_version(instance.case_study_id)
    if instance._meta.get_field("case_study").is_cached(instance):
        # The caller's own copy of the case study knows about the caller's own change.
        instance.case_study.version += 1
    case_study = CaseStudy.objects.filter(pk=instance.case_study_id).first()
    if case_study is not None:
        noun = str(instance._meta.verbose_name).capitalize()
        record_version(case_study, by=None, reason=f"{noun} {action}: {instance}")


def bump_version(case_study_id: int) -> None:
    """A part of the case study changed on its own: an editor who opened the case study before
    that gets the conflict form rather than saving the old parts back over it."""
    CaseStudy.objects.filter(pk=case_study_id).update(version=models.F("version") + 1)


@receiver(post_save, sender=Outcome)
@receiver(post_save, sender=Source)
def part_saved(sender, instance: Outcome | Source, raw: bool = False, **kwargs) -> None:
    """An outcome or source saved on its own page is a new version of its case study too."""
    if not raw:
        _part_changed(instance, "saved")


@receiver(post_delete, sender=Outcome)
@receiver(post_delete, sender=Source)
def part_deleted(sender, instance: Outcome | Source, **kwargs) -> None:
    _part_changed(instance, "removed")


# -- reading ---------------------------------------------------------------------------------


def when(record: models.Model) -> str:
    return date_format(localtime(record.history_date), "j F Y, H:i:s")


def who(record: models.Model) -> str:
    return record.history_user.get_username() if record.history_user_id else "the system"


def versions(case_study: CaseStudy) -> models.QuerySet:
    """Newest first."""
    return case_study.history.select_related("history_user").order_by(
        "-history_date", "-history_id"
    )


def published_version(case_study: CaseStudy) -> models.Model | None:
    """The latest version that was public: what readers see, or last saw."""
    return versions(case_study).filter(status=Status.PUBLISHED).first()


def outcome_text(outcome: Outcome) -> str:
    figure = f" ({outcome.figure_text}{', ' + outcome.period if outcome.period else ''})"
    return (
        f"{outcome.get_kind_display()}: {outcome.description}"
        f"{figure if outcome.figure is not None else ''}; evidence "
        f"{outcome.get_evidence_display().lower()}, confidence "
        f"{outcome.get_confidence_display().lower()}"
    )


def source_text(source: Source) -> str:
    copy = f"copy at {source.copy_url}" if source.copy_url else ""
    parts = [
        source.title,
        source.publisher,
        str(source.year or ""),
        source.url,
        copy,
        source.section,
    ]
    return ", ".join(part for part in parts if part)


def same_lines(text: str) -> str:
    """Browsers send CRLF and other tools LF: a line ending alone is no change."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def contents(record: models.Model) -> dict[str, str]:
    """One version as text, field by field, as an editor compares them."""
    partnership = Partnership.objects.filter(pk=record.partnership_id).first()
    councils = Council.objects.filter(pk__in=record.councils.values("council_id"))
    areas = ServiceArea.objects.filter(pk__in=record.service_areas.values("servicearea_id"))
    outcomes = Outcome.history.as_of(record.history_date).filter(case_study_id=record.id)
    sources = Source.history.as_of(record.history_date).filter(case_study_id=record.id)
    return {
        "Title": record.title,
        "Summary": same_lines(record.summary),
        "Body": same_lines(record.body),
        "Response type": record.get_response_display(),
        "Secondary response type": (
            record.get_secondary_response_display() if record.secondary_response else ""
        ),
        "Service areas": "\n".join(area.name for area in areas.order_by("name")),
        "Councils": "\n".join(str(council) for council in councils.order_by("name")),
        "Partnership": partnership.name if partnership else "",
        "Start year": str(record.start_year or ""),
        "From the Transforming Together report": (
            "Yes" if record.from_transforming_together else "No"
        ),
        "Outcomes": "\n".join(outcome_text(outcome) for outcome in outcomes.order_by("id")),
        "Sources": "\n".join(source_text(source) for source in sources.order_by("id")),
        "Status": record.get_status_display(),
    }


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str

    @property
    def marked(self) -> SafeString:
        """The new text with removed words struck through and added words marked."""
        return marked_difference(self.before, self.after)


def changes(before: dict[str, str], after: dict[str, str]) -> list[Change]:
    return [
        Change(field, before.get(field, ""), value)
        for field, value in after.items()
        if before.get(field, "") != value
    ]


def marked_difference(before: str, after: str) -> SafeString:
    old, new = re.split(r"(\s+)", before), re.split(r"(\s+)", after)
    html = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        if operation == "equal":
            html.append(escape("".join(old[i1:i2])))
            continue
        if i2 > i1:
            html.append(f"<del>{escape(''.join(old[i1:i2]))}</del>")
        if i2 > i1 and j2 > j1:
            html.append(" ")  # so that a replaced word does not run into its replacement
        if j2 > j1:
            html.append(f"<ins>{escape(''.join(new[j1:j2]))}</ins>")
    # Safe: every piece of text was escaped above; only our <del>/<ins> tags are raw.
    return mark_safe("".join(html))  # nosec B308, B703  # nosemgrep


def comparable(value: object) -> object:
    return same_lines(value) if isinstance(value, str) else value


def timeline(case_study: CaseStudy, *, limit: int = 200) -> list[dict]:
    """The latest versions with who, when, why and which fields changed from the one before."""
    records = list(versions(case_study)[: limit + 1])
    rows = []
    for record, earlier in zip(records, [*records[1:], None], strict=False):
        changed = [
            CaseStudy._meta.get_field(name.removesuffix("_id")).verbose_name
            for name in [*CONTENT_FIELDS, "slug", "status", "last_checked"]
            if earlier is not None
            and comparable(getattr(record, name)) != comparable(getattr(earlier, name))
        ]
        rows.append(
            {"record": record, "when": when(record), "who": who(record), "changed": changed}
        )
    return rows[:limit]


def changes_since(
    case_study: CaseStudy, version: int | None
) -> tuple[list[Change], models.Model | None]:
    """What was saved after the editor opened `version`, and the version that saved it."""
    latest = versions(case_study).first()
    opened = versions(case_study).filter(version=version).first() if version else None
    if latest is None or opened is None:
        return [], latest
    return changes(contents(opened), contents(latest)), latest


# -- restoring -------------------------------------------------------------------------------


def restore(
    *,
    case_study: CaseStudy,
    record: models.Model,
    by: AbstractBaseUser,
    opened_version: int | None = None,
) -> None:
    """Bring back an earlier version's content, outcomes and sources, as a new version.

    The status stays as it is: restoring never publishes or unpublishes. A published case
    study must still meet the publication checklist afterwards (WorkflowError if not);
    EditConflict if someone saved since `opened_version`. A pending revision may take a
    version of the published case study it revises.
    """
    if record.id not in {case_study.pk, case_study.revision_of_id}:
        raise ValueError("That version belongs to another case study.")
    reason = f"Restored the version of {when(record)}"
    with transaction.atomic(), one_version(case_study, by=by, reason=reason):
        if opened_version is not None:
            case_study.version = opened_version
        for name in CONTENT_FIELDS:
            setattr(case_study, name, getattr(record, name))
        if not Partnership.objects.filter(pk=case_study.partnership_id).exists():
            case_study.partnership_id = None
        case_study.save()
        case_study.councils.set(
            Council.objects.filter(pk__in=record.councils.values("council_id"))
        )
        case_study.service_areas.set(
            ServiceArea.objects.filter(pk__in=record.service_areas.values("servicearea_id"))
        )
        _restore_parts(Outcome, case_study, record, OUTCOME_FIELDS, by)
        _restore_parts(Source, case_study, record, SOURCE_FIELDS, by)
        case_study.check_still_complete()


def _restore_parts(
    model: type[Outcome] | type[Source],
    case_study: CaseStudy,
    record: models.Model,
    fields: list[str],
    by: AbstractBaseUser,
) -> None:
    then = {
        part.pk: part
        for part in model.history.as_of(record.history_date).filter(case_study_id=record.id)
    }
    now = {part.pk: part for part in model.objects.filter(case_study=case_study)}
    for pk in now.keys() - then.keys():
        now[pk]._history_user = by
        now[pk].delete()
    for pk, old in sorted(then.items()):
        part = now.get(pk) or model(case_study=case_study)
        for name in fields:
            setattr(part, name, getattr(old, name))
        part._history_user = by
        part.save()
