"""What a browser posts from the case-study change form, for tests that go through the admin."""

from django.urls import reverse

from catalogue.models import CaseStudy
from partnerships.models import Membership

OUTCOME_FIELDS = ["kind", "evidence", "confidence", "description", "figure", "unit", "period"]
SOURCE_FIELDS = ["title", "publisher", "year", "url", "section"]


def change_url(case_study: CaseStudy) -> str:
    return reverse("admin:catalogue_casestudy_change", args=[case_study.pk])


def inline_data(prefix: str, objects: list, fields: list[str], parent: CaseStudy) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(objects)),
        f"{prefix}-INITIAL_FORMS": str(len(objects)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for n, obj in enumerate(objects):
        data[f"{prefix}-{n}-id"] = str(obj.pk)
        data[f"{prefix}-{n}-case_study"] = str(parent.pk)
        for field in fields:
            value = getattr(obj, field)
            data[f"{prefix}-{n}-{field}"] = "" if value is None else str(value)
    return data


def partner_data(case_study: CaseStudy) -> dict:
    """The partners inline (catalogue/admin/partners.py): the partnership's memberships."""
    memberships = list(
        Membership.objects.filter(partnership_id=case_study.partnership_id).select_related(
            "organisation"
        )
    )
    data = {
        "partners-TOTAL_FORMS": str(len(memberships)),
        "partners-INITIAL_FORMS": str(len(memberships)),
        "partners-MIN_NUM_FORMS": "0",
        "partners-MAX_NUM_FORMS": "1000",
    }
    for n, membership in enumerate(memberships):
        data[f"partners-{n}-id"] = str(membership.pk)
        data[f"partners-{n}-organisation_name"] = membership.organisation.name
        data[f"partners-{n}-sector"] = ""
        data[f"partners-{n}-role"] = membership.role
    return data


def case_study_form(case_study: CaseStudy, **changes) -> dict:
    """The change form as the editor opened it (at `case_study`'s state), plus `changes`."""
    data = {
        "title": case_study.title,
        "slug": case_study.slug,
        "summary": case_study.summary,
        "body": case_study.body,
        "response": case_study.response,
        "secondary_response": case_study.secondary_response,
        "service_areas": [str(pk) for pk in case_study.service_areas.values_list("pk", flat=True)],
        "start_year": "" if case_study.start_year is None else str(case_study.start_year),
        "councils": [str(pk) for pk in case_study.councils.values_list("pk", flat=True)],
        "partnership": case_study.partnership_id or "",
        "status": case_study.status,
        "opened_version": str(case_study.version),
        **inline_data("outcomes", list(case_study.outcomes.all()), OUTCOME_FIELDS, case_study),
        **inline_data("sources", list(case_study.sources.all()), SOURCE_FIELDS, case_study),
        **partner_data(case_study),
    }
    if case_study.from_transforming_together:
        data["from_transforming_together"] = "on"
    data.update(changes)
    return data
