from django.contrib import admin
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from .models import (
    Council,
    Membership,
    Nation,
    Organisation,
    OrganisationName,
    Partnership,
    Region,
)
from .names import name_key
from .vocabulary import Vocabulary


def vocabulary_of(db_field: models.Field) -> type[Vocabulary] | None:
    """The vocabulary whose choices a model field offers, if any."""
    vocabularies = [Vocabulary]
    while vocabularies:
        vocabulary = vocabularies.pop()
        if vocabulary is not Vocabulary and list(vocabulary.choices) == db_field.choices:
            return vocabulary
        vocabularies.extend(vocabulary.__subclasses__())
    return None


class DefinedChoicesMixin:
    """Each vocabulary field's help lists what every choice means, beside the select (folded,
    as an outcome's three vocabularies repeat for every outcome).

    Nations and regions are left out: their definitions are ONS codes, not meanings."""

    def formfield_for_choice_field(self, db_field: models.Field, request: HttpRequest, **kwargs):
        vocabulary = vocabulary_of(db_field)
        if vocabulary and vocabulary not in (Nation, Region):
            kwargs["help_text"] = format_html(
                '<details class="definitions"><summary>What each {} means</summary>'
                "<dl>{}</dl></details>",
                db_field.verbose_name,
                format_html_join(
                    "",
                    "<dt>{}</dt><dd>{}</dd>",
                    ((member.label, member.definition) for member in vocabulary),
                ),
            )
        return super().formfield_for_choice_field(db_field, request, **kwargs)


def labelled_formset(formset: type, noun: str) -> type:
    """The formset, each row's inputs named for screen readers: "Title (source 2)". A tabular
    inline heads each column with a <th> that no input is tied to."""

    class LabelledFormSet(formset):
        def add_fields(self, form, index: int | None) -> None:
            super().add_fields(form, index)
            row = f"{noun} {index + 1}" if index is not None else f"new {noun}"
            for name, field in form.fields.items():
                if field.widget.is_hidden:  # nothing to read out; HTML forbids aria-* there
                    continue
                label = field.label or name.replace("_", " ").capitalize()
                field.widget.attrs.setdefault("aria-label", f"{label} ({row})")

    return LabelledFormSet


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose inputs have names (see labelled_formset)."""

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return labelled_formset(formset, self.model._meta.verbose_name)


class FormerFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "former"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("no", "Current"), ("yes", "Former")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(ended_year__isnull=False)
        if self.value() == "no":
            return queryset.filter(ended_year__isnull=True)
        return queryset


@admin.register(Council)
class CouncilAdmin(DefinedChoicesMixin, admin.ModelAdmin):
    list_display = ["name", "gss_code", "council_type", "region", "nation", "ended_year"]
    list_filter = [FormerFilter, "council_type", "nation", "region"]
    search_fields = ["name", "official_name", "aliases", "gss_code", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["successors"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "official_name",
                    "aliases",
                    "slug",
                    "gss_code",
                    "council_type",
                    "website",
                ]
            },
        ),
        ("Place", {"fields": ["nation", "region"]}),
        ("Former councils", {"fields": ["ended_year", "successors"]}),
    ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """Also find councils by any form of their names: "Powys County Council" finds
        Powys, "London Borough of Barnet" Barnet (as the autocomplete asks this too)."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        key = name_key(search_term)
        if key:
            found |= queryset.filter(name_keys__contains=key)
        return found, may_have_duplicates


class OrganisationNameInline(admin.TabularInline):
    model = OrganisationName
    extra = 0
    verbose_name = "former name"


@admin.register(Organisation)
class OrganisationAdmin(DefinedChoicesMixin, admin.ModelAdmin):
    list_display = ["name", "sector", "partnership_count"]
    list_filter = ["sector"]
    search_fields = ["name", "slug", "former_names__name"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "name_since", "sector", "website"]
    inlines = [OrganisationNameInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(partnership_count=Count("memberships"))

    @admin.display(description="partnerships", ordering="partnership_count")
    def partnership_count(self, organisation: Organisation) -> int:
        return organisation.partnership_count


class MembershipInline(LabelledTabularInline):
    model = Membership
    autocomplete_fields = ["organisation"]
    extra = 1


@admin.register(Partnership)
class PartnershipAdmin(DefinedChoicesMixin, admin.ModelAdmin):
    list_display = ["name", "governance", "lead_council", "start_year", "end_year"]
    list_filter = ["governance"]
    list_select_related = ["lead_council"]
    search_fields = ["name", "slug", "lead_council__name", "organisations__name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["lead_council", "member_councils"]
    inlines = [MembershipInline]
