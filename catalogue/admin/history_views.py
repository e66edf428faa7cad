from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse

from .. import history, revisions, search
from ..models import CaseStudy, EditConflict, WorkflowError


class HistoryViews:
    """Every version of a case study, one version against another, and restoring one."""

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
            # Model-wide: restoring a published case study goes into its pending changes.
            "has_change_permission": self.has_change_permission(request),
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
        # Always shown from the older of the two to the newer, whichever was picked.
        other_label = "the current version" if against else "the published version"
        (older, older_label), (newer, newer_label) = sorted(
            [(other, other_label), (record, "this version")],
            key=lambda pair: (pair[0].history_date, pair[0].history_id),
        )
        context = {
            **self.history_context(request, case_study, f"Version of {history.when(record)}"),
            "record": record,
            "who": history.who(record),
            "other": other,
            "against": against,
            "published": published,
            "is_latest": record.history_id == latest.history_id,
            "older": older,
            "older_label": older_label,
            "newer": newer,
            "newer_label": newer_label,
            "changes": history.changes(history.contents(older), history.contents(newer)),
        }
        return TemplateResponse(request, "admin/catalogue/casestudy/version.html", context)

    def restore_view(self, request: HttpRequest, object_id: str, history_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case_study = self.viewable_case_study(request, object_id)
        if not self.has_change_permission(request):
            raise PermissionDenied
        record = get_object_or_404(case_study.history.all(), history_id=history_id)
        try:
            opened = int(request.POST.get("opened_version", ""))
        except ValueError:
            opened = None
        try:
            with search.indexing_deferred(), transaction.atomic():
                if case_study.is_published:
                    # Readers keep the published version: the restore goes to the pending
                    # revision, checked against the version the editor was looking at.
                    if opened is not None and opened != case_study.version:
                        raise EditConflict(str(case_study))
                    target = revisions.revision_to_edit(case_study, by=request.user)
                    opened = None
                else:
                    target = case_study
                history.restore(
                    case_study=target, record=record, by=request.user, opened_version=opened
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
        self.log_change(request, target, f"Restored the version of {history.when(record)}.")
        if target != case_study:
            self.message_user(
                request,
                f"Restored the version of {history.when(record)} (by {history.who(record)}) "
                f"into the pending changes of “{case_study}”. Readers still see the published "
                "version until a publisher publishes the changes.",
                messages.SUCCESS,
            )
            return redirect("admin:catalogue_casestudy_change", target.pk)
        self.message_user(
            request,
            f"Restored the version of {history.when(record)} (by {history.who(record)}). "
            f"The status is unchanged: {case_study.get_status_display().lower()}.",
            messages.SUCCESS,
        )
        return redirect("admin:catalogue_casestudy_change", case_study.pk)
