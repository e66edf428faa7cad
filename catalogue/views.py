from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils.cache import patch_cache_control

from partnerships.models import Council, Membership, Organisation, Partnership

from . import search
from .caching import cached_public_page
from .facets import current_index, related_ids
from .filters import FACETS, SORT_CHOICES, CaseStudyFilter, describe
from .insights import CHARTS, chart_rows, charts, csv_lines
from .models import CaseStudy, ResponseType, ServiceArea

PAGE_SIZE = 20


@cached_public_page
def home(request: HttpRequest) -> HttpResponse:
    published = CaseStudy.objects.published()
    counts = published.counts_by_response()
    return render(
        request,
        "catalogue/home.html",
        {
            "responses": [(response, counts[response]) for response in ResponseType],
            "total": sum(counts.values()),
            "recent": published.for_listing()[:6],
        },
    )


@cached_public_page
def case_study_list(request: HttpRequest) -> HttpResponse:
    filterset = CaseStudyFilter(request.GET, queryset=CaseStudy.objects.published())
    problems = [str(error) for errors in filterset.form.errors.values() for error in errors]
    page, page_problem = paginate(filterset.result_ids(), request.GET.get("page"))
    if page_problem:
        problems.append(page_problem)
    page.object_list = in_order(page.object_list, CaseStudy.objects.published().for_listing())
    extracts = search.snippets([cs.pk for cs in page], filterset.text) if filterset.text else {}
    for case_study in page:
        case_study.extract = extracts.get(case_study.pk)
    count = page.paginator.count
    return render(
        request,
        "catalogue/case_study_list.html",
        {
            "filterset": filterset,
            "page": page,
            "count": count,
            "description": describe(filterset, count),
            "facets": facets(filterset),
            "active_filters": active_filters(filterset, request.GET),
            "problems": problems,
            "sort_choices": [c for c in SORT_CHOICES if c[0] != "relevance" or filterset.text],
            "sort_order": filterset.sort_order,
            "charts": charts(filterset, with_maps=False),
        },
        status=400 if filterset.form.errors else 200,
    )


def in_order(ids: list[int], queryset) -> list[CaseStudy]:
    """The case studies with these ids, in the order of the ids."""
    found = queryset.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def paginate(queryset, number: str | None) -> tuple[Page, str]:
    """The page asked for, or the nearest real one with a message saying why."""
    paginator = Paginator(queryset, PAGE_SIZE)
    if number in (None, ""):
        return paginator.page(1), ""
    try:
        return paginator.page(number), ""
    except PageNotAnInteger:
        return paginator.page(1), f"“{number[:20]}” is not a page number, so page 1 is shown."
    except EmptyPage:
        last = paginator.num_pages
        if paginator.count == 0:
            return paginator.page(1), ""
        return paginator.page(last), (
            f"There {'is' if last == 1 else 'are'} only {last} page{pluralize(last)} of "
            f"results, so the last one is shown."
        )


def facets(filterset: CaseStudyFilter) -> list[dict]:
    """Every facet's options with their counts and whether they are ticked."""
    selected = filterset.valid_data
    result = []
    for name in FACETS:
        field = filterset.form.fields[name]
        counts = filterset.facet_counts(name)
        chosen = set(selected.get(name) or [])
        options = [
            {
                "value": value,
                "label": label,
                "count": counts.get(value, 0),
                "checked": value in chosen,
            }
            for value, label in field.choices
        ]
        result.append(
            {"name": name, "legend": field.label, "options": options, "selected": len(chosen)}
        )
    return result


def active_filters(filterset: CaseStudyFilter, query: QueryDict) -> list[dict]:
    """Each applied filter value in words, with a link that removes just that value."""
    data = filterset.valid_data
    chips = []
    for name, field in filterset.form.fields.items():
        if name in {"sort"} or data.get(name) in (None, "", []):
            continue
        values = data[name] if isinstance(data[name], list) else [query.get(name)]
        labels = dict(getattr(field, "choices", []))
        for value in values:
            remaining = query.copy()
            remaining.setlist(name, [v for v in query.getlist(name) if v != str(value)])
            remaining.pop("page", None)
            chips.append(
                {
                    "label": f"{field.label}: {labels.get(value, value)}",
                    "remove_url": "?" + remaining.urlencode(),
                }
            )
    return chips


@cached_public_page
def case_study_detail(request: HttpRequest, slug: str) -> HttpResponse:
    everything_shown = CaseStudy.objects.select_related(
        "partnership__lead_council"
    ).prefetch_related(
        "service_areas",
        "councils",
        "outcomes",
        "sources",
        Prefetch(
            "partnership__memberships",
            Membership.objects.select_related("organisation"),
        ),
    )
    case_study = everything_shown.published().filter(slug=slug).first()
    preview = case_study is None
    if preview:
        # Editors preview drafts at the public address; to anyone else they do not exist.
        case_study = get_object_or_404(everything_shown.previewable_by(request.user), slug=slug)
    response = render(
        request,
        "catalogue/case_study_detail.html",
        {
            "case_study": case_study,
            "related": related_case_studies(case_study),
            "preview": preview,
        },
    )
    if preview:
        patch_cache_control(response, private=True, no_store=True)
        response["X-Robots-Tag"] = "noindex"
    return response


def related_case_studies(case_study: CaseStudy) -> list[CaseStudy]:
    """Up to five similar published case studies, each with the reasons in words."""
    ids = related_ids(current_index(), case_study)
    related = in_order(ids, CaseStudy.objects.published().for_listing())
    areas = {area.pk for area in case_study.service_areas.all()}
    councils = {council.pk for council in case_study.councils.all()}
    for other in related:
        other.reasons = []
        if case_study.partnership_id and other.partnership_id == case_study.partnership_id:
            other.reasons.append("same partnership")
        if other.response == case_study.response:
            other.reasons.append(f"also {other.get_response_display().lower()}")
        if shared := [a.name.lower() for a in other.service_areas.all() if a.pk in areas]:
            other.reasons.append(f"also in {', '.join(shared)}")
        if named := [c.name for c in other.councils.all() if c.pk in councils]:
            other.reasons.append(f"also involves {', '.join(named)}")
    return related


def case_study_permalink(request: HttpRequest, pk: int) -> HttpResponse:
    """A stable link by id, for citations; it follows the case study if its slug changes."""
    case_study = get_object_or_404(CaseStudy.objects.published(), pk=pk)
    return redirect(case_study, permanent=False)


@cached_public_page
def response_detail(request: HttpRequest, response: str) -> HttpResponse:
    if response not in ResponseType.values:
        raise Http404("No such response type.")
    response_type = ResponseType(response)
    case_studies = CaseStudy.objects.published().filter(response=response).for_listing()
    return render(
        request,
        "catalogue/response_detail.html",
        {"response": response_type, "case_studies": case_studies},
    )


@cached_public_page
def service_area_detail(request: HttpRequest, slug: str) -> HttpResponse:
    service_area = get_object_or_404(ServiceArea, slug=slug)
    case_studies = CaseStudy.objects.published().filter(service_areas=service_area).for_listing()
    return render(
        request,
        "catalogue/service_area_detail.html",
        {"service_area": service_area, "case_studies": case_studies},
    )


@cached_public_page
def council_detail(request: HttpRequest, slug: str) -> HttpResponse:
    council = get_object_or_404(
        Council.objects.prefetch_related("successors", "predecessors"), slug=slug
    )
    return render(
        request,
        "catalogue/council_detail.html",
        {
            "council": council,
            "case_studies": CaseStudy.objects.published().filter(councils=council).for_listing(),
            "partnerships": council.partnerships.all(),
        },
    )


@cached_public_page
def organisation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, slug=slug)
    return render(
        request,
        "catalogue/organisation_detail.html",
        {
            "organisation": organisation,
            "memberships": organisation.memberships.select_related("partnership"),
            "case_studies": CaseStudy.objects.published()
            .filter(partnership__memberships__organisation=organisation)
            .distinct()
            .for_listing(),
        },
    )


@cached_public_page
def partnership_detail(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = get_object_or_404(
        Partnership.objects.select_related("lead_council").prefetch_related(
            "member_councils",
            Prefetch("memberships", Membership.objects.select_related("organisation")),
        ),
        slug=slug,
    )
    return render(
        request,
        "catalogue/partnership_detail.html",
        {
            "partnership": partnership,
            "case_studies": CaseStudy.objects.published()
            .filter(partnership=partnership)
            .for_listing(),
        },
    )


# -- Insights: charts of the same result set as /case-studies/ ---------------------------------


def insights(request: HttpRequest) -> HttpResponse:
    filterset = CaseStudyFilter(request.GET, queryset=CaseStudy.objects.published())
    found = charts(filterset)
    count = found["matrix"].total
    return render(
        request,
        "catalogue/insights.html",
        {
            "filterset": filterset,
            "count": count,
            "description": describe(filterset, count),
            "problems": [str(e) for errors in filterset.form.errors.values() for e in errors],
            **found,
        },
        status=400 if filterset.form.errors else 200,
    )


def insights_csv(request: HttpRequest, chart: str) -> HttpResponse:
    if chart not in CHARTS:
        raise Http404("No such chart.")
    filterset = CaseStudyFilter(request.GET, queryset=CaseStudy.objects.published())
    if filterset.form.errors:
        problems = [str(e) for errors in filterset.form.errors.values() for e in errors]
        return HttpResponse(
            "\n".join(["This query could not be used:", *problems]),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    header, rows = chart_rows(filterset, chart)
    response = HttpResponse(
        "".join(csv_lines(header, rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="insights-{chart}.csv"'
    return response
