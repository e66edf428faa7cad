"""Outcomes and sources, in the case study's form and on their own pages: a published case
study's parts change only through its pending revision (catalogue/revisions.py)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .. import history
from ..models import CaseStudy, Status


def is_published(case_study: CaseStudy | None) -> bool:
    return case_study is not None and case_study.status == Status.PUBLISHED


def through_revision(part: Model, case_study: CaseStudy) -> str:
    noun = part._meta.verbose_name
    return (
        f"This {noun} belongs to the published case study “{case_study}”, so it changes only "
        "through the case study’s pending changes, which a publisher reviews: open the case "
        "study and choose “Edit as pending changes”."
    )


class PartInline:
    """Read-only in a published case study's form; editable in its pending revision."""

    def has_add_permission(self, request: HttpRequest, obj: CaseStudy | None) -> bool:
        return not is_published(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: CaseStudy | None = None) -> bool:
        return not is_published(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: CaseStudy | None = None) -> bool:
        return not is_published(obj) and super().has_delete_permission(request, obj)


class PartForm(forms.ModelForm):
    def clean_case_study(self) -> CaseStudy:
        case_study = self.cleaned_data["case_study"]
        if is_published(case_study) and case_study.pk != self.instance.case_study_id:
            noun = self._meta.model._meta.verbose_name_plural
            raise ValidationError(
                f"“{case_study}” is published: add {noun} to it in its pending changes, which "
                "a publisher reviews (open the case study and choose “Edit as pending "
                "changes”)."
            )
        return case_study


class PartAdmin:
    """The Outcome and Source pages: no door round the pending revision, and every change
    is a new version of the case study (so an editor who opened it earlier sees a conflict)."""

    form = PartForm
    actions = ["delete_selected"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        published = obj is not None and is_published(obj.case_study)
        return not published and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        published = obj is not None and is_published(obj.case_study)
        return not published and super().has_delete_permission(request, obj)

    def change_view(self, request: HttpRequest, object_id: str, *args, **kwargs) -> HttpResponse:
        part = self.get_object(request, unquote(object_id))
        if part is not None and is_published(part.case_study) and request.method == "GET":
            self.message_user(request, through_revision(part, part.case_study), messages.INFO)
        return super().change_view(request, object_id, *args, **kwargs)

    def delete_view(self, request: HttpRequest, object_id: str, *args, **kwargs) -> HttpResponse:
        part = self.get_object(request, unquote(object_id))
        if part is not None and is_published(part.case_study):
            self.message_user(
                request,
                "Nothing was deleted. " + through_revision(part, part.case_study),
                messages.ERROR,
            )
            info = (self.opts.app_label, self.opts.model_name)
            return redirect(reverse("admin:{}_{}_change".format(*info), args=[part.pk]))
        return super().delete_view(request, object_id, *args, **kwargs)

    def save_model(self, request: HttpRequest, obj: Model, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "case_study" in form.changed_data:
            # Moved from another case study: that one changed too.
            previous = form.initial["case_study"]
            history.bump_version(previous)
            if case_study := CaseStudy.objects.filter(pk=previous).first():
                history.record_version(case_study, by=request.user, reason=f"Moved away: {obj}")

    @admin.action(permissions=["delete"], description="Delete selected %(verbose_name_plural)s")
    def delete_selected(self, request: HttpRequest, queryset: QuerySet):
        published = queryset.filter(case_study__status=Status.PUBLISHED).select_related(
            "case_study"
        )
        if part := published.first():
            self.message_user(
                request,
                "Nothing was deleted. " + through_revision(part, part.case_study),
                messages.ERROR,
            )
            return None
        return django_delete_selected(self, request, queryset)
