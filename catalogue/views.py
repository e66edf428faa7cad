from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Prefetch, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from partnerships.models import Council, Membership

from . import citations, exports, pages, search
from . import compare as comparing
from .addresses import case_study_path, fixed_path, path_with
from .caching import cached_public_page
from .codebook import TRANSFORMING_TOGETHER, outcome_terms
from .codebook import codebook as build_codebook
from .facets import FacetIndex, current_index
from .feeds import CaseStudyFeed
from .filters import FACETS, SORT_CHOICES, CaseStudyFilter, describe, normalised_query
from .insights import CHARTS, base_query, chart_rows, charts, csv_lines
from .models import (
    Card,
    CaseStudy,
    ResponseType,
    ServiceArea,
    public_organisations,
    public_partnerships,
    published_cards,
)

PAGE_SIZE = 20
HOME_RECENT = 6  # recent case studies on the home page


@cached_public_page
def home(request: HttpRequest) -> HttpResponse:
    # Counted and chosen in the facet index: in SQL both read the whole catalogue.
    index = current_index()
    counts = index.counts("response", index.everything)
    recent = index.newest_in_turn("response", HOME_RECENT)
    return render(
        request,
        "catalogue/home.html",
        {
            "responses": [(response, counts.get(response, 0)) for response in ResponseType],
            "total": index.everything.bit_count(),
            "recent": cards_in_order(recent),
        },
    )


@require_safe
def about(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "catalogue/about.html",
        {
            "responses": list(ResponseType),
            "report": TRANSFORMING_TOGETHER,
            "outcome_terms": outcome_terms(),
        },
    )


@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    """The cookies are named from the settings, so the page cannot drift from what is set."""
    return render(
        request,
        "catalogue/privacy.html",
        {
            "session_cookie": settings.SESSION_COOKIE_NAME,
            "csrf_cookie": settings.CSRF_COOKIE_NAME,
            "session_hours": settings.SESSION_COOKIE_AGE // 3600,
        },
    )


def list_page_query(query: QueryDict) -> QueryDict | None:
    """What the list page reads from its query string, for the page cache: the filters and
    the page number. A compare shortlist (any slugs at all) is not cached."""
    if "compare" in query:
        return None
    normal = normalised_query(query)
    page = query.get("page", "").strip()
    if page.isascii() and page.isdigit():
        page = str(int(page))
    if page not in {"", "1"}:
        normal["page"] = page
    return normal


@cached_public_page(query=list_page_query)
def case_study_list(request: HttpRequest) -> HttpResponse:
    filterset = CaseStudyFilter(request.GET, queryset=CaseStudy.objects.published())
    problems = [str(error) for errors in filterset.form.errors.values() for error in errors]
    page, page_problem = paginate(filterset.result_ids(), request.GET.get("page"))
    if page_problem:
        problems.append(page_problem)
    page.object_list = cards_in_order(page.object_list)
    if filterset.text:
        extracts = search.snippets([card.pk for card in page], filterset.search_text)
        for card in page:
            card.extract = extracts.get(card.pk, "")
    count = page.paginator.count
    chips = active_filters(filterset, request.GET)
    response = render(
        request,
        "catalogue/case_study_list.html",
        {
            "filterset": filterset,
            "page": page,
            "count": count,
            "description": describe(filterset, count),
            "facets": facets(filterset),
            "active_filters": chips,
            "filter_count": len(chips) - bool(filterset.text),
            # Why a search found nothing (only stop words, only exclusions, part of a word).
            "search_terms": search.terms(filterset.text) if filterset.text and not count else None,
            "compare_limits": {"fewest": comparing.FEWEST, "most": comparing.MOST},
            "problems": problems,
            "sort_choices": [c for c in SORT_CHOICES if c[0] != "relevance" or filterset.text],
            "sort_order": filterset.sort_order,
            "charts": charts(filterset, with_maps=False),
            "shortlist": comparing.shortlist(request.GET, shown=[cs.slug for cs in page]),
            "card_query": request.GET.urlencode(),  # each card carries it for the breadcrumb
            "outputs_query": output_query(request),  # the downloads' and the feed's
        },
        status=400 if filterset.form.errors else 200,
    )
    if problems:  # a page about a mistake in its address is not worth keeping
        patch_cache_control(response, no_store=True)
    return response


def cards_in_order(ids: list[int]) -> list[Card]:
    """The published case studies with these ids, as cards, in the order of the ids."""
    cards = published_cards(ids)
    found = {card.pk: card for card in cards}
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
        if int(number) < 1:  # Paginator has already read it as a whole number
            return paginator.page(1), (
                f"There is no page {number[:20]}: pages are numbered from 1, so page 1 is shown."
            )
        return paginator.page(last), (
            f"There {'is' if last == 1 else 'are'} only {last} page{pluralize(last)} of "
            f"results, so the last one is shown."
        )


# Long facets get a box that narrows their options as you type (static/js/catalogue.js),
# with the ticked options first so they stay in sight.
OPTION_FINDERS = {
    "service": "Find a service area",
    "sector": "Find a partner sector",
    "council": "Find a council",
}


# Facets too long to list whole, with their nouns (one, more): only the options that would
# add results (a count above 0) and the ticked ones are listed, and the rest counted. The
# councils are hundreds, nearly all "(0)" once a filter is set: too many to read past by
# screen reader or keyboard.
LISTS_ONLY_MATCHING = {"council": ("council", "councils")}


def facets(filterset: CaseStudyFilter) -> list[dict]:
    """Every facet's options with their counts and whether they are ticked (of a long facet,
    only those that would add results, and the ticked ones)."""
    selected = filterset.valid_data
    result = []
    for name in FACETS:
        counts = filterset.facet_counts(name)
        chosen = set(selected.get(name) or [])
        choices = filterset.facet_choices(name)
        left_out = ""
        if name in LISTS_ONLY_MATCHING:  # left out before making their options: hundreds
            listed = [choice for choice in choices if counts.get(choice[0]) or choice[0] in chosen]
            one, more = LISTS_ONLY_MATCHING[name]
            if (unlisted := len(choices) - len(listed)) == 1:
                left_out = f"1 other {one} with none of these case studies is not listed."
            elif unlisted:
                left_out = (
                    f"{unlisted} other {more} with none of these case studies are not listed."
                )
            choices = listed
        also = filterset.index.council_also if name == "council" else {}
        options = [
            {
                "value": value,
                "label": label,
                "count": counts.get(value, 0),
                "checked": value in chosen,
                "also": also.get(value, []),
            }
            for value, label in choices
        ]
        if name in OPTION_FINDERS:
            options.sort(key=lambda option: not option["checked"])  # stable: ticked first
        result.append(
            {
                "name": name,
                "legend": filterset.filters[name].label,
                "options": options,
                "selected": len(chosen),
                "finder": OPTION_FINDERS.get(name, ""),
                "left_out": left_out,
            }
        )
    return result


def active_filters(filterset: CaseStudyFilter, query: QueryDict) -> list[dict]:
    """Each applied filter value in words, with a link that removes just that value."""
    data = filterset.valid_data
    # As pairs, not a QueryDict copied for each chip (a deep copy each).
    pairs = [(key, value) for key, values in query.lists() if key != "page" for value in values]
    chips = []
    for name, field in filterset.form.fields.items():
        if name in {"sort"} or data.get(name) in (None, "", []):
            continue
        values = data[name] if isinstance(data[name], list) else [query.get(name)]
        labels = dict(getattr(field, "choices", []))
        for value in values:
            remaining = [pair for pair in pairs if pair != (name, str(value))]
            chips.append(
                {
                    "label": f"{field.label}: {labels.get(value, value)}",
                    "remove_url": "?" + urlencode(remaining),
                }
            )
    return chips


def list_query_from(came_from: str) -> QueryDict:
    """The list page's query as the reader left it (it comes as `?from=`), keeping only what
    the list accepts (valid filters, sort, page), so the breadcrumb can carry nothing else."""
    came_from = QueryDict(came_from[:2000])
    if not came_from:
        return QueryDict()
    query = base_query(CaseStudyFilter(came_from, queryset=CaseStudy.objects.published()))
    if (page := came_from.get("page", "")).isdigit() and 1 < int(page) < 100_000:
        query["page"] = page
    return query


def detail_page_query(query: QueryDict) -> QueryDict:
    """What a case study's page reads from its query string (for the page cache's key)."""
    normal = QueryDict(mutable=True)
    if came_from := list_query_from(query.get("from", "")):
        normal["from"] = came_from.urlencode()
    return normal


@cached_public_page(query=detail_page_query)
def case_study_detail(request: HttpRequest, slug: str) -> HttpResponse:
    page = pages.stored(slug)
    index = current_index(page.version if page else None)
    preview = False
    if page is None:  # rendered now from what is read after the version (index.version)
        case_study = pages.everything_shown().published().filter(slug=slug).first()
        preview = case_study is None
        if preview:
            # Editors preview drafts at the public address; to anyone else they do not exist.
            case_study = get_object_or_404(
                pages.everything_shown().previewable_by(request.user), slug=slug
            )
        page = pages.rendered(case_study)
        if not preview:
            pages.keep(page, index.version)
    case_study = page.case_study
    response = render(
        request,
        "catalogue/case_study_detail.html",
        {
            "case_study": case_study,
            "article": page.article,
            "related": related_case_studies(page, index),
            "preview": preview,
            "citation": citation_for(
                request,
                case_study,
                councils=[name for _, name in page.councils],
                service_areas=[name for _, name in page.service_areas],
            ),
            "list_url": list_url_from(request),
        },
    )
    if preview:
        patch_cache_control(response, private=True, no_store=True)
        response["X-Robots-Tag"] = "noindex"
    return response


def list_url_from(request: HttpRequest) -> str:
    """The list page as the reader left it, for the breadcrumb."""
    url = fixed_path("catalogue:case_study_list")
    query = list_query_from(request.GET.get("from", ""))
    return f"{url}?{query.urlencode()}" if query else url


@dataclass(frozen=True)
class Related:
    """A case study suggested on another's page, and why."""

    title: str
    url: str
    reasons: list[str]


def related_case_studies(page: pages.Page, index: FacetIndex) -> list[Related]:
    """Up to five similar published case studies (FacetIndex.related), each with the reasons
    in words, read from the index: at most one query, for their titles."""
    case_study = page.case_study
    partners = page.partners
    areas = sorted(page.service_areas, key=lambda area: area[1])
    councils = sorted(page.councils, key=lambda council: council[1])
    found = index.related(
        case_study.pk,
        councils=[slug for slug, _ in councils],
        areas=[slug for slug, _ in areas],
        response=case_study.response,
        partners=partners,
    )
    titles = pages.published_titles(found, page.version)
    also_response = f"also {case_study.get_response_display().lower()}"
    related = []
    for pk in found:
        if pk not in titles:  # unpublished since the index was built
            continue
        reasons = []
        if pk in partners:
            reasons.append("same partnership")
        if index.has("response", case_study.response, pk):
            reasons.append(also_response)
        if shared := [name.lower() for slug, name in areas if index.has("service", slug, pk)]:
            reasons.append(f"also in {', '.join(shared)}")
        if named := [name for slug, name in councils if index.has("council", slug, pk)]:
            reasons.append(f"also involves {', '.join(named)}")
        slug, title = titles[pk]
        related.append(Related(title, case_study_path(slug), reasons))
    return related


def case_study_permalink(request: HttpRequest, pk: int) -> HttpResponse:
    """A stable link by id, for citations; it follows the case study if its slug changes."""
    case_study = get_object_or_404(CaseStudy.objects.published(), pk=pk)
    return redirect(case_study, permanent=False)


NEWEST_SHOWN = 20  # case studies on a response, council, service area ... page


def newest_case_studies(case_studies: QuerySet) -> dict:
    """The newest few of a page's case studies and how many there are in all: a page that
    never grows with the catalogue."""
    shown = case_studies[:NEWEST_SHOWN].cards()
    total = len(shown) if len(shown) < NEWEST_SHOWN else case_studies.count()
    return {"case_studies": shown, "case_study_count": total, "all_case_studies_url": ""}


def newest_with(facet: str, value: str) -> dict:
    """The same for the case studies with one value of a list page facet, read from the facet
    index (in SQL, counting and sorting them reads every one), with the list page's address
    for them all."""
    index = current_index()
    bits = index.select(facet, [value])
    ids = index.ordered_ids(bits, "newest", limit=NEWEST_SHOWN)
    shown = cards_in_order(ids)
    total = bits.bit_count()
    all_url = ""
    if total > len(shown):
        all_url = f"{reverse('catalogue:case_study_list')}?{urlencode({facet: value})}"
    return {"case_studies": shown, "case_study_count": total, "all_case_studies_url": all_url}


@cached_public_page
def response_detail(request: HttpRequest, response: str) -> HttpResponse:
    if response not in ResponseType.values:
        raise Http404("No such response type.")
    response_type = ResponseType(response)
    return render(
        request,
        "catalogue/response_detail.html",
        {
            "response": response_type,
            **newest_with("response", response),
        },
    )


@cached_public_page
def service_area_detail(request: HttpRequest, slug: str) -> HttpResponse:
    service_area = get_object_or_404(ServiceArea, slug=slug)
    return render(
        request,
        "catalogue/service_area_detail.html",
        {
            "service_area": service_area,
            **newest_with("service", slug),
        },
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
            **newest_with("council", slug),
            "partnerships": council.partnerships.filter(pk__in=public_partnerships()),
        },
    )


@cached_public_page
def organisation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = get_object_or_404(public_organisations(), slug=slug)
    return render(
        request,
        "catalogue/organisation_detail.html",
        {
            "organisation": organisation,
            "memberships": organisation.memberships.filter(
                partnership__in=public_partnerships()
            ).select_related("partnership"),
            **newest_case_studies(
                CaseStudy.objects.published()
                .filter(partnership__memberships__organisation=organisation)
                .distinct()
            ),
        },
    )


@cached_public_page
def partnership_detail(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = get_object_or_404(
        public_partnerships()
        .select_related("lead_council")
        .prefetch_related(
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
            **newest_case_studies(CaseStudy.objects.published().filter(partnership=partnership)),
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


# -- Research outputs: exports, codebook, citations, feed, comparison ------------------------


def site_root(request: HttpRequest) -> str:
    """Scheme and host, for the absolute links in files that leave the site."""
    return request.build_absolute_uri("/")[:-1]


def output_query(request: HttpRequest) -> str:
    """The list's query string as every output takes it: no page, no compare shortlist."""
    query = request.GET.copy()
    for name in ("page", "compare"):
        query.pop(name, None)
    return query.urlencode()


def absolute(request: HttpRequest, name: str, query: str = "") -> str:
    return request.build_absolute_uri(reverse(name) + (f"?{query}" if query else ""))


def refuse(problems: list[str], *, refused: str, as_json: bool = False) -> HttpResponse:
    """400 with the problems in plain words (or JSON), and nothing else."""
    reason = (
        f"{refused}: an output must hold exactly what was asked for, and part of this query "
        f"string could not be used."
    )
    if as_json:
        return JsonResponse(
            {"error": reason, "problems": problems},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    text = f"{reason}\n\n"
    text += "".join(f"- {problem}\n" for problem in problems)
    return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")


def attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response.headers["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@require_safe
def case_study_export_csv(request: HttpRequest) -> HttpResponse:
    try:
        selection = exports.select(query=request.GET)
    except exports.BadQuery as bad:
        return refuse(bad.problems, refused="Nothing was exported")
    stream = exports.csv_stream(case_studies=selection.case_studies, base_url=site_root(request))
    return attachment(
        StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8"),
        exports.filename(selection=selection, day=timezone.localdate(), extension="csv"),
    )


@require_safe
def case_study_export_json(request: HttpRequest) -> HttpResponse:
    try:
        selection = exports.select(query=request.GET)
    except exports.BadQuery as bad:
        return refuse(bad.problems, refused="Nothing was exported", as_json=True)
    meta = exports.provenance(
        selection=selection,
        count=selection.case_studies.count(),
        generated_at=timezone.now(),
        page_url=absolute(request, "catalogue:case_study_list", output_query(request)),
        codebook_url=absolute(request, "catalogue:codebook"),
    )
    stream = exports.json_stream(
        case_studies=selection.case_studies, meta=meta, base_url=site_root(request)
    )
    return attachment(
        StreamingHttpResponse(stream, content_type="application/json"),
        exports.filename(selection=selection, day=timezone.localdate(), extension="json"),
    )


def codebook_data(request: HttpRequest) -> dict:
    return build_codebook(
        urls={
            "codebook": absolute(request, "catalogue:codebook"),
            "codebook_json": absolute(request, "catalogue:codebook_json"),
            "csv": absolute(request, "catalogue:case_study_export_csv"),
            "json": absolute(request, "catalogue:case_study_export_json"),
            "atom": absolute(request, "catalogue:case_study_feed"),
        }
    )


@require_safe
def codebook(request: HttpRequest) -> HttpResponse:
    return render(request, "catalogue/codebook.html", {"codebook": codebook_data(request)})


@require_safe
def codebook_json(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        codebook_data(request), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )


def citation_for(
    request: HttpRequest, case_study: CaseStudy, *, councils: list[str], service_areas: list[str]
) -> citations.CaseStudyCitation:
    permalink = path_with("catalogue:case_study_permalink", case_study.pk)
    return citations.cite_case_study(
        case_study=case_study,
        permalink=request.build_absolute_uri(permalink),
        councils=councils,
        service_areas=service_areas,
    )


def published_citation(request: HttpRequest, slug: str) -> citations.CaseStudyCitation:
    case_study = get_object_or_404(
        CaseStudy.objects.published().prefetch_related("councils", "service_areas"), slug=slug
    )
    return citation_for(
        request,
        case_study,
        councils=[council.name for council in case_study.councils.all()],
        service_areas=[area.name for area in case_study.service_areas.all()],
    )


@require_safe
def case_study_bibtex(request: HttpRequest, slug: str) -> HttpResponse:
    citation = published_citation(request, slug)
    response = HttpResponse(citation.bibtex(), content_type="application/x-bibtex; charset=utf-8")
    return attachment(response, f"{citation.slug}.bib")


@require_safe
def case_study_ris(request: HttpRequest, slug: str) -> HttpResponse:
    citation = published_citation(request, slug)
    response = HttpResponse(
        citation.ris(), content_type="application/x-research-info-systems; charset=utf-8"
    )
    return attachment(response, f"{citation.slug}.ris")


@require_safe
def case_study_feed(request: HttpRequest) -> HttpResponse:
    try:
        return CaseStudyFeed()(request)
    except exports.BadQuery as bad:
        return refuse(bad.problems, refused="No feed was made")


@require_safe
def compare(request: HttpRequest) -> HttpResponse:
    slugs = comparing.requested_slugs(request.GET)
    try:
        rows = comparing.case_studies_to_compare(slugs=slugs, base_url=site_root(request))
    except comparing.CannotCompare as problem:
        back = request.GET.copy()
        back.pop("ids", None)
        return render(
            request,
            "catalogue/compare.html",
            {"problem": str(problem), "back_query": back.urlencode()},
            status=400,
        )
    ids = urlencode({"ids": ",".join(slugs)}, safe=",")
    if "compare" in request.GET:  # from the list's form: give the comparison its short address
        return redirect(f"{reverse('catalogue:compare')}?{ids}")
    return render(
        request,
        "catalogue/compare.html",
        {"rows": rows, "lines": comparing.comparison(rows), "ids": ids},
    )


@require_safe
def compare_export_csv(request: HttpRequest) -> HttpResponse:
    slugs = comparing.requested_slugs(request.GET)
    try:
        rows = comparing.case_studies_to_compare(slugs=slugs, base_url=site_root(request))
    except comparing.CannotCompare as problem:
        return HttpResponseBadRequest(str(problem), content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        b"".join(comparing.csv_lines(rows)), content_type="text/csv; charset=utf-8"
    )
    name = "-".join(["compare", *slugs])[:150]
    return attachment(response, f"{name}-{timezone.localdate().isoformat()}.csv")
