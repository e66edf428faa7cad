"""The codebook documents every value and every column, and the exports use nothing else."""

import pytest

from catalogue import exports
from catalogue.models import (
    Confidence,
    EvidenceStrength,
    OutcomeKind,
    ResponseType,
    ServiceArea,
)
from partnerships.models import CouncilType, Governance, Nation, Region, Sector
from tests.factories import (
    make_case_study,
    make_council,
    make_organisation,
    make_outcome,
    make_partnership,
    make_service_area,
    make_source,
)
from tests.outputs import csv_rows, json_data

VOCABULARIES = {
    "response_types": ResponseType,
    "council_types": CouncilType,
    "nations": Nation,
    "regions": Region,
    "sectors": Sector,
    "governance": Governance,
    "outcome_kinds": OutcomeKind,
    "evidence_strengths": EvidenceStrength,
    "confidence": Confidence,
}


def codebook_values(client) -> dict[str, dict[str, dict]]:
    codebook = json_data(client.get("/codebook.json"))
    return {
        vocabulary["name"]: {value["value"]: value for value in vocabulary["values"]}
        for vocabulary in codebook["vocabularies"]
    }


@pytest.mark.django_db
def test_codebook_gives_every_vocabulary_value_its_label_and_definition(client):
    ServiceArea.objects.create(
        slug="libraries", name="Libraries", description="Public libraries and archives."
    )

    values = codebook_values(client)
    page = client.get("/codebook/").content.decode()

    assert set(values) == {*VOCABULARIES, "service_areas"}
    for name, vocabulary in VOCABULARIES.items():
        assert list(values[name]) == vocabulary.values, name
        for member in vocabulary:
            assert values[name][member.value]["label"] == member.label
            assert values[name][member.value]["definition"] == member.definition
            assert f"<code>{member.value}</code>" in page
    assert values["service_areas"]["libraries"] == {
        "value": "libraries",
        "label": "Libraries",
        "definition": "Public libraries and archives.",
    }
    assert "Public libraries and archives." in page


@pytest.mark.django_db
def test_codebook_documents_every_column_and_nested_field(client):
    codebook = json_data(client.get("/codebook.json"))
    page = client.get("/codebook/").content.decode()
    header = list(csv_rows_with_one_case_study(client)[0])

    assert [column["name"] for column in codebook["columns"]] == header
    for column in codebook["columns"]:
        assert column["meaning"].strip() and column["type"].strip()
        assert f'<code id="column-{column["name"]}">{column["name"]}</code>' in page
    nested = {group["name"]: group for group in codebook["nested"]}
    assert set(nested) == set(exports.NESTED)
    assert not set(nested) & set(header), "a nested list must not hide a column in JSON"
    for group in nested.values():
        assert all(field["meaning"].strip() for field in group["fields"])
    assert [field["name"] for field in codebook["meta"]] == [n for n, _ in exports.META_FIELDS]
    vocabularies = {vocabulary["name"] for vocabulary in codebook["vocabularies"]}
    for field in [*codebook["columns"], *(f for g in nested.values() for f in g["fields"])]:
        assert field["vocabulary"] in vocabularies | {""}, field["name"]


def csv_rows_with_one_case_study(client) -> list[dict[str, str]]:
    make_case_study()
    return csv_rows(client.get("/case-studies/export.csv"))


@pytest.mark.django_db
def test_codebook_explains_the_file_choices(client):
    page = client.get("/codebook/").content.decode()

    assert "byte-order mark" in page
    assert "leading apostrophe" in page
    assert "vertical bar" in page


@pytest.mark.django_db
def test_exports_use_only_values_the_codebook_lists(client):
    """Every coded value of every column and nested field, over data using every vocabulary."""
    areas = [make_service_area(), make_service_area()]
    councils = [
        make_council(council_type=council_type, nation=Region(region).nation, region=region)
        for council_type, region in zip(
            [*CouncilType.values, *[CouncilType.ASSOCIATION] * 2],
            [
                # Every type and every region, each council's type fitting its place.
                *[Region.NORTH_EAST, Region.NORTH_WEST, Region.YORKSHIRE, Region.EAST_MIDLANDS],
                *[Region.LONDON, Region.WALES, Region.SCOTLAND, Region.NORTHERN_IRELAND],
                *[Region.WEST_MIDLANDS, Region.EAST, Region.SOUTH_EAST, Region.SOUTH_WEST],
            ],
            strict=True,
        )
    ]
    organisations = [make_organisation(sector=sector) for sector in Sector.values]
    for n, governance in enumerate(Governance.values):
        case_study = make_case_study(
            response=ResponseType.values[n % 4],
            secondary_response=ResponseType.values[(n + 1) % 4] if n % 2 else "",
            service_areas=areas[: n % 2 + 1],
            councils=councils[n % 5 : n % 5 + 3],
            partnership=make_partnership(
                governance=governance, partners={organisations[n]: "A role"}
            ),
        )
        make_outcome(
            case_study=case_study,
            kind=OutcomeKind.values[n % 4],
            evidence=EvidenceStrength.values[n % 3],
            confidence=Confidence.values[n % 3],
        )
        make_source(case_study=case_study)
    values = codebook_values(client)
    codebook = json_data(client.get("/codebook.json"))
    coded = {c["name"]: c["vocabulary"] for c in codebook["columns"] if c["vocabulary"]}
    rows = csv_rows(client.get("/case-studies/export.csv"))
    records = json_data(client.get("/case-studies/export.json"))["case_studies"]

    assert len(rows) == len(Governance.values)
    used: dict[str, set[str]] = {}
    for row in rows:
        for column, vocabulary in coded.items():
            for value in row[column].split(exports.SEPARATOR):
                if value:
                    assert value in values[vocabulary], (column, value)
                    used.setdefault(vocabulary, set()).add(value)
    for record in records:
        for group in codebook["nested"]:
            for item in record[group["name"]]:
                for field in group["fields"]:
                    if field["vocabulary"] and item[field["name"]] is not None:
                        assert item[field["name"]] in values[field["vocabulary"]], field["name"]
    # The data above really exercised the vocabularies it claims to check.
    assert used["response_types"] == set(ResponseType.values)
    assert used["governance"] == set(Governance.values)
    assert used["council_types"] >= {"county", "district", "unitary"}
    assert used["sectors"] == set(Sector.values[: len(Governance.values)])
