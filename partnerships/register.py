"""The council register: every UK council, loaded from the hex-map files in fixtures/councils/.

The 2023 district file gives every single-tier and lower-tier council; the upper-tier file adds
England's county councils. `former-and-other.yaml` adds what neither has: the counties' regions,
former councils named by case studies, combined authorities and associations of councils.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.utils.text import slugify

from .models import Council, CouncilType, Nation, Region

DISTRICTS_FILE = "uk-local-authority-districts-2023.hexjson"
UPPER_TIER_FILE = "uk-upper-tier-local-authorities.hexjson"
EXTRAS_FILE = "former-and-other.yaml"

REGION_CODES = {
    "E12000001": Region.NORTH_EAST,
    "E12000002": Region.NORTH_WEST,
    "E12000003": Region.YORKSHIRE,
    "E12000004": Region.EAST_MIDLANDS,
    "E12000005": Region.WEST_MIDLANDS,
    "E12000006": Region.EAST,
    "E12000007": Region.LONDON,
    "E12000008": Region.SOUTH_EAST,
    "E12000009": Region.SOUTH_WEST,
    "W92000004": Region.WALES,
    "S92000003": Region.SCOTLAND,
    "N92000002": Region.NORTHERN_IRELAND,
}


@dataclass
class RegisterEntry:
    name: str
    council_type: str
    nation: str
    region: str = ""
    gss_code: str | None = None
    slug: str = ""
    ended_year: int | None = None
    successor_codes: list[str] = field(default_factory=list)


@dataclass
class LoadReport:
    created: int = 0
    existing: int = 0


def read_register(directory: Path) -> list[RegisterEntry]:
    """Every council the register should hold, in file order; validated, not yet saved."""
    districts = json.loads((directory / DISTRICTS_FILE).read_text())["hexes"]
    upper_tier = json.loads((directory / UPPER_TIER_FILE).read_text())["hexes"]
    extras = yaml.safe_load((directory / EXTRAS_FILE).read_text())

    entries = []
    for code, hex_ in districts.items():
        region = REGION_CODES[hex_["region"]]
        entries.append(
            RegisterEntry(
                name=hex_["n"],
                gss_code=code,
                council_type=CouncilType.from_gss_code(code),
                nation=region.nation,
                region=region,
            )
        )
    for code, region_value in extras["county_regions"].items():
        region = Region(region_value)
        entries.append(
            RegisterEntry(
                name=upper_tier[code]["n"],
                gss_code=code,
                council_type=CouncilType.COUNTY,
                nation=region.nation,
                region=region,
            )
        )
    for row in [*extras["former"], *extras["other"]]:
        region = Region(row["region"]) if row.get("region") else None
        entries.append(
            RegisterEntry(
                name=row["name"],
                gss_code=row.get("gss"),
                slug=row.get("slug", ""),
                council_type=CouncilType(row["type"]),
                nation=region.nation if region else Nation(row["nation"]),
                region=region or "",
                ended_year=row.get("ended"),
                successor_codes=row.get("successors", []),
            )
        )
    return entries


def load_council_register(*, directory: Path) -> LoadReport:
    """Add the councils the register lacks; councils already there are left as editors left them.

    Call inside a transaction: a failure part-way must leave nothing half-loaded.
    """
    entries = read_register(directory)
    report = LoadReport()
    by_code = {c.gss_code: c for c in Council.objects.exclude(gss_code=None)}
    slugs_taken = set(Council.objects.values_list("slug", flat=True))

    created: dict[str, Council] = {}
    for entry in entries:
        existing = (
            by_code.get(entry.gss_code)
            if entry.gss_code
            else Council.objects.filter(slug=entry.slug).first()
        )
        if existing:
            report.existing += 1
            continue
        slug = entry.slug or slugify(entry.name)
        if slug in slugs_taken:
            slug = f"{slug}-{entry.gss_code.lower()}"
        slugs_taken.add(slug)
        council = Council.objects.create(
            name=entry.name,
            slug=slug,
            gss_code=entry.gss_code,
            council_type=entry.council_type,
            nation=entry.nation,
            region=entry.region,
            ended_year=entry.ended_year,
        )
        if entry.gss_code:
            by_code[entry.gss_code] = council
            created[entry.gss_code] = council
        report.created += 1

    for entry in entries:
        if entry.successor_codes and entry.gss_code in created:
            created[entry.gss_code].successors.set(
                [by_code[code] for code in entry.successor_codes]
            )
    return report
