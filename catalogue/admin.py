import base64
import binascii
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from . import history, imports, search
from .models import (
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
from .templatetags.catalogue import markdown

# Workflow actions are offered on the list (for many) and on the edit page (for one).
BOTH = [admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM]


class OutcomeInline(admin.StackedInline):
    model = Outcome
    extra = 0
    fields = [("kind", "evidence", "confidence"), "description", ("figure", "unit", "period")]


class SourceInline(admin.TabularInline):
    model = Source
    extra = 0
    fields = ["title", "publisher", "year", "url", "section"]


class CaseStudyAdminForm(forms.ModelForm):
    """The change form, with the workflow's rules on `status` and the version it was read at."""

    # The version the editor opened; a save from an older version is refused (no lost edits).
    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Set per request by CaseStudyAdmin.get_form.
    user = None
    refusal: Exception | None = None
    conflict: dict | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.current_status = self.instance.status or Status.DRAFT
        if "status" in self.fields:
            # Offer only the moves this person may make; the rest is refused in clean_status.
            allowed = [Status(self.current_status), *self.instance.next_statuses(self.user)]
            self.fields["status"].widget.choices = [(s.value, s.label) for s in allowed]
            self.fields["status"].help_text = (
                "To submit for review, publish, unpublish or archive, choose the new status "
                "and save. Publishing needs everything on the checklist."
            )
        if not self.is_bound:
            self.fields["opened_version"].initial = self.instance.version

    def clean_status(self) -> str:
        target = self.cleaned_data["status"]
        if target != self.current_status:
            try:
                self.instance.check_transition(target, by=self.user)
            except WorkflowError as refusal:
                raise ValidationError(str(refusal)) from refusal
        return target

    def clean(self) -> dict:
        cleaned_data = super().clean()
        if isinstance(self.refusal, WorkflowError):
            self.add_error("status" if "status" in self.fields else None, str(self.refusal))
        if self.instance.pk:
            self.check_version(cleaned_data.get("opened_version"))
        return cleaned_data

    def check_version(self, opened: int | None) -> None:
        current = (
            CaseStudy.objects.filter(pk=self.instance.pk).values_list("version", flat=True).get()
        )
        if opened == current and not isinstance(self.refusal, EditConflict):
            return
        theirs, latest = history.changes_since(self.instance, opened)
        self.conflict = {
            "changes": theirs,
            "who": history.who(latest) if latest else "someone",
            "when": history.when(latest) if latest else "",
        }
        # The next save is a deliberate one, made after seeing the other editor's changes.
        self.data = self.data.copy()
        self.data[self.add_prefix("opened_version")] = str(current)
        raise ValidationError(
            "Someone else saved this case study after you opened it, so your changes have "
            "not been saved. Everything you typed is still in the form below. Compare it "
            "with their changes, merge the two, and save again.",
            code="edit_conflict",
        )


IMPORT_TEMPLATE = "admin/catalogue/casestudy/import.html"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet (.csv or .xlsx)",
        allow_empty_file=True,  # catalogue/imports.py says what is wrong with it
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise ValidationError(
                f"The file is larger than {imports.MAX_BYTES // 1024} KB; split it up."
            )
        return upload

    def content_and_name(self) -> tuple[bytes, str]:
        upload = self.cleaned_data["file"]
        return upload.read(), Path(upload.name).name


class ImportConfirmForm(forms.Form):
    """The checked file, carried in the page so that any server can finish the import."""

    content = forms.CharField(widget=forms.HiddenInput)
    filename = forms.CharField(widget=forms.HiddenInput, max_length=255)

    @classmethod
    def for_file(cls, content: bytes, filename: str) -> "ImportConfirmForm":
        encoded = base64.b64encode(content).decode("ascii")
        return cls(initial={"content": encoded, "filename": filename})

    def clean_content(self) -> bytes:
        try:
            return base64.b64decode(self.cleaned_data["content"], validate=True)
        except (binascii.Error, ValueError) as error:
            raise ValidationError("The checked file was damaged; upload it again.") from error

    def content_and_name(self) -> tuple[bytes, str]:
        return self.cleaned_data["content"], Path(self.cleaned_data["filename"]).name


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
class CaseStudyAdmin(admin.ModelAdmin):
    form = CaseStudyAdminForm
    list_display = [
        "title",
        "response",
        "status",
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
    list_select_related = ["partnership"]
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
                    "start_year",
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
    inlines = [OutcomeInline, SourceInline]
    actions = [
        "submit_selected",
        "publish_selected",
        "unpublish_selected",
        "archive_selected",
        "return_to_draft_selected",
        "mark_checked_selected",
    ]

    # -- the change form ---------------------------------------------------------------------

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # A fresh class per request, so these are this request's alone.
        form.user = request.user
        form.refusal = getattr(request, "refused_save", None)
        return form

    def changeform_view(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
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
            reason.append(TRANSITIONS[(form.current_status, target)].done)
        case_study.check_still_complete()
        if "_mark_checked" in request.POST:
            case_study.mark_checked(by=request.user)
            reason.append("checked against its sources")
        history.record_version(
            case_study, by=request.user, reason=join_words(reason), created=not change
        )

    # -- history ---------------------------------------------------------------------------

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
            path("import/", view(self.import_view), name=f"{name}_import"),
            path(
                "import/template.csv",
                view(self.import_template_view),
                name=f"{name}_import_template",
            ),
            *super().get_urls(),
        ]

    def viewable_case_study(self, request: HttpRequest, object_id: str) -> CaseStudy:
        case_study = self.get_object(request, unquote(object_id))
        if case_study is None:
            raise Http404("No such case study.")
        if not self.has_view_or_change_permission(request, case_study):
            raise PermissionDenied
        return case_study

    def history_context(self, request: HttpRequest, case_study: CaseStudy, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": case_study,
            "title": title,
            "subtitle": str(case_study),
            "has_change_permission": self.has_change_permission(request, case_study),
        }

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        """Every version: when, who, what happened, and what changed."""
        case_study = self.viewable_case_study(request, object_id)
        published = history.published_version(case_study)
        context = {
            **self.history_context(request, case_study, "History"),
            "rows": history.timeline(case_study),
            "published": published,
        }
        return TemplateResponse(request, "admin/catalogue/casestudy/history.html", context)

    def version_view(self, request: HttpRequest, object_id: str, history_id: int):
        """One version beside the published one (or the current one), field by field."""
        case_study = self.viewable_case_study(request, object_id)
        record = get_object_or_404(case_study.history.all(), history_id=history_id)
        latest = history.versions(case_study).first()
        published = history.published_version(case_study)
        against = "current" if request.GET.get("against") == "current" or not published else ""
        other = latest if against else published
        context = {
            **self.history_context(request, case_study, f"Version of {history.when(record)}"),
            "record": record,
            "who": history.who(record),
            "other": other,
            "against": against,
            "published": published,
            "is_latest": record.history_id == latest.history_id,
            "changes": history.changes(history.contents(other), history.contents(record)),
        }
        return TemplateResponse(request, "admin/catalogue/casestudy/version.html", context)

    def restore_view(self, request: HttpRequest, object_id: str, history_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case_study = self.viewable_case_study(request, object_id)
        if not self.has_change_permission(request, case_study):
            raise PermissionDenied
        record = get_object_or_404(case_study.history.all(), history_id=history_id)
        try:
            opened = int(request.POST.get("opened_version", ""))
        except ValueError:
            opened = None
        try:
            with search.indexing_deferred():
                history.restore(
                    case_study=case_study, record=record, by=request.user, opened_version=opened
                )
        except EditConflict:
            self.message_user(
                request,
                "Someone else saved this case study while you were looking at its history, so "
                "nothing was restored. Look at the history again before restoring.",
                messages.ERROR,
            )
            return redirect("admin:catalogue_casestudy_history", case_study.pk)
        except WorkflowError as refusal:
            self.message_user(request, f"Nothing was restored. {refusal}", messages.ERROR)
            return redirect("admin:catalogue_casestudy_version", case_study.pk, history_id)
        self.log_change(request, case_study, f"Restored the version of {history.when(record)}.")
        self.message_user(
            request,
            f"Restored the version of {history.when(record)} (by {history.who(record)}). "
            f"The status is unchanged: {case_study.get_status_display().lower()}.",
            messages.SUCCESS,
        )
        return redirect("admin:catalogue_casestudy_change", case_study.pk)

    # -- bulk import -----------------------------------------------------------------------

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload, a dry run listing each row's problems, then confirm (catalogue/imports.py)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import case studies from a spreadsheet",
            "columns": imports.COLUMNS,
            "upload_form": ImportUploadForm(),
        }
        status = 200
        if request.method == "POST":
            if "confirm" in request.POST:
                form = ImportConfirmForm(request.POST)
                dry_run = False
            else:
                form = ImportUploadForm(request.POST, request.FILES)
                context["upload_form"] = form
                dry_run = True
            if not form.is_valid():
                context["file_error"] = " ".join(
                    error for errors in form.errors.values() for error in errors
                )
                return TemplateResponse(request, IMPORT_TEMPLATE, context, status=400)
            content, filename = form.content_and_name()
            context["filename"] = filename
            try:
                report = imports.import_case_studies(
                    content=content, filename=filename, dry_run=dry_run, by=request.user
                )
            except imports.ImportFileError as error:
                context["file_error"] = str(error)
                return TemplateResponse(request, IMPORT_TEMPLATE, context, status=400)
            if report.imported:
                self.message_user(
                    request,
                    f"Imported {len(report.new)} case studies from {filename} as drafts; "
                    f"{len(report.unchanged)} already in the catalogue were left unchanged.",
                    messages.SUCCESS,
                )
                return redirect(
                    reverse("admin:catalogue_casestudy_changelist") + "?status__exact=draft"
                )
            context["report"] = report
            context["confirm_form"] = ImportConfirmForm.for_file(content, filename)
            status = 200 if report.ok else 400
        return TemplateResponse(request, IMPORT_TEMPLATE, context, status=status)

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        response = HttpResponse(
            imports.TEMPLATE.read_bytes(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="import-template.csv"'
        return response

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

    # -- workflow actions --------------------------------------------------------------------

    def has_submit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("catalogue.submit_casestudy")

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("catalogue.publish_casestudy")

    def has_unpublish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("catalogue.unpublish_casestudy")

    def has_archive_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("catalogue.archive_casestudy")

    def apply_to_each(self, request: HttpRequest, queryset: QuerySet, method: str, done: str):
        """Call a workflow method on each case study; report what happened and what was refused."""
        moved = 0
        with search.indexing_deferred():
            for case_study in queryset:
                try:
                    getattr(case_study, method)(by=request.user)
                except WorkflowError as refusal:
                    self.message_user(request, str(refusal), messages.ERROR)
                else:
                    moved += 1
        if moved:
            noun = "case study" if moved == 1 else "case studies"
            self.message_user(request, f"{done} {moved} {noun}.", messages.SUCCESS)

    @admin.action(
        description="Submit for review",
        description_plural="Submit selected case studies for review",
        permissions=["submit"],
        location=BOTH,
    )
    def submit_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.apply_to_each(request, queryset, "submit", "Submitted for review:")

    @admin.action(
        description="Publish",
        description_plural="Publish selected case studies",
        permissions=["publish"],
        location=BOTH,
    )
    def publish_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.apply_to_each(request, queryset, "publish", "Published")

    @admin.action(
        description="Unpublish (back to draft)",
        description_plural="Unpublish selected case studies (back to draft)",
        permissions=["unpublish"],
        location=BOTH,
    )
    def unpublish_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.apply_to_each(request, queryset, "unpublish", "Unpublished")

    @admin.action(
        description="Archive",
        description_plural="Archive selected case studies",
        permissions=["archive"],
        location=BOTH,
    )
    def archive_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.apply_to_each(request, queryset, "archive", "Archived")

    @admin.action(
        description="Return to draft (from review or the archive)",
        description_plural="Return selected case studies to draft (from review or the archive)",
        permissions=["submit"],
        location=BOTH,
    )
    def return_to_draft_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.apply_to_each(request, queryset, "return_to_draft", "Returned to draft:")

    @admin.action(
        description="Mark as checked against its sources today",
        description_plural="Mark selected case studies as checked against their sources today",
        permissions=["change"],
        location=BOTH,
    )
    def mark_checked_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.apply_to_each(request, queryset, "mark_checked", "Marked as checked today:")


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
