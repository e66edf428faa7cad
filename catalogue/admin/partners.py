"""Partners on the case study's own form: organisation, sector and role, one row each.

A partner is a Membership of the case study's partnership, and Membership has no key to the
case study, so Django's inlines cannot edit it directly. `PartnerInline` is a tabular inline
over the partnership's memberships: typing a new organisation's name (with its sector)
creates the organisation, and a case study without a partnership gets one, named after it,
with the governance form chosen above the rows. No pop-ups, nothing nested.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.checks import InlineModelAdminChecks
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from partnerships.admin import labelled_formset
from partnerships.lookup import name_key, unique_slugs
from partnerships.models import Governance, Membership, Organisation, Partnership, Sector

from ..models import CaseStudy


class PartnerForm(forms.ModelForm):
    organisation_name = forms.CharField(label="Organisation", max_length=200)
    sector = forms.ChoiceField(
        choices=[("", "(as recorded)"), *Sector.choices],
        required=False,
        help_text="Needed for a new organisation; an existing one keeps its sector.",
    )

    class Meta:
        model = Membership
        fields = ["organisation_name", "sector", "role"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("organisation_name", self.instance.organisation.name)

    def clean(self) -> dict:
        cleaned_data = super().clean()
        name = cleaned_data.get("organisation_name", "").strip()
        self.organisation = (
            Organisation.objects.filter(Q(name__iexact=name) | Q(slug=name_key(name))).first()
            if name
            else None
        )
        if name and self.organisation is None and not cleaned_data.get("sector"):
            self.add_error("sector", f"“{name}” is a new organisation: choose its sector.")
        return cleaned_data


class PartnerFormSet(forms.BaseModelFormSet):
    """The memberships of the case study's partnership, and the governance of a new one."""

    def __init__(self, *args, instance: CaseStudy, save_as_new: bool = False, **kwargs):
        self.instance = instance
        kwargs.pop("queryset", None)
        partnership_id = instance.partnership_id if instance.pk else None
        kwargs["queryset"] = Membership.objects.filter(
            partnership_id=partnership_id
        ).select_related("organisation")
        prefix = kwargs.get("prefix") or self.get_default_prefix()
        data = kwargs.get("data", args[0] if args else None)
        if data is not None and f"{prefix}-TOTAL_FORMS" not in data:
            # A form posted without this inline (written before it existed) leaves partners
            # alone rather than failing as a tampered management form.
            data = data.copy()
            data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
            kwargs["data"], args = data, args[1:]
        super().__init__(*args, **kwargs)
        self.governance = forms.ChoiceField(
            label="Governance of the new partnership",
            choices=[("", "---------"), *Governance.choices],
            required=False,
            help_text="This case study has no partnership yet; adding partners creates one, "
            "named after the case study.",
        )
        self.governance_field = forms.BoundField(
            forms.Form(self.data or None, prefix=self.prefix), self.governance, "governance"
        )

    @classmethod
    def get_default_prefix(cls) -> str:
        return "partners"

    def has_partnership(self) -> bool:
        return bool(self.instance.partnership_id)

    def clean(self) -> None:
        super().clean()
        adding = [
            form
            for form in self.forms
            if form.has_changed() and form not in self.deleted_forms and not form.instance.pk
        ]
        if adding and not self.has_partnership():
            value = self.data.get(f"{self.prefix}-governance", "")
            if value not in Governance.values:
                raise ValidationError(
                    "Choose the governance of the new partnership, or pick an existing "
                    "partnership above, before adding partners."
                )
        names = [
            name_key(name)
            for form in self.forms
            if form not in self.deleted_forms
            and (name := getattr(form, "cleaned_data", {}).get("organisation_name"))
        ]
        if len(names) != len(set(names)):
            raise ValidationError("An organisation is listed twice; list each partner once.")

    def save(self, commit: bool = True) -> list[Membership]:
        case_study = self.instance
        partnership = case_study.partnership
        # What the admin's change message reads, as a model formset keeps it.
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        for form in self.deleted_forms:
            if form.instance.pk:
                form.instance.delete()
                self.deleted_objects.append(form.instance)
        for form in self.forms:
            if not form.has_changed() or form in self.deleted_forms:
                continue
            membership = form.instance
            if membership.pk:
                self.changed_objects.append((membership, form.changed_data))
            else:
                if partnership is None:
                    partnership = self.new_partnership(case_study)
                membership.partnership = partnership
                self.new_objects.append(membership)
            membership.organisation = form.organisation or self.new_organisation(form)
            membership.role = form.cleaned_data.get("role", "")
            membership.save()
        return self.new_objects + [membership for membership, _ in self.changed_objects]

    def new_partnership(self, case_study: CaseStudy) -> Partnership:
        (slug,) = unique_slugs(Partnership, [case_study.title])
        partnership = Partnership.objects.create(
            name=case_study.title[:200],
            slug=slug,
            governance=self.data[f"{self.prefix}-governance"],
        )
        partnership.member_councils.set(case_study.councils.all())
        case_study.partnership = partnership
        case_study.save(update_fields=["partnership", "updated_at"])
        return partnership

    def new_organisation(self, form: PartnerForm) -> Organisation:
        name = form.cleaned_data["organisation_name"].strip()
        (slug,) = unique_slugs(Organisation, [name])
        return Organisation.objects.create(
            name=name, slug=slug, sector=form.cleaned_data["sector"]
        )


class PartnerInlineChecks(InlineModelAdminChecks):
    def _check_relation(self, obj, parent_model) -> list:
        return []  # through the partnership, not a foreign key: see the module's docstring

    def _check_exclude_of_parent_model(self, obj, parent_model) -> list:
        return []


class PartnerInline(admin.TabularInline):
    model = Membership
    checks_class = PartnerInlineChecks
    form = PartnerForm
    formset = PartnerFormSet
    extra = 1
    verbose_name = "partner"
    verbose_name_plural = "partners (organisations in the partnership, with their roles)"
    template = "admin/catalogue/casestudy/partners_inline.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return Membership.objects.select_related("organisation")

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        formset = forms.modelformset_factory(
            Membership,
            form=self.form,
            formset=self.formset,
            fields=["organisation_name", "sector", "role"],
            extra=self.get_extra(request, obj),
            can_delete=self.has_delete_permission(request, obj),
        )
        return labelled_formset(formset, "partner")
