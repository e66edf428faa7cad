"""The council register: every UK council, loaded from the hex-map files in fixtures/councils/.

The 2023 district file gives every single-tier and lower-tier council; the upper-tier file adds
England's county councils. `former-and-other.yaml` adds what neither has: the counties' regions,
former councils with their successors, combined authorities and associations of councils;
`official-names.yaml` the councils' own names that the research gives.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.utils.text import slugify

from .models import Council, CouncilType, Nation, Region
from .names import name_key, unique

DISTRICTS_FILE = "uk-local-authority-districts-2023.hexjson"
UPPER_TIER_FILE = "uk-upper-tier-local-authorities.hexjson"
EXTRAS_FILE = "former-and-other.yaml"
OFFICIAL_NAMES_FILE = "official-names.yaml"

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
    official_name: str = ""
    aliases: list[str] = field(default_factory=list)


@dataclass
class LoadReport:
    created: int = 0
    existing: int = 0
    updated: int = 0


def read_register(directory: Path) -> list[RegisterEntry]:
    """Every council the register should hold, in file order; validated, not yet saved."""
    districts = json.loads((directory / DISTRICTS_FILE).read_text())["hexes"]
    upper_tier = json.loads((directory / UPPER_TIER_FILE).read_text())["hexes"]
    extras = yaml.safe_load((directory / EXTRAS_FILE).read_text())
    official = yaml.safe_load((directory / OFFICIAL_NAMES_FILE).read_text())["official_names"]

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
                aliases=row.get("aliases", []),
            )
        )
    by_code = {entry.gss_code: entry for entry in entries if entry.gss_code}
    for row in official:
        by_code[row["gss"]].official_name = row["name"]
    return entries


def load_council_register(*, directory: Path, update: bool = False) -> LoadReport:
    """Add the councils the register lacks; councils already there are left as editors left them.

    With `update`, councils already there also gain what the files add to them and they
    lack: an official name, aliases, the year a council ended and its successors. A council is
    there if its GSS code, its slug or (for one without a code) one of its names matches.
    Call inside a transaction: a failure part-way must leave nothing half-loaded.
    """
    entries = read_register(directory)
    report = LoadReport()
    councils = list(Council.objects.all())
    by_code = {c.gss_code: c for c in councils if c.gss_code}
    by_slug = {c.slug: c for c in councils}
    slugs_taken = set(by_slug)

    saved: list[tuple[RegisterEntry, Council]] = []
    for entry in entries:
        existing = by_code.get(entry.gss_code) if entry.gss_code else find(entry, by_slug)
        if existing:
            report.existing += 1
            if update and bring_up_to_date(existing, entry):
                report.updated += 1
                saved.append((entry, existing))
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
            official_name=entry.official_name,
            aliases="\n".join(entry.aliases),
        )
        if entry.gss_code:
            by_code[entry.gss_code] = council
        by_slug[slug] = council
        report.created += 1
        saved.append((entry, council))

    for entry, council in saved:
        if entry.successor_codes and not council.successors.exists():
            council.successors.set([by_code[code] for code in entry.successor_codes])
    return report


def find(entry: RegisterEntry, by_slug: dict[str, Council]) -> Council | None:
    """The council a register entry without a GSS code stands for: by slug, else by name (an
    editor may already have added "COSLA" by hand), among councils current or former alike."""
    slug = entry.slug or slugify(entry.name)
    if slug in by_slug:
        return by_slug[slug]
    keys = {name_key(n) for n in [entry.name, entry.official_name, *entry.aliases] if n}
    for council in by_slug.values():
        if council.is_former == (entry.ended_year is not None) and keys & council_keys(council):
            return council
    return None


def council_keys(council: Council) -> set[str]:
    return set(council.name_keys.strip("|").split("|"))


def bring_up_to_date(council: Council, entry: RegisterEntry) -> bool:
    """Give a council what the register's files add and it lacks; True if anything changed."""
    changed = False
    if entry.official_name and not council.official_name:
        council.official_name = entry.official_name
        changed = True
    aliases = unique([*council.alias_list, *entry.aliases])
    if aliases != council.alias_list:
        council.aliases = "\n".join(aliases)
        changed = True
    if entry.ended_year and council.ended_year is None:
        council.ended_year = entry.ended_year
        changed = True
    if changed:
        council.save()
    return changed or bool(entry.successor_codes and not council.successors.exists())
