"""Pending revisions: changes to a published case study wait for a publisher, as in Wagtail.

A published case study is never edited in place. Its pending changes live in a hidden draft
copy (`revision_of` points to the published row), edited with the same change form, outcomes
and sources as any draft. It is never public, because it is not published. A publisher
compares it with the published version and publishes it: its content, many-to-many links,
outcomes and sources replace the published row's in one transaction, recorded as one version,
and the copy goes. Or someone discards it.

Fields and relations are found through `_meta`, so a field added to the case study, or a new
kind of part pointing to it, is carried without changing this module.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, models, transaction

from . import history
from .models import CaseStudy, Status, WorkflowError, join_words

# A case study's life rather than its content: the published row keeps its own.
LIFE_FIELDS = {
    "id",
    "slug",
    "status",
    "published_at",
    "created_at",
    "updated_at",
    "last_checked",
    "version",
    "search_vector",
    "revision_of",
}


def content_fields() -> list[models.Field]:
    return [field for field in CaseStudy._meta.concrete_fields if field.name not in LIFE_FIELDS]


def part_relations() -> list[models.ManyToOneRel]:
    """Outcomes, sources and any other rows that belong to one case study."""
    return [
        relation
        for relation in CaseStudy._meta.related_objects
        if relation.one_to_many and relation.on_delete is models.CASCADE
    ]


def pending_revision(case_study: CaseStudy) -> CaseStudy | None:
    return CaseStudy.objects.filter(revision_of=case_study).first()


def revision_slug(case_study: CaseStudy) -> str:
    # The admin's slug field never writes a leading underscore, so no real slug takes it.
    return f"_revision-of-{case_study.pk}"


def revision_to_edit(case_study: CaseStudy, *, by: AbstractBaseUser | None) -> CaseStudy:
    """The row an edit of `case_study` must change: itself unless it is published, else its
    pending revision, started as a copy of the published version if there is none yet.

    Every way of changing a case study (the change form, a restore, the import) goes here, so
    nothing reaches a published page without a publisher."""
    if not case_study.is_published:
        return case_study
    if existing := pending_revision(case_study):
        return existing
    try:
        with transaction.atomic():
            return _start_revision(case_study, by=by)
    except IntegrityError:  # someone else started it at the same moment: use theirs
        return CaseStudy.objects.get(revision_of=case_study)


def _start_revision(live: CaseStudy, *, by: AbstractBaseUser | None) -> CaseStudy:
    revision = CaseStudy(revision_of=live, slug=revision_slug(live), status=Status.DRAFT)
    with history.one_version(
        revision, by=by, reason="Pending revision started from the published version", created=True
    ):
        _copy_content(live, revision)
        revision.save()
        _copy_links(live, revision)
        copies: dict[tuple[type[models.Model], int], models.Model] = {}
        links = []
        for relation in part_relations():
            for part in relation.related_model.objects.filter(**{relation.field.name: live}):
                original_pk = part.pk
                linked = {
                    field.name: list(getattr(part, field.name).values_list("pk", flat=True))
                    for field in part._meta.many_to_many
                }
                part.pk, part._state.adding = None, True
                setattr(part, relation.field.name, revision)
                part.save()
                copies[(type(part), original_pk)] = part
                links.append((part, linked))
        # A part linked to another part of the case study (an outcome to the source behind
        # it) is linked to that part's copy.
        for part, linked in links:
            for name, pks in linked.items():
                target = part._meta.get_field(name).related_model
                getattr(part, name).set(
                    [copies[(target, pk)].pk if (target, pk) in copies else pk for pk in pks]
                )
    return revision


def _copy_content(source: CaseStudy, target: CaseStudy) -> None:
    for field in content_fields():
        setattr(target, field.attname, getattr(source, field.attname))


def _copy_links(source: CaseStudy, target: CaseStudy) -> None:
    for field in CaseStudy._meta.many_to_many:
        getattr(target, field.name).set(getattr(source, field.name).all())


def publish_revision(revision: CaseStudy, *, by: AbstractBaseUser) -> CaseStudy:
    """Make the pending revision the published content of its case study, and remove it.

    Called by `CaseStudy.move_to` once the workflow's checks have passed."""
    with transaction.atomic():
        live = CaseStudy.objects.select_for_update().get(pk=revision.revision_of_id)
        editors = [
            *dict.fromkeys(history.who(record) for record in history.versions(revision)[:50])
        ]
        reason = f"Published pending changes made by {join_words(editors)}"
        with history.one_version(live, by=by, reason=reason):
            _copy_content(revision, live)
            live.save()
            _copy_links(revision, live)
            for relation in part_relations():
                related = relation.related_model.objects
                related.filter(**{relation.field.name: live}).delete()
                for part in related.filter(**{relation.field.name: revision}):
                    setattr(part, relation.field.name, live)
                    part.save()
            revision.delete()
            live.check_still_complete()
    revision.published_into = live
    return live


def discard_revision(revision: CaseStudy, *, by: AbstractBaseUser) -> CaseStudy:
    if not revision.is_pending_revision:
        raise WorkflowError(f"“{revision}” is not a pending revision, so it cannot be discarded.")
    if not by.has_perm("catalogue.change_casestudy"):
        raise WorkflowError("You may not discard pending revisions: that needs an editor.")
    live = revision.revision_of
    revision.delete()
    return live


def changes(revision: CaseStudy) -> list[history.Change]:
    """What publishing the revision would change on the public page, field by field."""
    published = history.versions(revision.revision_of).first()
    pending = history.versions(revision).first()
    if published is None or pending is None:
        return []
    return history.changes(history.contents(published), history.contents(pending))
