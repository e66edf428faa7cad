"""How the JSON API (catalogue/api.py) writes out case studies and the actors they involve.

Every case study a serializer meets was fetched from `CaseStudy.objects.published()`, and the
nested objects come from prefetches, so a page costs the same number of queries at any size.
"""

from urllib.parse import urlencode

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from partnerships.models import (
    Council,
    CouncilType,
    Governance,
    Membership,
    Nation,
    Organisation,
    Partnership,
    Region,
    Sector,
)

from .models import (
    CaseStudy,
    Confidence,
    EvidenceStrength,
    Outcome,
    OutcomeKind,
    ResponseType,
    ServiceArea,
    Source,
)


class BlankAsNullChoiceField(serializers.ChoiceField):
    """An optional vocabulary value: `null` rather than an empty string when there is none."""

    def __init__(self, choices, **kwargs) -> None:
        super().__init__(choices, allow_null=True, **kwargs)

    def to_representation(self, value: str) -> str | None:
        return value or None


def vocabulary(choices, **kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices, **kwargs)


class CaseStudyRefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:case-study-detail", lookup_field="slug"
    )

    class Meta:
        model = CaseStudy
        fields = ["slug", "title", "url"]


NEWEST_HELP = "The newest published case studies, at most 20; `case_study_count` counts them all."


def case_study_count() -> serializers.IntegerField:
    return serializers.IntegerField(read_only=True, help_text="Its published case studies.")


class FilteredListField(serializers.Field):
    """The address of the API's case study list filtered to this object (all its case studies,
    where `case_studies` has only the newest)."""

    def __init__(self, parameter: str, **kwargs) -> None:
        self.parameter = parameter
        super().__init__(source="slug", read_only=True, **kwargs)

    def to_representation(self, slug: str) -> str:
        url = reverse("api:case-study-list") + "?" + urlencode({self.parameter: slug})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class CouncilRefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:council-detail", lookup_field="slug")

    class Meta:
        model = Council
        fields = ["slug", "name", "gss_code", "url"]


class ServiceAreaRefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:service-area-detail", lookup_field="slug"
    )

    class Meta:
        model = ServiceArea
        fields = ["slug", "name", "url"]


class PartnershipRefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:partnership-detail", lookup_field="slug"
    )

    class Meta:
        model = Partnership
        fields = ["slug", "name", "url"]


class OrganisationRefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:organisation-detail", lookup_field="slug"
    )
    sector = vocabulary(Sector.choices)

    class Meta:
        model = Organisation
        fields = ["slug", "name", "sector", "url"]


class CaseStudySerializer(serializers.ModelSerializer):
    """A case study as a list shows it (what `for_listing()` fetches)."""

    url = serializers.HyperlinkedIdentityField(
        view_name="api:case-study-detail", lookup_field="slug"
    )
    html_url = serializers.SerializerMethodField(help_text="The case study's page.")
    response = vocabulary(ResponseType.choices)
    secondary_response = BlankAsNullChoiceField(ResponseType.choices)
    confidence = BlankAsNullChoiceField(
        Confidence.choices, help_text="How well the sources support the case as a whole."
    )
    service_areas = ServiceAreaRefSerializer(many=True)
    councils = CouncilRefSerializer(many=True)
    partnership = PartnershipRefSerializer(allow_null=True)

    class Meta:
        model = CaseStudy
        fields = [
            "id",
            "slug",
            "url",
            "html_url",
            "title",
            "summary",
            "response",
            "secondary_response",
            "service_areas",
            "councils",
            "partnership",
            "start_year",
            "start_year_estimated",
            "confidence",
            "from_transforming_together",
            "published_at",
            "updated_at",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_html_url(self, case_study: CaseStudy) -> str:
        return self.context["request"].build_absolute_uri(case_study.get_absolute_url())


class OutcomeSerializer(serializers.ModelSerializer):
    kind = vocabulary(OutcomeKind.choices)
    figure = serializers.DecimalField(
        max_digits=16, decimal_places=2, coerce_to_string=False, allow_null=True
    )
    figure_text = serializers.CharField(help_text="The figure with its unit, e.g. £7.5m.")
    evidence = vocabulary(EvidenceStrength.choices)
    confidence = vocabulary(Confidence.choices)
    sources = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        source="source_numbers",
        read_only=True,
        help_text="The numbers of the sources that support it (see `sources`).",
    )

    class Meta:
        model = Outcome
        fields = [
            "description",
            "kind",
            "figure",
            "unit",
            "figure_text",
            "period",
            "evidence",
            "confidence",
            "sources",
        ]


class SourceSerializer(serializers.ModelSerializer):
    number = serializers.IntegerField(
        min_value=1, read_only=True, help_text="Its number in the case study's sources."
    )

    class Meta:
        model = Source
        fields = ["number", "title", "publisher", "year", "url", "copy_url", "section"]


class MembershipSerializer(serializers.ModelSerializer):
    organisation = OrganisationRefSerializer()

    class Meta:
        model = Membership
        fields = ["organisation", "role"]


class PartnershipSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:partnership-detail", lookup_field="slug"
    )
    governance = vocabulary(Governance.choices)
    lead_council = CouncilRefSerializer(allow_null=True)
    member_councils = CouncilRefSerializer(many=True)
    partners = MembershipSerializer(many=True, source="memberships")
    case_studies = CaseStudyRefSerializer(
        many=True, source="published_case_studies", help_text=NEWEST_HELP
    )
    case_study_count = case_study_count()

    class Meta:
        model = Partnership
        fields = [
            "slug",
            "url",
            "name",
            "description",
            "governance",
            "lead_council",
            "member_councils",
            "partners",
            "start_year",
            "end_year",
            "case_studies",
            "case_study_count",
        ]


class CaseStudyDetailSerializer(CaseStudySerializer):
    """A case study in full: its body, outcomes, sources and the partnership's partners."""

    partnership = PartnershipSerializer(allow_null=True)
    outcomes = OutcomeSerializer(many=True)
    sources = SourceSerializer(many=True)

    class Meta(CaseStudySerializer.Meta):
        fields = [*CaseStudySerializer.Meta.fields, "body", "outcomes", "sources"]


class CouncilSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:council-detail", lookup_field="slug")
    council_type = vocabulary(CouncilType.choices)
    nation = vocabulary(Nation.choices)
    region = BlankAsNullChoiceField(Region.choices)
    successors = CouncilRefSerializer(many=True)
    predecessors = CouncilRefSerializer(many=True)
    case_studies = CaseStudyRefSerializer(
        many=True, source="published_case_studies", help_text=NEWEST_HELP
    )
    case_study_count = case_study_count()
    all_case_studies = extend_schema_field(OpenApiTypes.URI)(FilteredListField)("council")

    class Meta:
        model = Council
        fields = [
            "slug",
            "url",
            "name",
            "gss_code",
            "council_type",
            "nation",
            "region",
            "website",
            "ended_year",
            "successors",
            "predecessors",
            "case_studies",
            "case_study_count",
            "all_case_studies",
        ]


class OrganisationMembershipSerializer(serializers.ModelSerializer):
    partnership = PartnershipRefSerializer()

    class Meta:
        model = Membership
        fields = ["partnership", "role"]


class OrganisationSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:organisation-detail", lookup_field="slug"
    )
    sector = vocabulary(Sector.choices)
    partnerships = OrganisationMembershipSerializer(many=True, source="memberships")

    class Meta:
        model = Organisation
        fields = ["slug", "url", "name", "sector", "website", "partnerships"]


class ServiceAreaSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:service-area-detail", lookup_field="slug"
    )
    case_studies = CaseStudyRefSerializer(
        many=True, source="published_case_studies", help_text=NEWEST_HELP
    )
    case_study_count = case_study_count()
    all_case_studies = extend_schema_field(OpenApiTypes.URI)(FilteredListField)("service")

    class Meta:
        model = ServiceArea
        fields = [
            "slug",
            "url",
            "name",
            "description",
            "case_studies",
            "case_study_count",
            "all_case_studies",
        ]


class VocabularyValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    definition = serializers.CharField()


class VocabularySerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The vocabulary's name, as in the API's fields.")
    label = serializers.CharField()
    used_by = serializers.ListField(
        child=serializers.CharField(), help_text="The fields and query parameters that use it."
    )
    values = VocabularyValueSerializer(many=True)


class CodebookSerializer(serializers.Serializer):
    vocabularies = VocabularySerializer(many=True)
