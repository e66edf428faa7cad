"""The read-only JSON API under /api/, built with Django REST framework and drf-spectacular.

`/api/case-studies/` reads the same query string as `/case-studies/` through the same
`CaseStudyFilter`, so one query means one set of case studies in HTML, charts and JSON; only
published case studies ever appear. Bad parameters get a 400 with the list page's messages,
unknown slugs a 404, writes a 405, all as JSON. The OpenAPI document is at /api/schema/ and a
reference page read off it (catalogue/api_reference.py) at /api/docs/.
"""

import re
from collections.abc import Callable

from django import forms
from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import include, path, re_path
from django.views.decorators.http import require_safe
from django_filters.fields import MultipleChoiceField
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework import routers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from partnerships.models import (
    Council,
    CouncilType,
    Governance,
    Membership,
    Nation,
    Partnership,
    Region,
    Sector,
)

from . import exports
from .api_reference import reference
from .codebook import service_areas_described
from .filters import CaseStudyFilter
from .models import (
    CaseStudy,
    Confidence,
    EvidenceStrength,
    OutcomeKind,
    ResponseType,
    ServiceArea,
    Status,
    public_organisations,
    public_partnerships,
)
from .serializers import (
    CaseStudyDetailSerializer,
    CaseStudySerializer,
    CodebookSerializer,
    CouncilSerializer,
    OrganisationSerializer,
    PartnershipSerializer,
    ServiceAreaSerializer,
)
from .views import PAGE_SIZE

BAD_QUERY = "Some of this query could not be used."


def bad_query(errors: dict[str, list[str]]) -> ValidationError:
    return ValidationError({"detail": BAD_QUERY, "errors": errors})


class CataloguePagination(PageNumberPagination):
    """Pages of the list page's size, with the same `page` parameter."""

    page_size = PAGE_SIZE
    invalid_page_message = "There is no page {page_number} of these results."

    def paginate_queryset(self, queryset, request: Request, view=None) -> list | None:
        number = request.query_params.get(self.page_query_param)
        if number and not re.fullmatch(r"[0-9]{1,9}", number):
            raise bad_query({"page": [f"“{number[:20]}” is not a page number."]})
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": 999_999_999})
                parameter["allowEmptyValue"] = True  # the first page, as on the list page
        return parameters


# What each of the list page's parameters means, for the OpenAPI document.
PARAMETER_HELP = {
    "q": 'Free text in web-search syntax: words, "a phrase", either OR or, -excluded.',
    "service": "Service area slug (see /api/service-areas/).",
    "council": "Council slug (see /api/councils/); only councils with published case studies.",
    "year_from": "Started in or after this year.",
    "year_to": "Started in or before this year; a range that runs backwards is a 400.",
    "sort": "Order of the results: `relevance` (the default with `q`) or `newest` (otherwise), "
    "`title`, `start-year`, `-start-year`.",
}


def filter_parameters() -> list[dict]:
    """The list page's query parameters as OpenAPI parameters, read off `CaseStudyFilter`."""
    form = CaseStudyFilter(queryset=CaseStudy.objects.none()).form
    parameters = []
    for name, field in form.fields.items():
        parameter = {
            "name": name,
            "in": "query",
            "required": False,
            "description": PARAMETER_HELP.get(name, f"{field.label}."),
        }
        if isinstance(field, MultipleChoiceField):
            values = [value for value, _ in field.choices]
            # Councils and service areas come from the database, which may have none yet.
            items = {"type": "string", **({"enum": values} if values else {})}
            parameter.update(schema={"type": "array", "items": items}, style="form", explode=True)
            parameter["description"] += (
                " Repeat to match any of several values; different parameters all apply."
            )
        else:
            # The list page's form always sends these, empty when unused: same meaning here.
            parameter["allowEmptyValue"] = True
            if name == "sort":
                parameter["schema"] = {"type": "string", "enum": [v for v, _ in field.choices]}
            elif isinstance(field, forms.IntegerField):
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": field.min_value,
                    "maximum": field.max_value,
                }
            else:
                # Django's forms refuse NUL characters: "Null characters are not allowed."
                parameter["schema"] = {
                    "type": "string",
                    "maxLength": field.max_length,
                    "pattern": "^[^\\u0000]*$",
                }
        parameters.append(parameter)
    return parameters


class CaseStudyFilterBackend(BaseFilterBackend):
    """The catalogue's one FilterSet, strict: any bad value rejects the whole request."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view) -> QuerySet:
        filterset = CaseStudyFilter(request.query_params, queryset=queryset)
        if filterset.form.errors:
            raise bad_query(
                {name: [str(e) for e in errors] for name, errors in filterset.form.errors.items()}
            )
        return filterset.sorted(filterset.filter_queryset(filterset.queryset))

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return filter_parameters()


NESTED_SHOWN = 20  # case studies nested in a council, partnership or service area


def published_case_studies(lookup: str = "case_studies") -> Prefetch:
    """Prefetch the newest published case studies of each object, at most NESTED_SHOWN, as
    `published_case_studies`: an object's JSON never grows with the catalogue."""
    return Prefetch(
        lookup,
        CaseStudy.objects.published()[:NESTED_SHOWN],
        to_attr="published_case_studies",
    )


def with_case_study_count(queryset: QuerySet, links: QuerySet, link: str) -> QuerySet:
    """Annotate `case_study_count`: the object's published case studies, counted by one
    subquery per object shown (a join with GROUP BY would count for every object)."""
    counted = (
        links.filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(case_study_count=Coalesce(Subquery(counted), 0))


class ReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    # Only what a slug can hold: anything else is the catch-all's JSON 404, never a query.
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    pagination_class = CataloguePagination


@extend_schema(tags=["case studies"])
class CaseStudyViewSet(ReadOnlyViewSet):
    """Published case studies. The list takes the same query string as /case-studies/."""

    filter_backends = [CaseStudyFilterBackend]

    def get_queryset(self) -> QuerySet:
        published = CaseStudy.objects.published()
        if self.action != "retrieve":
            return published.for_listing()
        return published.prefetch_related(
            Prefetch(
                "partnership",
                with_case_study_count(
                    Partnership.objects.select_related("lead_council"),
                    CaseStudy.objects.published(),
                    "partnership_id",
                ),
            ),
            "service_areas",
            Prefetch("councils", Council.objects.order_by("name")),
            "outcomes",
            "sources",
            Prefetch("partnership__member_councils", Council.objects.order_by("name")),
            Prefetch(
                "partnership__memberships", Membership.objects.select_related("organisation")
            ),
            published_case_studies("partnership__case_studies"),
        )

    def get_serializer_class(self) -> type:
        return CaseStudyDetailSerializer if self.action == "retrieve" else CaseStudySerializer

    def get_object(self) -> CaseStudy:
        case_study = super().get_object()
        # Outcomes name the sources that support them by their number in `sources`.
        exports.number_sources(
            {case_study.pk: list(case_study.sources.all())},
            {case_study.pk: list(case_study.outcomes.all())},
        )
        return case_study

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # The query string selects a list; one case study is found by its slug alone.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


@extend_schema(tags=["councils, partners and service areas"])
class CouncilViewSet(ReadOnlyViewSet):
    """Every UK council in the register, former ones included."""

    serializer_class = CouncilSerializer
    queryset = with_case_study_count(
        Council.objects.order_by("name", "slug").prefetch_related(
            Prefetch("successors", Council.objects.order_by("name")),
            Prefetch("predecessors", Council.objects.order_by("name")),
            published_case_studies(),
        ),
        CaseStudy.councils.through.objects.filter(casestudy__status=Status.PUBLISHED),
        "council_id",
    )


@extend_schema(tags=["councils, partners and service areas"])
class OrganisationViewSet(ReadOnlyViewSet):
    """Partner organisations and the partnerships they belong to."""

    serializer_class = OrganisationSerializer
    queryset = (
        public_organisations()
        .order_by("name", "slug")
        .prefetch_related(
            Prefetch(
                "memberships",
                Membership.objects.filter(partnership__in=public_partnerships())
                .select_related("partnership")
                .order_by("partnership__name"),
            )
        )
    )


@extend_schema(tags=["councils, partners and service areas"])
class PartnershipViewSet(ReadOnlyViewSet):
    """Partnerships: councils and partner organisations with their roles."""

    serializer_class = PartnershipSerializer
    queryset = with_case_study_count(
        public_partnerships()
        .order_by("name", "slug")
        .select_related("lead_council")
        .prefetch_related(
            Prefetch("member_councils", Council.objects.order_by("name")),
            Prefetch("memberships", Membership.objects.select_related("organisation")),
            published_case_studies(),
        ),
        CaseStudy.objects.published(),
        "partnership_id",
    )


@extend_schema(tags=["councils, partners and service areas"])
class ServiceAreaViewSet(ReadOnlyViewSet):
    """The service areas case studies are filed under."""

    serializer_class = ServiceAreaSerializer
    queryset = with_case_study_count(
        ServiceArea.objects.order_by("name").prefetch_related(published_case_studies()),
        CaseStudy.service_areas.through.objects.filter(casestudy__status=Status.PUBLISHED),
        "servicearea_id",
    )


# name, label, its values (each with label and definition), the fields and query parameters
# that use it. The values come from the same functions as the codebook page's.
VOCABULARIES: list[tuple[str, str, Callable[[], list[dict[str, str]]], list[str]]] = [
    (
        "response_type",
        "Response type",
        ResponseType.described,
        ["case study response", "case study secondary_response", "?response"],
    ),
    (
        "service_area",
        "Service area",
        service_areas_described,
        ["case study service_areas", "?service"],
    ),
    ("outcome_kind", "Outcome kind", OutcomeKind.described, ["outcome kind"]),
    (
        "evidence_strength",
        "Evidence",
        EvidenceStrength.described,
        ["outcome evidence", "?evidence"],
    ),
    ("confidence", "Confidence", Confidence.described, ["outcome confidence"]),
    (
        "council_type",
        "Council type",
        CouncilType.described,
        ["council council_type", "?council_type"],
    ),
    ("nation", "Nation", Nation.described, ["council nation", "?nation"]),
    ("region", "Region", Region.described, ["council region", "?region"]),
    ("sector", "Partner sector", Sector.described, ["organisation sector", "?sector"]),
    ("governance", "Governance", Governance.described, ["partnership governance"]),
]


class OneObjectSchema(AutoSchema):
    """For a router's `list` action that answers with one object, not a list of them."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


@extend_schema(tags=["codebook"])
class CodebookViewSet(viewsets.ViewSet):
    """Every vocabulary the API uses, with each value's label and definition."""

    schema = OneObjectSchema()

    @extend_schema(responses=CodebookSerializer)
    def list(self, request: Request) -> Response:
        vocabularies = [
            {"name": name, "label": label, "used_by": used_by, "values": values()}
            for name, label, values, used_by in VOCABULARIES
        ]
        return Response(CodebookSerializer({"vocabularies": vocabularies}).data)


@require_safe
def api_docs(request: HttpRequest) -> HttpResponse:
    """The API's reference, from the same OpenAPI document /api/schema/ serves."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return render(request, "catalogue/api_docs.html", {"api": reference(document)})


def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any other address under /api/ answers in JSON too."""
    return JsonResponse({"detail": "Not found."}, status=404)


def document_error_responses(result: dict, generator, request, public: bool) -> dict:
    """drf-spectacular hook: every operation documents the JSON errors it can give."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = {
        "type": "object",
        "properties": {
            "detail": {"type": "string"},
            "errors": {
                "type": "object",
                "description": "For a 400: the messages for each parameter that was not used.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
        "required": ["detail"],
    }
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            places = {parameter["in"] for parameter in operation.get("parameters", [])}
            responses = operation["responses"]
            if "query" in places:
                responses.setdefault(
                    "400", {"description": "A parameter's value was not understood.", **error}
                )
            if places & {"path", "query"}:
                responses.setdefault(
                    "404", {"description": "No such object, or no such page.", **error}
                )
    return result


router = routers.DefaultRouter()
router.register("case-studies", CaseStudyViewSet, basename="case-study")
router.register("councils", CouncilViewSet, basename="council")
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("partnerships", PartnershipViewSet, basename="partnership")
router.register("service-areas", ServiceAreaViewSet, basename="service-area")
router.register("codebook", CodebookViewSet, basename="codebook")

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", api_docs, name="docs"),
    path("", include(router.urls)),
    re_path(r"^[\s\S]*/$", not_found),  # any character, even a newline
]
