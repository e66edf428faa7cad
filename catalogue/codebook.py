"""The codebook: every vocabulary's values with their meaning, and every export field.

Served at /codebook/ and /codebook.json. The fields come from `catalogue.exports`, so a column
cannot be exported without appearing here; each vocabulary here lists the values the exports
may contain.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from partnerships.models import CouncilType, Governance, Nation, Region, Sector

from . import exports
from .citations import LICENCE, SITE_NAME, TRANSFORMING_TOGETHER
from .models import Confidence, EvidenceStrength, OutcomeKind, ResponseType, ServiceArea


@dataclass(frozen=True)
class VocabularyEntry:
    name: str
    title: str
    about: str
    values: Callable[[], list[dict[str, str]]]


def service_areas_described() -> list[dict[str, str]]:
    return [
        {"value": slug, "label": name, "definition": description}
        for slug, name, description in ServiceArea.objects.order_by("name").values_list(
            "slug", "name", "description"
        )
    ]


VOCABULARIES: list[VocabularyEntry] = [
    VocabularyEntry(
        "response_types",
        "Response types",
        "Adam Kahane's four ways to respond to an unwanted situation, as the RSA's "
        f"{TRANSFORMING_TOGETHER.short_title} report ({TRANSFORMING_TOGETHER.year}) applied "
        "them to councils.",
        ResponseType.described,
    ),
    VocabularyEntry(
        "service_areas",
        "Service areas",
        "The council services a case study concerns; editors maintain this list.",
        service_areas_described,
    ),
    VocabularyEntry(
        "council_types",
        "Council types",
        "The kind of council, following the ONS GSS code prefixes.",
        CouncilType.described,
    ),
    VocabularyEntry("nations", "Nations", "The UK nation a council is in.", Nation.described),
    VocabularyEntry(
        "regions",
        "Regions",
        "England's nine ONS regions; Wales, Scotland and Northern Ireland count as one each.",
        Region.described,
    ),
    VocabularyEntry(
        "sectors", "Partner sectors", "The sector a partner organisation is in.", Sector.described
    ),
    VocabularyEntry(
        "governance",
        "Partnership governance",
        "How a partnership is organised and makes decisions.",
        Governance.described,
    ),
    VocabularyEntry(
        "outcome_kinds",
        "Outcome kinds",
        "Whether an outcome is a result, a projection, context or contested.",
        OutcomeKind.described,
    ),
    VocabularyEntry(
        "evidence_strengths",
        "Evidence strengths",
        "How strong the evidence for an outcome is, from weakest to strongest.",
        EvidenceStrength.described,
    ),
    VocabularyEntry(
        "confidence",
        "Confidence",
        "How sure we are that the cited source supports what we wrote.",
        Confidence.described,
    ),
]

# The vocabularies that grade an outcome: the detail page's outcome table explains them.
OUTCOME_TERMS = ["outcome_kinds", "evidence_strengths", "confidence"]


def outcome_terms() -> list[dict[str, Any]]:
    return [
        {"name": v.name, "title": v.title, "about": v.about, "values": v.values()}
        for v in VOCABULARIES
        if v.name in OUTCOME_TERMS
    ]


FILE_NOTES = [
    (
        "Encoding",
        "CSV files are UTF-8 with a byte-order mark, so Excel opens them with £ signs and "
        "accents intact; Python (encoding='utf-8-sig'), pandas and R skip the mark. JSON "
        "files are UTF-8 without one.",
    ),
    (
        "One row per case study",
        "Each CSV row and each JSON record is one published case study. Drafts and case "
        "studies in review are never exported.",
    ),
    (
        "Several values in one cell",
        f"Lists are separated by “{exports.SEPARATOR.strip()}” (a vertical bar with a space "
        "either side) in CSV and are arrays in JSON. Lists about the same councils, or the same "
        "partners, run in the same order, so their nth values belong together.",
    ),
    (
        "Text that looks like a formula",
        "A CSV cell that begins with =, +, -, @, a tab or a carriage return gets a leading "
        "apostrophe (') so that a spreadsheet shows it as text instead of running it. Remove "
        "that apostrophe if you read the file with code; the JSON export has the text as is.",
    ),
    ("Empty values", "An empty CSV cell is null in JSON: not recorded or not applicable."),
    (
        "Licence",
        f"The catalogue's own text and data are licensed under {LICENCE['name']}: reuse "
        f"them with credit to the {SITE_NAME.lower()}. The JSON "
        "export's meta block says so too; a CSV file has no place for it. Council names and "
        "GSS codes are from the Office for National Statistics, under the Open Government "
        "Licence v3.0. The sources cited keep their own terms.",
    ),
    ("Dates", "Date-times are ISO 8601 in UTC, e.g. 2026-11-28T10:15:00Z."),
]


def field_entry(field: exports.Field) -> dict[str, str]:
    return {
        "name": field.name,
        "meaning": field.meaning,
        "type": field.type,
        "vocabulary": field.vocabulary,
    }


def codebook(*, urls: dict[str, str]) -> dict[str, Any]:
    """The whole codebook as data; `urls` gives absolute addresses of the outputs it explains."""
    return {
        "title": f"Codebook of the {SITE_NAME.lower()}",
        "licence": LICENCE,
        "report": TRANSFORMING_TOGETHER.as_dict(),
        "outputs": urls,
        "files": [{"topic": topic, "note": note} for topic, note in FILE_NOTES],
        "columns": [field_entry(column) for column in exports.COLUMNS],
        "nested": [
            {
                "name": name,
                "meaning": meaning,
                "fields": [field_entry(field) for field in fields],
            }
            for name, (meaning, fields, _items) in exports.NESTED.items()
        ],
        "meta": [{"name": name, "meaning": meaning} for name, meaning in exports.META_FIELDS],
        "vocabularies": [
            {
                "name": vocabulary.name,
                "title": vocabulary.title,
                "about": vocabulary.about,
                "values": vocabulary.values(),
            }
            for vocabulary in VOCABULARIES
        ],
    }
