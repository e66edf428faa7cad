from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from catalogue.models import CaseStudy, ResponseType, Status, published_cards
from tests.factories import (
    make_case_study,
    make_council,
    make_outcome,
    make_publisher,
    make_ready_case_study,
    make_service_area,
    make_source,
)


def violates_constraint(action) -> bool:
    try:
        with transaction.atomic():
            action()
    except IntegrityError:
        return True
    return False


@pytest.mark.django_db
def test_case_study_slug_is_unique():
    case_study = make_case_study()
    assert violates_constraint(
        lambda: CaseStudy.objects.create(
            title="Another", slug=case_study.slug, summary="-", response=ResponseType.EXIT
        )
    )


@pytest.mark.django_db
def test_a_published_case_study_always_has_a_publication_date():
    case_study = make_case_study(status=Status.DRAFT)
    assert case_study.published_at is None

    assert violates_constraint(
        lambda: CaseStudy.objects.filter(pk=case_study.pk).update(status=Status.PUBLISHED)
    )

    case_study.status = Status.PUBLISHED
    case_study.save()
    assert case_study.published_at is not None


@pytest.mark.django_db
def test_response_type_must_be_one_of_the_four():
    assert violates_constraint(lambda: make_case_study(response="surrender"))


@pytest.mark.django_db
def test_secondary_response_must_differ_from_the_primary():
    assert violates_constraint(
        lambda: make_case_study(response=ResponseType.EXIT, secondary_response=ResponseType.EXIT)
    )
    make_case_study(response=ResponseType.EXIT, secondary_response=ResponseType.COLLABORATE)


@pytest.mark.django_db
def test_start_year_is_in_range():
    assert violates_constraint(lambda: make_case_study(start_year=3015))


@pytest.mark.django_db
def test_status_comes_from_the_workflow():
    assert violates_constraint(lambda: make_case_study(status="secret"))


@pytest.mark.django_db
def test_an_outcome_unit_needs_a_figure():
    case_study = make_case_study()
    assert violates_constraint(lambda: make_outcome(case_study=case_study, unit="£m"))
    assert violates_constraint(lambda: make_outcome(case_study=case_study, kind="miracle"))
    assert violates_constraint(lambda: make_outcome(case_study=case_study, evidence="rumour"))


@pytest.mark.django_db
def test_a_case_study_cites_a_url_once():
    case_study = make_case_study()
    make_source(case_study=case_study, url="https://example.org/a")
    make_source(case_study=case_study, url="")
    make_source(case_study=case_study, url="")
    assert violates_constraint(
        lambda: make_source(case_study=case_study, url="https://example.org/a")
    )


@pytest.mark.django_db
def test_publishing_keeps_the_first_publication_date():
    publisher = make_publisher()
    case_study = make_ready_case_study(status=Status.IN_REVIEW)
    case_study.publish(by=publisher)
    first = case_study.published_at
    case_study.unpublish(by=publisher)
    case_study.submit(by=publisher)
    case_study.publish(by=publisher)

    case_study.refresh_from_db()
    assert case_study.status == Status.PUBLISHED
    assert case_study.published_at == first


@pytest.mark.parametrize(
    ("figure", "unit", "text"),
    [
        (Decimal("7.5"), "£m", "£7.5m"),
        (Decimal("10.00"), "£m", "£10m"),
        (Decimal("45"), "%", "45%"),
        (Decimal("4000"), "people", "4,000 people"),
        (Decimal("0.25"), "", "0.25"),
    ],
)
def test_outcome_figures_read_naturally(figure, unit, text):
    from catalogue.models import Outcome

    assert Outcome(figure=figure, unit=unit).figure_text == text


@pytest.mark.django_db
def test_published_cards_are_the_published_ones_asked_for_with_their_names_in_order():
    york, bath = make_council(name="York"), make_council(name="Bath")
    roads, care = make_service_area(name="Roads"), make_service_area(name="Care")
    shown = make_case_study(title="Shown", councils=[york, bath], service_areas=[roads, care])
    alone = make_case_study(title="Alone", councils=[], service_areas=[])
    draft = make_case_study(title="Draft", status=Status.DRAFT, councils=[york])

    # Each number of ids has SQL of its own, written once: every length gives the right ones.
    for ids, titles in [
        ([shown.pk], {"Shown"}),
        ([draft.pk, shown.pk], {"Shown"}),
        ([alone.pk, draft.pk, shown.pk, 10**9], {"Shown", "Alone"}),
        ([draft.pk], set()),
        ([], set()),
    ]:
        cards = {card.title: card for card in published_cards(ids)}
        assert set(cards) == titles, ids
    cards = {card.title: card for card in published_cards([alone.pk, shown.pk])}
    assert cards["Shown"].councils == ["Bath", "York"]
    assert cards["Shown"].service_areas == ["Care", "Roads"]
    assert cards["Alone"].councils == cards["Alone"].service_areas == []
