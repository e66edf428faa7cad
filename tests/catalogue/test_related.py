"""A case study's page suggests the published case studies most like it, best first."""

from datetime import UTC, datetime

import pytest

from catalogue.models import CaseStudy, ResponseType, Status
from tests.factories import make_case_study, make_council, make_partnership, make_service_area


def related_titles(client, case_study) -> list[str]:
    response = client.get(case_study.get_absolute_url())
    assert response.status_code == 200
    return [other.title for other in response.context["related"]]


def published_on(case_study, day: int) -> None:
    CaseStudy.objects.filter(pk=case_study.pk).update(
        published_at=datetime(2026, 1, day, tzinfo=UTC)
    )


@pytest.mark.django_db
def test_shared_councils_and_partnership_rank_above_a_shared_service_area(client):
    wigan, bolton = make_council(name="Wigan"), make_council(name="Bolton")
    care, housing = make_service_area(name="Care"), make_service_area(name="Housing")
    partnership = make_partnership()
    this = make_case_study(
        title="This one", councils=[wigan], service_areas=[care], partnership=partnership
    )
    area_only = make_case_study(
        title="Same area", councils=[bolton], service_areas=[care], response=ResponseType.EXIT
    )
    council_and_area = make_case_study(
        title="Same council and area", councils=[wigan], service_areas=[care]
    )
    same_partnership = make_case_study(
        title="Same partnership",
        councils=[bolton],
        service_areas=[housing],
        partnership=partnership,
        response=ResponseType.EXIT,
    )
    make_case_study(
        title="Nothing shared", councils=[bolton], service_areas=[housing], response="fight"
    )
    make_case_study(title="A draft", councils=[wigan], service_areas=[care], status=Status.DRAFT)
    for day, case_study in enumerate([this, area_only, council_and_area, same_partnership], 1):
        published_on(case_study, day)

    assert related_titles(client, this) == [
        # council 3 + area 2 + response 2; partnership 3; area 2 (exit, not collaborate)
        council_and_area.title,
        same_partnership.title,
        area_only.title,
    ]
    page = client.get(this.get_absolute_url()).content.decode()
    related = page[page.index('id="related"') :]
    assert (
        'Same council and area</a> <span class="muted">(also collaborate; also in care; '
        "also involves Wigan)" in related
    )
    assert 'Same partnership</a> <span class="muted">(same partnership)' in related


@pytest.mark.django_db
def test_ties_go_to_the_newest_and_five_are_shown(client):
    care = make_service_area(name="Care")
    this = make_case_study(title="This one", service_areas=[care])
    others = [make_case_study(title=f"Other {n}", service_areas=[care]) for n in range(7)]
    for day, other in enumerate(others, 1):
        published_on(other, day)

    assert related_titles(client, this) == [f"Other {n}" for n in range(6, 1, -1)]
