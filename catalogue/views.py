from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from partnerships.models import Council, Membership, Organisation, Partnership

from .models import CaseStudy, ResponseType, ServiceArea

PAGE_SIZE = 20


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


def case_study_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(CaseStudy.objects.published().for_listing(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "catalogue/case_study_list.html", {"page": page})


def case_study_detail(request: HttpRequest, slug: str) -> HttpResponse:
    case_study = get_object_or_404(
        CaseStudy.objects.published()
        .select_related("partnership__lead_council")
        .prefetch_related(
            "service_areas",
            "councils",
            "outcomes",
            "sources",
            Prefetch(
                "partnership__memberships",
                Membership.objects.select_related("organisation"),
            ),
        ),
        slug=slug,
    )
    return render(request, "catalogue/case_study_detail.html", {"case_study": case_study})


def case_study_permalink(request: HttpRequest, pk: int) -> HttpResponse:
    """A stable link by id, for citations; it follows the case study if its slug changes."""
    case_study = get_object_or_404(CaseStudy.objects.published(), pk=pk)
    return redirect(case_study, permanent=False)


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


def service_area_detail(request: HttpRequest, slug: str) -> HttpResponse:
    service_area = get_object_or_404(ServiceArea, slug=slug)
    case_studies = CaseStudy.objects.published().filter(service_areas=service_area).for_listing()
    return render(
        request,
        "catalogue/service_area_detail.html",
        {"service_area": service_area, "case_studies": case_studies},
    )


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
