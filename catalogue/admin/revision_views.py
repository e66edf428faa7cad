from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from .. import revisions, search
from ..models import CaseStudy, Status, WorkflowError

# Form keys that carry no typing: the form's bookkeeping and its buttons.
BOOKKEEPING = {"csrfmiddlewaretoken", "opened_version", "status"}
FORMSET_BOOKKEEPING = {
    "TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS", "id", "case_study", "DELETE",
}  # fmt: skip


def typed_text(post: QueryDict) -> list[tuple[str, str]]:
    """What an editor typed into a change form, labelled, leaving out ids and bookkeeping."""
    rows = []
    for key in post:
        if (
            key in BOOKKEEPING
            or key.startswith("_")
            or key.rsplit("-", 1)[-1] in FORMSET_BOOKKEEPING
        ):
            continue
        values = [value for value in post.getlist(key) if value.strip() and not value.isdigit()]
        if not values:
            continue
        prefix, _, rest = key.partition("-")
        number, _, name = rest.partition("-")
        label = (
            f"{prefix.removesuffix('s').capitalize()} {int(number) + 1}: {name.replace('_', ' ')}"
            if number.isdigit()
            else key.replace("_", " ").capitalize()
        )
        rows.append((label, ", ".join(values)))
    return rows


class RevisionViews:
    """A published case study changes only through its pending revision (catalogue/revisions.py):
    start or open it, compare it with the published version, publish or discard it."""

    def published_meanwhile_view(self, request: HttpRequest, case_study: CaseStudy):
        """A save from a form opened before the case study was published: nothing is saved,
        and the editor's text is shown so that it can go into the pending changes."""
        context = {
            **self.history_context(request, case_study, "Published while you were editing"),
            "typed": typed_text(request.POST),
        }
        return TemplateResponse(
            request, "admin/catalogue/casestudy/published_meanwhile.html", context, status=409
        )

    def revise_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Open the published case study's pending revision, starting it if there is none."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case_study = self.viewable_case_study(request, object_id)
        if not request.user.has_perm("catalogue.change_casestudy"):
            raise PermissionDenied
        with search.indexing_deferred():
            revision = revisions.revision_to_edit(case_study, by=request.user)
        return redirect("admin:catalogue_casestudy_change", revision.pk)

    def revision_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The pending revision against the published version; publish or discard it."""
        revision = self.viewable_case_study(request, object_id)
        if not revision.is_pending_revision:
            return redirect("admin:catalogue_casestudy_change", revision.pk)
        if request.method == "POST":
            return self.act_on_revision(request, revision)
        context = {
            **self.history_context(request, revision, "Pending changes"),
            "live": revision.revision_of,
            "changes": revisions.changes(revision),
            "may_publish": request.user.has_perm("catalogue.publish_casestudy"),
        }
        return TemplateResponse(request, "admin/catalogue/casestudy/revision.html", context)

    def act_on_revision(self, request: HttpRequest, revision: CaseStudy) -> HttpResponse:
        live = revision.revision_of
        try:
            with search.indexing_deferred():
                if "publish" in request.POST:
                    with transaction.atomic():
                        if revision.status == Status.DRAFT:
                            revision.submit(by=request.user)
                        revision.publish(by=request.user)
                    done = f"Published the pending changes: readers now see them on “{live}”."
                elif "discard" in request.POST:
                    if not self.has_change_permission(request, revision):
                        raise PermissionDenied
                    revisions.discard_revision(revision, by=request.user)
                    done = f"Discarded the pending changes; “{live}” is as it was published."
                else:
                    return redirect("admin:catalogue_casestudy_revision", revision.pk)
        except WorkflowError as refusal:
            self.message_user(request, f"Nothing was published. {refusal}", messages.ERROR)
            return redirect("admin:catalogue_casestudy_revision", revision.pk)
        self.log_change(request, live, done)
        self.message_user(request, done, messages.SUCCESS)
        return redirect("admin:catalogue_casestudy_change", live.pk)
