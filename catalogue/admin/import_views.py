from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from .. import imports
from .forms import ImportConfirmForm, ImportUploadForm

IMPORT_TEMPLATE = "admin/catalogue/casestudy/import.html"


class ImportViews:
    """Upload a spreadsheet, see a dry run, confirm: the views over catalogue/imports.py."""

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload, a dry run listing each row's problems, then confirm (catalogue/imports.py)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import case studies from a spreadsheet",
            "columns": imports.COLUMNS,
            "sheets": imports.SHEETS,
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
                    request, f"Imported {filename}: {report.summary(done=True)}", messages.SUCCESS
                )
                return redirect(
                    reverse("admin:catalogue_casestudy_changelist") + "?status__exact=draft"
                )
            context["report"] = report
            context["report_summary"] = report.summary(done=False)
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
