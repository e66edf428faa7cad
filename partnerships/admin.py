from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from .models import Council, Membership, Organisation, OrganisationName, Partnership


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
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "gss_code", "council_type", "region", "nation", "ended_year"]
    list_filter = [FormerFilter, "council_type", "nation", "region"]
    search_fields = ["name", "gss_code", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["successors"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "gss_code", "council_type", "website"]}),
        ("Place", {"fields": ["nation", "region"]}),
        ("Former councils", {"fields": ["ended_year", "successors"]}),
    ]


class OrganisationNameInline(admin.TabularInline):
    model = OrganisationName
    extra = 0
    verbose_name = "former name"


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
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


class MembershipInline(admin.TabularInline):
    model = Membership
    autocomplete_fields = ["organisation"]
    extra = 1


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["name", "governance", "lead_council", "start_year", "end_year"]
    list_filter = ["governance"]
    list_select_related = ["lead_council"]
    search_fields = ["name", "slug", "lead_council__name", "organisations__name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["lead_council", "member_councils"]
    inlines = [MembershipInline]
