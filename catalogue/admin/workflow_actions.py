from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .. import search
from ..models import WorkflowError

# Workflow actions are offered on the list (for many) and on the edit page (for one).
BOTH = [admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM]


class WorkflowActions:
    """Submit, publish, unpublish, archive and mark checked, for one case study or many."""

    actions = [
        "submit_selected",
        "publish_selected",
        "unpublish_selected",
        "archive_selected",
        "return_to_draft_selected",
        "mark_checked_selected",
    ]

    def has_submit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("catalogue.submit_casestudy")

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("catalogue.publish_casestudy")

    def has_unpublish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("catalogue.unpublish_casestudy")

    def has_archive_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("catalogue.archive_casestudy")

    def apply_to_each(
        self, request: HttpRequest, queryset: QuerySet, method: str, done: str
    ) -> HttpResponse | None:
        """Call a workflow method on each case study; report what happened and what was refused."""
        moved, published_into = 0, None
        with search.indexing_deferred():
            for case_study in queryset:
                try:
                    getattr(case_study, method)(by=request.user)
                except WorkflowError as refusal:
                    self.message_user(request, str(refusal), messages.ERROR)
                else:
                    moved += 1
                    published_into = getattr(case_study, "published_into", published_into)
        if moved:
            noun = "case study" if moved == 1 else "case studies"
            self.message_user(request, f"{done} {moved} {noun}.", messages.SUCCESS)
        if moved == 1 and published_into:
            # Its pending changes are gone into the published case study: show that one.
            return redirect("admin:catalogue_casestudy_change", published_into.pk)
        return None

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
        return self.apply_to_each(request, queryset, "publish", "Published")

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
