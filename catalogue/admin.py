from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from . import search
from .models import CaseStudy, Outcome, ServiceArea, Source, Status


class OutcomeInline(admin.StackedInline):
    model = Outcome
    extra = 0
    fields = [("kind", "evidence", "confidence"), "description", ("figure", "unit", "period")]


class SourceInline(admin.TabularInline):
    model = Source
    extra = 0
    fields = ["title", "publisher", "year", "url", "section"]


@admin.register(CaseStudy)
class CaseStudyAdmin(admin.ModelAdmin):
    list_display = ["title", "response", "status", "start_year", "partnership", "updated_at"]
    list_filter = [
        "status",
        "response",
        "from_transforming_together",
        "service_areas",
        "councils__council_type",
        "councils__nation",
    ]
    list_select_related = ["partnership"]
    search_fields = ["title", "slug", "summary", "councils__name", "partnership__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["councils", "service_areas", "partnership"]
    readonly_fields = ["published_at", "created_at", "updated_at"]
    date_hierarchy = "published_at"
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body"]}),
        (
            "Classification",
            {
                "fields": [
                    ("response", "secondary_response"),
                    "service_areas",
                    "start_year",
                    "from_transforming_together",
                ]
            },
        ),
        ("Who was involved", {"fields": ["councils", "partnership"]}),
        ("Publication", {"fields": ["status", "published_at", "created_at", "updated_at"]}),
    ]
    inlines = [OutcomeInline, SourceInline]
    actions = ["publish_selected", "unpublish_selected"]

    def changeform_view(self, request: HttpRequest, *args, **kwargs):
        # One search-index rebuild per save, not one per inline row.
        with search.indexing_deferred():
            return super().changeform_view(request, *args, **kwargs)

    @admin.action(description="Publish selected case studies")
    def publish_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        case_studies = list(queryset.exclude(status=Status.PUBLISHED))
        for case_study in case_studies:
            case_study.publish()
        self.message_user(
            request, f"Published {len(case_studies)} case studies.", messages.SUCCESS
        )

    @admin.action(description="Unpublish selected case studies (back to draft)")
    def unpublish_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        case_studies = list(queryset.filter(status=Status.PUBLISHED))
        for case_study in case_studies:
            case_study.unpublish()
        self.message_user(
            request, f"Unpublished {len(case_studies)} case studies.", messages.SUCCESS
        )


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Outcome)
class OutcomeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "case_study", "kind", "figure", "unit", "evidence", "confidence"]
    list_filter = ["kind", "evidence", "confidence"]
    list_select_related = ["case_study"]
    search_fields = ["description", "case_study__title"]
    autocomplete_fields = ["case_study"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "publisher", "year", "case_study"]
    list_filter = ["year"]
    list_select_related = ["case_study"]
    search_fields = ["title", "publisher", "url", "case_study__title"]
    autocomplete_fields = ["case_study"]
