import pytest

from catalogue.models import Confidence, EvidenceStrength, OutcomeKind, ResponseType, Status
from partnerships.models import CouncilType, Governance, Nation, Region, Sector

VOCABULARIES = [
    ResponseType, Status, OutcomeKind, EvidenceStrength, Confidence,
    CouncilType, Governance, Nation, Region, Sector,
]  # fmt: skip


@pytest.mark.parametrize("vocabulary", VOCABULARIES, ids=lambda v: v.__name__)
def test_every_value_has_a_label_and_a_definition(vocabulary):
    assert set(vocabulary.definitions) == set(vocabulary.values)
    for member in vocabulary:
        assert member.label and member.definition.strip()


def test_response_types_are_exactly_the_four():
    assert ResponseType.values == ["fight", "adapt", "exit", "collaborate"]
