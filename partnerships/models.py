"""The actors: councils, partner organisations and the partnerships between them."""

from collections.abc import Iterable
from enum import nonmember

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils.html import format_html

from .names import derived_names, name_key, unique, usual_name
from .vocabulary import Vocabulary, value_in, year_in_range


class Nation(Vocabulary):
    ENGLAND = "england", "England"
    WALES = "wales", "Wales"
    SCOTLAND = "scotland", "Scotland"
    NORTHERN_IRELAND = "northern-ireland", "Northern Ireland"

    definitions = nonmember(
        {
            "england": "Councils in England, most of which have two tiers (county and district).",
            "wales": "Councils in Wales: 22 single-tier principal councils since 1996.",
            "scotland": "Councils in Scotland: 32 single-tier council areas since 1996.",
            "northern-ireland": "Councils in Northern Ireland: 11 districts since 2015.",
        }
    )


class Region(Vocabulary):
    """England's nine ONS regions; Wales, Scotland and Northern Ireland are one region each."""

    NORTH_EAST = "north-east", "North East"
    NORTH_WEST = "north-west", "North West"
    YORKSHIRE = "yorkshire-and-the-humber", "Yorkshire and the Humber"
    EAST_MIDLANDS = "east-midlands", "East Midlands"
    WEST_MIDLANDS = "west-midlands", "West Midlands"
    EAST = "east-of-england", "East of England"
    LONDON = "london", "London"
    SOUTH_EAST = "south-east", "South East"
    SOUTH_WEST = "south-west", "South West"
    WALES = "wales", "Wales"
    SCOTLAND = "scotland", "Scotland"
    NORTHERN_IRELAND = "northern-ireland", "Northern Ireland"

    definitions = nonmember(
        {
            "north-east": "ONS region E12000001.",
            "north-west": "ONS region E12000002.",
            "yorkshire-and-the-humber": "ONS region E12000003.",
            "east-midlands": "ONS region E12000004.",
            "west-midlands": "ONS region E12000005.",
            "east-of-england": "ONS region E12000006.",
            "london": "ONS region E12000007: the 32 London boroughs and the City of London.",
            "south-east": "ONS region E12000008.",
            "south-west": "ONS region E12000009.",
            "wales": "The whole of Wales (W92000004), treated as one region.",
            "scotland": "The whole of Scotland (S92000003), treated as one region.",
            "northern-ireland": "All of Northern Ireland (N92000002), treated as one region.",
        }
    )

    @property
    def nation(self) -> Nation:
        if self.value in Nation.values:
            return Nation(self.value)
        return Nation.ENGLAND


class CouncilType(Vocabulary):
    COUNTY = "county", "County council"
    DISTRICT = "district", "District council"
    UNITARY = "unitary", "Unitary authority"
    METROPOLITAN_BOROUGH = "metropolitan-borough", "Metropolitan borough"
    LONDON_BOROUGH = "london-borough", "London borough"
    WELSH_PRINCIPAL = "welsh-principal", "Welsh principal council"
    SCOTTISH = "scottish", "Scottish council"
    NI_DISTRICT = "ni-district", "Northern Ireland district council"
    COMBINED_AUTHORITY = "combined-authority", "Combined authority"
    ASSOCIATION = "association", "Association of councils"

    definitions = nonmember(
        {
            "county": "Upper tier of two-tier England: social care, education, highways "
            "(GSS prefix E10).",
            "district": "Lower tier of two-tier England: housing, planning, waste collection "
            "(GSS prefix E07).",
            "unitary": "A single-tier English council providing all local services "
            "(GSS prefix E06).",
            "metropolitan-borough": "A single-tier council in one of England's six metropolitan "
            "counties (GSS prefix E08).",
            "london-borough": "One of the 32 London boroughs or the City of London "
            "(GSS prefix E09).",
            "welsh-principal": "One of Wales's 22 single-tier councils (GSS prefix W06).",
            "scottish": "One of Scotland's 32 single-tier council areas (GSS prefix S12).",
            "ni-district": "One of Northern Ireland's 11 district councils (GSS prefix N09).",
            "combined-authority": "A body that councils set up together to take on devolved "
            "powers, often with an elected mayor (GSS prefix E47).",
            "association": "A body that represents councils, such as the Local Government "
            "Association; it delivers no services itself.",
        }
    )

    @classmethod
    def from_gss_code(cls, code: str) -> "CouncilType":
        """The council type that an ONS GSS code's prefix stands for."""
        return GSS_PREFIX_TYPES[code[:3]]


# The nation every council of a type belongs to; associations may be of any nation.
TYPE_NATIONS = {
    CouncilType.COUNTY: Nation.ENGLAND,
    CouncilType.DISTRICT: Nation.ENGLAND,
    CouncilType.UNITARY: Nation.ENGLAND,
    CouncilType.METROPOLITAN_BOROUGH: Nation.ENGLAND,
    CouncilType.LONDON_BOROUGH: Nation.ENGLAND,
    CouncilType.COMBINED_AUTHORITY: Nation.ENGLAND,
    CouncilType.WELSH_PRINCIPAL: Nation.WALES,
    CouncilType.SCOTTISH: Nation.SCOTLAND,
    CouncilType.NI_DISTRICT: Nation.NORTHERN_IRELAND,
}
ENGLISH_REGIONS = [region for region in Region if region.nation == Nation.ENGLAND]

GSS_PREFIX_TYPES = {
    "E06": CouncilType.UNITARY,
    "E07": CouncilType.DISTRICT,
    "E08": CouncilType.METROPOLITAN_BOROUGH,
    "E09": CouncilType.LONDON_BOROUGH,
    "E10": CouncilType.COUNTY,
    "E47": CouncilType.COMBINED_AUTHORITY,
    "W06": CouncilType.WELSH_PRINCIPAL,
    "S12": CouncilType.SCOTTISH,
    "N09": CouncilType.NI_DISTRICT,
}


class Sector(Vocabulary):
    NHS = "nhs", "NHS"
    POLICE = "police", "Police"
    FIRE_AND_RESCUE = "fire-and-rescue", "Fire and rescue"
    VOLUNTARY_COMMUNITY = "voluntary-community", "Voluntary and community"
    PRIVATE = "private", "Private sector"
    OTHER_COUNCIL = "other-council", "Another council"
    UNIVERSITY = "university", "University"
    HOUSING_ASSOCIATION = "housing-association", "Housing association"
    EDUCATION = "education", "Schools and colleges"
    SOCIAL_ENTERPRISE = "social-enterprise-mutual", "Social enterprise or mutual"
    CENTRAL_GOVERNMENT = "central-government", "Central government"
    RESIDENTS = "residents", "Residents"
    FUNDER = "funder-philanthropy", "Funder or philanthropy"
    REPRESENTATIVE_BODY = "representative-body", "Representative body"

    definitions = nonmember(
        {
            "nhs": "NHS bodies: trusts, clinical commissioning groups, integrated care boards, "
            "GP practices.",
            "police": "Police forces and police and crime commissioners.",
            "fire-and-rescue": "Fire and rescue services and authorities.",
            "voluntary-community": "Charities, community groups, faith groups and other "
            "voluntary organisations.",
            "private": "Companies working for profit, including outsourcing contractors.",
            "other-council": "A council body acting as a partner, such as a council-owned "
            "company or a parish council.",
            "university": "Universities and research institutes.",
            "housing-association": "Registered social landlords.",
            "education": "Schools, academies, colleges and their staff.",
            "social-enterprise-mutual": "Social enterprises, public service mutuals, "
            "charitable trusts spun out of councils.",
            "central-government": "UK or devolved government departments and their agencies.",
            "residents": "Residents taking part directly, not through an organisation.",
            "funder-philanthropy": "Charitable foundations and other funders.",
            "representative-body": "Bodies that speak for a sector or profession, such as "
            "unions or trade associations.",
        }
    )


class Governance(Vocabulary):
    ALLIANCE = "alliance", "Alliance"
    SHARED_SERVICE = "shared-service", "Shared service"
    JOINT_COMMITTEE = "joint-committee", "Joint committee"
    POOLED_BUDGET = "pooled-budget", "Pooled budget"
    COMPANY = "company", "Company"
    TRUST_OR_MUTUAL = "trust-or-mutual", "Trust or mutual"
    OUTSOURCING_CONTRACT = "outsourcing-contract", "Outsourcing contract"
    COMBINED_AUTHORITY = "combined-authority", "Combined authority"
    PROGRAMME = "programme", "Programme"
    CAMPAIGN = "campaign", "Campaign"
    MERGER = "merger", "Merger"
    INFORMAL_NETWORK = "informal-network", "Informal network"

    definitions = nonmember(
        {
            "alliance": "Partners agree shared outcomes and ways of working without forming "
            "a new body, often under an alliance agreement.",
            "shared-service": "One team or management structure serves several organisations.",
            "joint-committee": "A formal committee of several councils (and partners) with "
            "delegated decisions.",
            "pooled-budget": "Partners put money into one budget, for example under section 75 "
            "of the NHS Act 2006.",
            "company": "A company owned by one or more councils.",
            "trust-or-mutual": "A service moved out of the council into an independent trust, "
            "charity or staff mutual.",
            "outsourcing-contract": "A private or voluntary provider runs services under "
            "contract.",
            "combined-authority": "A statutory body formed by neighbouring councils.",
            "programme": "A time-limited programme of joint work led by one partner.",
            "campaign": "Councils and allies campaigning or litigating together.",
            "merger": "Councils abolished and replaced by a new council.",
            "informal-network": "A loose network of organisations without formal governance.",
        }
    )


def place_agrees() -> list[models.CheckConstraint]:
    """A council's type, nation, region and GSS code tell one story: a Welsh principal council
    is in Wales (region Wales), an E07 code is an English district in an English region."""
    type_nation = Q(council_type=CouncilType.ASSOCIATION)
    for council_type, nation in TYPE_NATIONS.items():
        type_nation |= Q(council_type=council_type, nation=nation)
    region_nation = Q(region="") | Q(nation=Nation.ENGLAND, region__in=ENGLISH_REGIONS)
    for nation in [Nation.WALES, Nation.SCOTLAND, Nation.NORTHERN_IRELAND]:
        region_nation |= Q(nation=nation, region=nation.value)
    code_type = Q(gss_code__isnull=True)
    for prefix, council_type in GSS_PREFIX_TYPES.items():
        code_type |= Q(gss_code__startswith=prefix, council_type=council_type)
    return [
        models.CheckConstraint(condition=type_nation, name="council_type_fits_nation"),
        models.CheckConstraint(condition=region_nation, name="council_region_fits_nation"),
        models.CheckConstraint(
            condition=~Q(council_type=CouncilType.LONDON_BOROUGH)
            | Q(region__in=["", Region.LONDON]),
            name="council_london_borough_in_london",
        ),
        models.CheckConstraint(condition=code_type, name="council_gss_code_fits_type"),
    ]


class Council(models.Model):
    name = models.CharField(
        max_length=120,
        help_text='The register\'s name, as the ONS writes it ("Bristol, City of").',
    )
    official_name = models.CharField(
        max_length=200,
        blank=True,
        help_text='The council\'s own name where a source gives it, e.g. "Powys County Council".',
    )
    aliases = models.TextField(
        blank=True,
        help_text="Other names people use for the council, one a line (e.g. an acronym). "
        'Forms such as "Wigan Council" or "City of Bristol" follow from the name and '
        "need not be listed.",
    )
    # Every name's key (names.name_key) between bars, "|powys|", kept by save(): what the
    # admin's search and the duplicate check compare.
    name_keys = models.TextField(editable=False, blank=True, default="")
    slug = models.SlugField(max_length=120, unique=True)
    gss_code = models.CharField(
        "GSS code",
        max_length=9,
        unique=True,
        null=True,
        blank=True,
        help_text="The ONS Government Statistical Service code, e.g. E08000010.",
    )
    council_type = models.CharField(max_length=24, choices=CouncilType.choices, db_index=True)
    nation = models.CharField(max_length=20, choices=Nation.choices, db_index=True)
    region = models.CharField(max_length=30, choices=Region.choices, blank=True, db_index=True)
    website = models.URLField(blank=True)
    ended_year = models.PositiveSmallIntegerField(
        "year abolished",
        null=True,
        blank=True,
        help_text="Former councils only: the year the council ceased to exist.",
    )
    successors = models.ManyToManyField(
        "self",
        symmetrical=False,
        related_name="predecessors",
        blank=True,
        help_text="The councils that took over from a former council.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(gss_code__isnull=True) | Q(Exact(Length("gss_code"), 9)),
                name="council_gss_code_nine_characters",
            ),
            year_in_range("ended_year"),
            value_in("council_type", CouncilType),
            value_in("nation", Nation),
            value_in("region", Region, blank=True),
            *place_agrees(),
        ]

    def __str__(self) -> str:
        return f"{self.name} (former)" if self.is_former else self.name

    def save(self, *args, **kwargs) -> None:
        self.name_keys = "|" + "|".join(self.keys()) + "|"
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "name_keys"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.gss_code:
            expected = GSS_PREFIX_TYPES.get(self.gss_code[:3])
            if expected is None:
                errors.setdefault("gss_code", []).append(
                    "A council's GSS code starts with one of " + ", ".join(GSS_PREFIX_TYPES) + "."
                )
            elif self.council_type and self.council_type != expected:
                errors.setdefault("council_type", []).append(
                    f"A GSS code starting {self.gss_code[:3]} is a “{expected.label}”'s."
                )
        nation = TYPE_NATIONS.get(self.council_type)
        if nation and self.nation and self.nation != nation:
            errors.setdefault("nation", []).append(
                f"A “{CouncilType(self.council_type).label}” is in {nation.label}."
            )
        if self.region and self.nation and Region(self.region).nation != self.nation:
            errors.setdefault("region", []).append(
                f"{Region(self.region).label} is not a region of {Nation(self.nation).label}."
            )
        elif self.council_type == CouncilType.LONDON_BOROUGH and self.region not in (
            "",
            Region.LONDON,
        ):
            errors.setdefault("region", []).append("A London borough is in London.")
        if clash := self.same_name_elsewhere():
            errors.setdefault("name", []).append(clash)
        if errors:
            raise ValidationError(errors)

    @property
    def is_former(self) -> bool:
        return self.ended_year is not None

    @property
    def usual_name(self) -> str:
        """The name in reading order ("City of Bristol"), for labels."""
        return usual_name(self.name)

    @property
    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]

    @property
    def other_names(self) -> list[str]:
        """Every other name the council goes by: official, aliases, and forms made by rule."""
        return other_names(self.name, self.council_type, self.official_name, self.aliases)

    def keys(self) -> list[str]:
        return unique([name_key(n) for n in [self.name, self.official_name, *self.alias_list]])

    def same_name_elsewhere(self) -> str:
        """Why this council's names clash with another's, with a link to it; "" if they don't.

        Only councils of the same standing clash: a unitary may share a name with the county
        council it replaced ("North Yorkshire")."""
        others = Council.objects.exclude(pk=self.pk).filter(
            ended_year__isnull=self.ended_year is None
        )
        for key in self.keys():
            other = others.filter(name_keys__contains=f"|{key}|").first()
            if other:
                return format_html(
                    'The register already has <a href="{}">{}</a>, which goes by this name. '
                    "Use it, or give this council a name that tells them apart.",
                    reverse("admin:partnerships_council_change", args=[other.pk]),
                    other,
                )
        return ""


def other_names(name: str, council_type: str, official_name: str, aliases: str) -> list[str]:
    """A council's names other than `name`, from its fields (for lists read as values)."""
    listed = [official_name, *(line.strip() for line in aliases.splitlines())]
    return [n for n in unique([*listed, *derived_names(name, council_type)]) if n != name]


class Organisation(models.Model):
    name = models.CharField(max_length=200, help_text="Its current name.")
    slug = models.SlugField(max_length=200, unique=True)
    name_since = models.PositiveSmallIntegerField(
        "current name since",
        null=True,
        blank=True,
        help_text="The year it took its current name; earlier years use its former names.",
    )
    sector = models.CharField(max_length=30, choices=Sector.choices, db_index=True)
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [value_in("sector", Sector), year_in_range("name_since")]

    def __str__(self) -> str:
        return self.name

    def name_in(self, year: int | None) -> str:
        """The name it went by in `year` (its current name when the year is not known).

        Reads `former_names.all()`, so prefetch them for many organisations.
        """
        former = ((f.name, f.from_year, f.to_year) for f in self.former_names.all())
        return name_in(year, current=self.name, former=former)

    def name_valid_in(self, name: str, year: int) -> bool:
        """Whether the organisation went by `name` in `year`."""
        if name == self.name and (self.name_since is None or year >= self.name_since):
            return True
        return any(f.name == name and f.covers(year) for f in self.former_names.all())


class OrganisationName(models.Model):
    """A name an organisation went by before its current one, and in which years."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="former_names"
    )
    name = models.CharField(max_length=200)
    from_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty if it had the name from its start."
    )
    to_year = models.PositiveSmallIntegerField(help_text="The last year it had the name.")

    class Meta:
        ordering = ["organisation", "from_year", "to_year"]
        constraints = [
            year_in_range("from_year"),
            year_in_range("to_year"),
            models.CheckConstraint(
                condition=Q(from_year__isnull=True) | Q(to_year__gte=F("from_year")),
                name="organisation_name_ends_after_it_starts",
            ),
            models.UniqueConstraint(
                fields=["organisation", "name", "from_year"], name="one_former_name_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (until {self.to_year})"

    def covers(self, year: int) -> bool:
        return covers(self.from_year, self.to_year, year)


def covers(from_year: int | None, to_year: int, year: int) -> bool:
    """Whether a former name held from `from_year` (None: from the start) to `to_year` was
    the name in `year`."""
    return (from_year is None or from_year <= year) and year <= to_year


def name_in(
    year: int | None, *, current: str, former: Iterable[tuple[str, int | None, int]]
) -> str:
    """An organisation's name in `year`: the first of its former names (name, from_year,
    to_year), in their order, that covers the year, else its current name."""
    if year is not None:
        for name, from_year, to_year in former:
            if covers(from_year, to_year, year):
                return name
    return current


class Partnership(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    governance = models.CharField(max_length=30, choices=Governance.choices)
    lead_council = models.ForeignKey(
        Council,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_partnerships",
    )
    member_councils = models.ManyToManyField(Council, related_name="partnerships", blank=True)
    organisations = models.ManyToManyField(
        Organisation, through="Membership", related_name="partnerships", blank=True
    )
    start_year = models.PositiveSmallIntegerField(null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            year_in_range("start_year"),
            year_in_range("end_year"),
            value_in("governance", Governance),
            models.CheckConstraint(
                condition=Q(start_year__isnull=True)
                | Q(end_year__isnull=True)
                | Q(end_year__gte=F("start_year")),
                name="partnership_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A partner organisation's place in a partnership, and what it does there."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["partnership", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "organisation"], name="one_membership_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.partnership}"
