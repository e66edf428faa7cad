from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from partnerships.admin import DefinedChoicesMixin, LabelledTabularInline

from .. import history, revisions, search
from ..models import (
    CHECK_INTERVAL_MONTHS,
    TRANSITIONS,
    CaseStudy,
    EditConflict,
    Outcome,
    ServiceArea,
    Source,
    Status,
    WorkflowError,
    join_words,
    months_before,
)
from ..templatetags.catalogue import markdown
from .forms import CaseStudyAdminForm
from .history_views import HistoryViews
from .import_views import ImportViews
from .partners import PartnerInline
from .parts import PartAdmin, PartForm, PartInline
from .revision_views import RevisionViews
from .workflow_actions import WorkflowActions


class OutcomeInline(PartInline, DefinedChoicesMixin, admin.StackedInline):
    model = Outcome
    extra = 0
    fields = [
        ("kind", "evidence", "confidence"),
        "description",
        ("figure", "unit", "period"),
        "sources",
    ]

    def get_formset(self, request: HttpRequest, obj: CaseStudy | None = None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # Only this case study's sources (saved ones: a new source can be cited once saved).
        field = formset.form.base_fields["sources"]
        field.queryset = Source.objects.filter(case_study=obj) if obj else Source.objects.none()
        field.help_text = "The sources listed below that support it, once they are saved."
        return formset


class SourceInline(PartInline, LabelledTabularInline):
    model = Source
    extra = 0
    fields = ["title", "publisher", "year", "url", "copy_url", "section"]


class LastCheckedFilter(admin.SimpleListFilter):
    title = "last checked"
    parameter_name = "checked"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [
            ("due", f"Not checked for {CHECK_INTERVAL_MONTHS} months (or never)"),
            ("recent", f"Checked in the last {CHECK_INTERVAL_MONTHS} months"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        due = months_before(timezone.localdate(), CHECK_INTERVAL_MONTHS)
        if self.value() == "due":
            return queryset.not_checked_since(due)
        if self.value() == "recent":
            return queryset.filter(last_checked__gte=due)
        return queryset


@admin.register(CaseStudy)
class CaseStudyAdmin(
    DefinedChoicesMixin,
    WorkflowActions,
    HistoryViews,
    RevisionViews,
    ImportViews,
    admin.ModelAdmin,
):
    form = CaseStudyAdminForm
    list_display = [
        "title",
        "response",
        "status",
        "pending_changes",
        "start_year",
        "partnership",
        "updated_at",
        "last_checked",
    ]
    list_filter = [
        "status",
        LastCheckedFilter,
        "response",
        "from_transforming_together",
        "service_areas",
        "councils__council_type",
        "councils__nation",
    ]
    list_select_related = ["partnership", "revision_of", "pending_revision"]
    # Newest first, drafts included (the model's order puts unpublished ones last on SQLite).
    ordering = ["-created_at"]
    search_fields = ["title", "slug", "summary", "councils__name", "partnership__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["councils", "service_areas", "partnership"]
    readonly_fields = [
        "body_preview",
        "publication_checklist",
        "published_at",
        "created_at",
        "updated_at",
        "last_checked",
    ]
    date_hierarchy = "published_at"
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body"]}),
        (
            "Preview of the body (as last saved)",
            {"fields": ["body_preview"], "classes": ["collapse"]},
        ),
        (
            "Classification",
            {
                "fields": [
                    ("response", "secondary_response"),
                    "service_areas",
                    ("start_year", "start_year_estimated"),
                    "confidence",
                    "from_transforming_together",
                ]
            },
        ),
        ("Who was involved", {"fields": ["councils", "partnership"]}),
        (
            "Publication",
            {
                "fields": [
                    "status",
                    "publication_checklist",
                    "published_at",
                    "created_at",
                    "updated_at",
                    "last_checked",
                ]
            },
        ),
    ]
    inlines = [OutcomeInline, SourceInline, PartnerInline]

    # -- the change form ---------------------------------------------------------------------

    def has_change_permission(self, request: HttpRequest, obj: CaseStudy | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None and obj.is_published:
            # Only its status changes here, for those who may move it (publishers); its
            # content changes through its pending changes.
            return bool(obj.next_statuses(request.user))
        return allowed

    def get_readonly_fields(self, request: HttpRequest, obj: CaseStudy | None = None) -> list:
        fields = [*super().get_readonly_fields(request, obj)]
        if obj is not None and obj.is_published:
            # Readers' version: its content changes only through its pending revision
            # (revision_views.py); a publisher may still change its status here.
            form_fields = flatten_fieldsets(self.get_fieldsets(request, obj))
            return [*fields, *(f for f in form_fields if f not in fields and f != "status")]
        if obj is not None and obj.is_pending_revision:
            return [*fields, "slug"]  # the published case study keeps its address
        return fields

    def get_prepopulated_fields(self, request: HttpRequest, obj: CaseStudy | None = None):
        if obj is not None and (obj.is_published or obj.is_pending_revision):
            return {}
        return super().get_prepopulated_fields(request, obj)

    def render_change_form(self, request: HttpRequest, context: dict, *args, obj=None, **kwargs):
        if obj is not None:
            context["revision_of"] = obj.revision_of if obj.is_pending_revision else None
            context["pending_revision"] = (
                revisions.pending_revision(obj) if obj.is_published else None
            )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # A fresh class per request, so these are this request's alone.
        form.user = request.user
        form.refusal = getattr(request, "refused_save", None)
        return form

    def changeform_view(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        object_id = kwargs.get("object_id", args[0] if args else None)
        # The read-only form of a published case study posts no title: this one was opened
        # before it was published, and its text must not be lost.
        if request.method == "POST" and object_id and "title" in request.POST:
            case_study = self.viewable_case_study(request, object_id)
            if case_study.is_published:
                return self.published_meanwhile_view(request, case_study)
        # One search-index rebuild and one version per save, not one per inline row.
        with search.indexing_deferred(), history.versions_recorded_by_caller():
            try:
                return super().changeform_view(request, *args, **kwargs)
            except (WorkflowError, EditConflict) as refusal:
                # The whole save was rolled back. Show the form again with everything the
                # editor typed, and the reason, by running the view once more: its form
                # now refuses to validate.
                request.refused_save = refusal
                return super().changeform_view(request, *args, **kwargs)

    def save_model(self, request: HttpRequest, obj: CaseStudy, form, change: bool) -> None:
        # The status changes only through the workflow, after outcomes and sources are saved.
        obj.status = form.current_status
        if change:
            obj.version = form.cleaned_data["opened_version"]
        history.hold_version(obj)
        obj.save()

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        case_study = form.instance
        reason = ["Edited" if change else "Created"]
        target = form.cleaned_data.get("status", form.current_status)
        if target != form.current_status:
            case_study.move_to(target, by=request.user)
            if hasattr(case_study, "published_into"):
                return  # a pending revision, now the published case study's content
            reason.append(TRANSITIONS[(form.current_status, target)].done)
        case_study.check_still_complete()
        if "_mark_checked" in request.POST:
            case_study.mark_checked(by=request.user)
            reason.append("checked against its sources")
        history.record_version(
            case_study, by=request.user, reason=join_words(reason), created=not change
        )
        if target != form.current_status:
            before, after = Status(form.current_status).label, Status(target).label
            self.message_user(request, f"Moved from {before.lower()} to {after.lower()}.")

    def response_change(self, request: HttpRequest, obj: CaseStudy) -> HttpResponse:
        if live := getattr(obj, "published_into", None):
            self.message_user(
                request,
                f"Published the pending changes: readers now see them on “{live}”.",
                messages.SUCCESS,
            )
            return redirect("admin:catalogue_casestudy_change", live.pk)
        if obj.is_pending_revision:
            self.message_user(
                request,
                f"Saved in the pending changes of “{obj.revision_of}”. Readers still see the "
                "published version until a publisher publishes these changes.",
            )
        return super().response_change(request, obj)

    # -- extra views (history_views.py, import_views.py) -----------------------------------

    def get_urls(self) -> list:
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/history/<int:history_id>/",
                view(self.version_view),
                name=f"{name}_version",
            ),
            path(
                "<path:object_id>/history/<int:history_id>/restore/",
                view(self.restore_view),
                name=f"{name}_restore",
            ),
            path("<path:object_id>/revise/", view(self.revise_view), name=f"{name}_revise"),
            path("<path:object_id>/revision/", view(self.revision_view), name=f"{name}_revision"),
            path("import/", view(self.import_view), name=f"{name}_import"),
            path(
                "import/template.csv",
                view(self.import_template_view),
                name=f"{name}_import_template",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="Pending changes")
    def pending_changes(self, case_study: CaseStudy) -> str:
        if case_study.is_pending_revision:
            return f"Pending changes to “{case_study.revision_of}”"
        if hasattr(case_study, "pending_revision"):  # loaded by list_select_related
            return "Has pending changes"
        return ""

    @admin.display(description="Preview")
    def body_preview(self, case_study: CaseStudy) -> str:
        if not case_study.body:
            return "No body yet."
        return format_html('<div class="prose">{}</div>', markdown(case_study.body))

    @admin.display(description="Ready to publish")
    def publication_checklist(self, case_study: CaseStudy) -> str:
        if case_study.pk is None:
            return "Save the case study first; this then lists what publishing needs."
        checklist = case_study.publication_checklist()
        missing = [item for item, done in checklist if not done]
        summary = (
            "Everything publishing needs is there."
            if not missing
            else "Still needed before publishing: " + "; ".join(missing) + "."
        )
        items = format_html_join(
            "",
            "<li>{}: {}</li>",
            ((("Done" if done else "Missing"), item) for item, done in checklist),
        )
        return format_html("<p>{}</p><ul>{}</ul>", summary, items)


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class OutcomeAdminForm(PartForm):
    def clean(self) -> dict:
        cleaned = super().clean()
        case_study, sources = cleaned.get("case_study"), cleaned.get("sources") or []
        if case_study and any(source.case_study_id != case_study.pk for source in sources):
            self.add_error("sources", "Choose only sources of the outcome's own case study.")
        return cleaned


@admin.register(Outcome)
class OutcomeAdmin(PartAdmin, DefinedChoicesMixin, admin.ModelAdmin):
    form = OutcomeAdminForm
    list_display = ["__str__", "case_study", "kind", "figure", "unit", "evidence", "confidence"]
    list_filter = ["kind", "evidence", "confidence"]
    list_select_related = ["case_study"]
    search_fields = ["description", "case_study__title"]
    autocomplete_fields = ["case_study", "sources"]


@admin.register(Source)
class SourceAdmin(PartAdmin, admin.ModelAdmin):
    list_display = ["title", "publisher", "year", "case_study"]
    list_filter = ["year"]
    list_select_related = ["case_study"]
    search_fields = ["title", "publisher", "url", "copy_url", "case_study__title"]
    autocomplete_fields = ["case_study"]
