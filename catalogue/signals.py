"""Keep what is derived from the catalogue in step with it: the full-text index (with everything a
case study's search text is made of), the catalogue's version and its log (for caches and facet
indexes), and the CSV export's stored lines."""

from django.core.exceptions import ValidationError
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from partnerships.models import Council, Membership, Organisation, OrganisationName, Partnership

from . import exports, pages, search
from .models import (
    CaseStudy,
    CatalogueVersion,
    Outcome,
    ServiceArea,
    Source,
    catalogue_changed,
)


@receiver(post_save, sender=CaseStudy)
def case_study_saved(sender, instance: CaseStudy, raw: bool = False, **kwargs) -> None:
    if not raw:
        search.index_case_studies([instance.pk])


@receiver(post_delete, sender=CaseStudy)
def case_study_deleted(sender, instance: CaseStudy, **kwargs) -> None:
    search.forget_case_studies([instance.pk])


@receiver(m2m_changed, sender=CaseStudy.councils.through)
@receiver(m2m_changed, sender=CaseStudy.service_areas.through)
def case_study_links_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not reverse:
        search.index_case_studies([instance.pk])
    elif action == "post_clear":
        pass  # a council or service area lost all its case studies; it is being deleted
    else:
        search.index_case_studies(pk_set or [])


@receiver(post_save, sender=Outcome)
@receiver(post_delete, sender=Outcome)
def outcome_changed(sender, instance: Outcome, raw: bool = False, **kwargs) -> None:
    if not raw:
        search.index_case_studies([instance.case_study_id])


@receiver(m2m_changed, sender=Outcome.sources.through)
def outcome_cites_its_own_sources(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    """An outcome can only cite the sources of its own case study, however they are linked."""
    if action != "pre_add" or not pk_set:
        return
    others = Outcome if reverse else Source
    if others.objects.filter(pk__in=pk_set).exclude(case_study_id=instance.case_study_id):
        raise ValidationError("An outcome can only cite sources of its own case study.")


@receiver(post_save, sender=Council)
def council_renamed(sender, instance: Council, created: bool, raw: bool = False, **kwargs) -> None:
    if not raw and not created:  # a new one is in no case study's text yet
        search.index_case_studies(instance.case_studies.values_list("pk", flat=True))


@receiver(post_save, sender=Organisation)
def organisation_renamed(
    sender, instance: Organisation, created: bool, raw: bool = False, **kwargs
) -> None:
    if not raw and not created:  # a new one is in no case study's text yet
        search.index_case_studies(
            CaseStudy.objects.filter(partnership__memberships__organisation=instance)
            .values_list("pk", flat=True)
            .distinct()
        )


@receiver(post_save, sender=OrganisationName)
@receiver(post_delete, sender=OrganisationName)
def former_name_changed(sender, instance: OrganisationName, raw: bool = False, **kwargs) -> None:
    if not raw:
        search.index_case_studies(
            CaseStudy.objects.filter(
                partnership__memberships__organisation_id=instance.organisation_id
            )
            .values_list("pk", flat=True)
            .distinct()
        )


@receiver(post_save, sender=Partnership)
def partnership_saved(
    sender, instance: Partnership, created: bool, raw: bool = False, **kwargs
) -> None:
    if not raw and not created:  # a new one is in no case study's text yet
        search.index_case_studies(instance.case_studies.values_list("pk", flat=True))


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def membership_changed(sender, instance: Membership, raw: bool = False, **kwargs) -> None:
    if not raw:
        search.index_case_studies(
            CaseStudy.objects.filter(partnership_id=instance.partnership_id).values_list(
                "pk", flat=True
            )
        )


# Anything the public catalogue shows changed: a new version, so caches and facet indexes
# everywhere stop using what they hold. The version's log names the case studies whose own data
# changed, so that each process's facet index can catch up on just those.
OTHER_MODELS = [
    ServiceArea, Council, Organisation, OrganisationName, Partnership, Membership,
]  # fmt: skip


def case_study_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        CatalogueVersion.bump([instance.pk])


def part_of_case_study_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        CatalogueVersion.bump([instance.case_study_id])


def something_else_changed(sender, raw: bool = False, **kwargs) -> None:
    if not raw:
        CatalogueVersion.bump()


def case_study_links_changed_version(
    sender, instance, action: str, reverse: bool, pk_set, **kwargs
) -> None:
    """A case study's councils or service areas (from either end of the link)."""
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not reverse:
        CatalogueVersion.bump([instance.pk])
    elif action == "post_clear":  # which case studies lost the link is not known
        CatalogueVersion.bump()
    else:
        CatalogueVersion.bump(pk_set or [])


def outcome_sources_changed(sender, instance, action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        CatalogueVersion.bump([instance.case_study_id])  # an outcome or a source: same case


@receiver(catalogue_changed)
def stored_renderings_out_of_date(sender, case_study_ids: set[int] | None, **kwargs) -> None:
    exports.lines_out_of_date(case_study_ids)
    pages.out_of_date(case_study_ids)


def other_links_changed(sender, action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        CatalogueVersion.bump()


post_save.connect(case_study_changed, sender=CaseStudy, dispatch_uid="version-save-case-study")
post_delete.connect(case_study_changed, sender=CaseStudy, dispatch_uid="version-del-case-study")
for model in [Outcome, Source]:
    post_save.connect(
        part_of_case_study_changed, sender=model, dispatch_uid=f"version-save-{model}"
    )
    post_delete.connect(
        part_of_case_study_changed, sender=model, dispatch_uid=f"version-del-{model}"
    )
for model in OTHER_MODELS:
    post_save.connect(something_else_changed, sender=model, dispatch_uid=f"version-save-{model}")
    post_delete.connect(something_else_changed, sender=model, dispatch_uid=f"version-del-{model}")
for through in [CaseStudy.councils.through, CaseStudy.service_areas.through]:
    m2m_changed.connect(
        case_study_links_changed_version, sender=through, dispatch_uid=f"version-m2m-{through}"
    )
m2m_changed.connect(
    outcome_sources_changed, sender=Outcome.sources.through, dispatch_uid="version-m2m-sources"
)
for through in [Partnership.member_councils.through, Council.successors.through]:
    m2m_changed.connect(other_links_changed, sender=through, dispatch_uid=f"version-m2m-{through}")
