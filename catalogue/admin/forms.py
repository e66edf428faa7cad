import base64
import binascii
from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError

from .. import history, imports
from ..models import CaseStudy, EditConflict, Status, WorkflowError


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
        label="File (.csv, .xlsx or the catalogue's .json export)",
        allow_empty_file=True,  # catalogue/imports.py says what is wrong with it
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.json"}),
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
