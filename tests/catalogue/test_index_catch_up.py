"""After an edit each process's facet index catches up by reading again only the case studies
the edit changed (facets.updated_index), and answers exactly as an index built from scratch."""

import re

import pytest

from catalogue import facets
from catalogue.models import (
    CaseStudy,
    CatalogueChange,
    CatalogueVersion,
    EvidenceStrength,
    ResponseType,
    Status,
)
from partnerships.models import Region, Sector
from tests.factories import (
    make_case_study,
    make_council,
    make_organisation,
    make_outcome,
    make_partnership,
    make_publisher,
    make_ready_case_study,
    make_service_area,
)


def answers(index: facets.FacetIndex) -> dict:
    """Everything a page can ask of an index, by case study id (not position)."""
    return {
        "total": index.everything.bit_count(),
        "options": {
            facet: {value: sorted(index.ids_in(bits)) for value, bits in found.items()}
            for facet, found in index.options.items()
        },
        "years": {year: sorted(index.ids_in(bits)) for year, bits in index.years.items()},
        "orders": {name: index.ordered_ids(index.everything, name) for name in index.orders},
        "newest in turn": index.newest_in_turn("response", 10),
        "known": sorted(index.ids_in(index.of_ids(all_ids()))),
        "names": (index.council_names, index.council_also, index.council_keys),
        "former councils": index.former_councils,
        "service areas": index.service_areas,
        # What a small result set's counts are read from (FacetIndex.counts).
        "counted by position": {
            facet: by_position.counts(index.positions_in(index.everything))
            for facet, by_position in index.values_at.items()
        },
    }


def all_ids() -> list[int]:
    return list(CaseStudy.objects.values_list("pk", flat=True))


def caught_up(index: facets.FacetIndex) -> facets.FacetIndex:
    """`index` after catching up, checked against a fresh build."""
    updated = facets.updated_index(index)
    assert updated is not None, "read everything again"
    assert updated.version == CatalogueVersion.current()
    assert answers(updated) == answers(facets.build_index())
    for facet in facets.COUNTED_BY_POSITION:
        by_bitmap = {value: bits.bit_count() for value, bits in updated.options[facet].items()}
        assert answers(updated)["counted by position"][facet] == by_bitmap
    return updated


@pytest.fixture
def catalogue():
    north, south = (
        make_council(name="Northtown"),
        make_council(name="Southby", region=Region.LONDON),
    )
    care, waste = make_service_area(name="Adult care"), make_service_area(name="Waste")
    partnership = make_partnership(partners={make_organisation(sector=Sector.NHS): "Lead"})
    made = [
        make_case_study(
            title=f"Case {letter}",
            response=response,
            start_year=year,
            councils=councils,
            service_areas=areas,
            partnership=partnership if letter in "AC" else None,
        )
        for letter, response, year, councils, areas in [
            ("A", ResponseType.EXIT, 2012, [north], [care]),
            ("B", ResponseType.FIGHT, None, [south], [waste]),
            ("C", ResponseType.COLLABORATE, 2016, [north, south], [care, waste]),
            ("D", ResponseType.ADAPT, 2014, [south], [care]),
        ]
    ]
    make_outcome(case_study=made[0], evidence=EvidenceStrength.INDEPENDENTLY_EVALUATED)
    return {"cases": made, "councils": (north, south), "areas": (care, waste)}


@pytest.mark.django_db
def test_an_edit_to_a_case_studys_facets_title_and_year_is_caught_up(catalogue):
    a, b, c, d = catalogue["cases"]
    north, south = catalogue["councils"]
    index = facets.build_index()

    b.response, b.title, b.start_year = ResponseType.COLLABORATE, "Another title", 2011
    b.save()
    b.councils.set([north])
    b.service_areas.add(catalogue["areas"][0])
    make_outcome(case_study=d, evidence=EvidenceStrength.REPORTED)

    updated = caught_up(index)
    assert updated.ordered_ids(updated.everything, "title")[0] == b.pk  # moved to the front
    assert updated.ids is index.ids  # no case study new to it: its positions are shared
    assert index.options["response"]["fight"]  # the old index, which requests may be reading,
    assert index.version != updated.version  # is as it was


@pytest.mark.django_db
def test_unpublishing_and_publishing_again_are_caught_up(catalogue):
    a, b, c, d = catalogue["cases"]
    index = facets.build_index()

    c.status = Status.DRAFT
    c.save()
    unpublished = caught_up(index)
    assert unpublished.everything.bit_count() == 3
    assert c.pk not in unpublished.ids_in(
        unpublished.select("council", [catalogue["councils"][0].slug])
    )

    c.status = Status.PUBLISHED
    c.save()
    assert caught_up(unpublished).everything.bit_count() == 4


@pytest.mark.django_db
def test_newly_published_case_studies_of_any_age_are_caught_up(catalogue):
    north, _ = catalogue["councils"]
    older_draft = make_ready_case_study(title="Older draft", status=Status.IN_REVIEW)
    westham = make_council(name="Westham")  # in no published case study yet
    index = facets.build_index()

    newest = make_case_study(
        title="Brand new",
        councils=[north, westham],
        service_areas=[catalogue["areas"][1]],
        response=ResponseType.EXIT,
    )
    once = caught_up(index)
    assert once.ordered_ids(once.everything, "newest")[0] == newest.pk
    # A draft older than a case study the index holds: its position comes after them.
    older_draft.publish(by=make_publisher())
    twice = caught_up(once)
    assert twice.position(older_draft.pk) == len(twice.ids) - 1
    assert twice.has("response", older_draft.response, older_draft.pk)


@pytest.mark.django_db
def test_a_deleted_case_study_is_caught_up(catalogue):
    a, b, c, d = catalogue["cases"]
    index = facets.build_index()

    a.delete()

    updated = caught_up(index)
    assert updated.everything.bit_count() == 3
    assert "independently-evaluated" not in updated.options["evidence"]


@pytest.mark.django_db
def test_several_versions_and_case_studies_are_caught_up_at_once(catalogue):
    a, b, c, d = catalogue["cases"]
    index = facets.build_index()

    for case_study, title in [(a, "Zebra crossing"), (d, "Aardvark"), (c, "Middle")]:
        case_study.title = title
        case_study.save()
    b.status = Status.DRAFT
    b.save()
    north, _ = catalogue["councils"]
    for title in ["Middle", "Middle", "Aardvark", "Zz"]:  # new, some sorting the same
        make_case_study(title=title, councils=[north], service_areas=[catalogue["areas"][0]])

    caught_up(index)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        "rename a council",
        "a council new to the index",
        "a council no longer in use",
        "a partner's sector",
        "its version left the log",
    ],
)
def test_what_only_a_full_build_reads_is_built_again(catalogue, change, monkeypatch):
    a, b, c, d = catalogue["cases"]
    north, south = catalogue["councils"]
    index = facets.build_index()

    if change == "rename a council":
        north.name = "Northtown and District"
        north.save()
    elif change == "a council new to the index":
        b.councils.add(make_council(name="Newcastle"))
    elif change == "a council no longer in use":
        a.councils.set([south])
        c.councils.set([south])
    elif change == "a partner's sector":
        membership = a.partnership.memberships.get()
        membership.organisation.sector = Sector.PRIVATE
        membership.organisation.save()
    else:
        monkeypatch.setattr(CatalogueChange, "KEPT", 0)
        monkeypatch.setattr(CatalogueChange, "PRUNE_EVERY", 1)
        a.title = "Pruned"
        a.save()

    assert facets.updated_index(index) is None


@pytest.mark.django_db
def test_a_reader_after_a_publish_sees_it_without_a_full_build(client, monkeypatch):
    make_case_study(title="Already there", response=ResponseType.EXIT)
    draft = make_ready_case_study(
        title="Just published", status=Status.IN_REVIEW, response=ResponseType.EXIT
    )
    monkeypatch.setattr(facets, "_index", None)
    assert "Just published" not in client.get("/case-studies/?response=exit").content.decode()
    monkeypatch.setattr(facets, "build_index", lambda: pytest.fail("read everything again"))

    draft.publish(by=make_publisher())

    page = client.get("/case-studies/?response=exit").content.decode()
    assert re.search(r'data-result-count="2"', page)
    assert "Just published" in page


@pytest.mark.django_db
def test_counts_by_position_right_after_a_publish_count_it(client, monkeypatch):
    monkeypatch.setattr(facets, "POSITION_COSTS_BITS", 0)  # every result set counted by position
    north, south = make_council(name="Northtown"), make_council(name="Southby")
    care, waste = make_service_area(name="Adult care"), make_service_area(name="Waste")
    make_case_study(response=ResponseType.EXIT, councils=[north], service_areas=[care])
    draft = make_ready_case_study(
        status=Status.IN_REVIEW,
        response=ResponseType.EXIT,
        councils=[south],
        service_areas=[care, waste],
    )
    monkeypatch.setattr(facets, "_index", None)
    client.get("/case-studies/?response=exit")  # the index, before the publish

    draft.publish(by=make_publisher())

    page = client.get("/case-studies/?response=exit")
    counts = {
        (facet["name"], option["value"]): option["count"]
        for facet in page.context["facets"]
        for option in facet["options"]
    }
    assert counts[("council", north.slug)] == counts[("council", south.slug)] == 1
    assert (counts[("service", care.slug)], counts[("service", waste.slug)]) == (2, 1)


@pytest.mark.django_db(transaction=True)  # as in a worker, where a build runs in a thread
def test_the_reader_right_after_a_publish_sees_it_on_a_worker(client, settings, monkeypatch):
    settings.CATALOGUE_INDEX_IN_BACKGROUND = True
    make_case_study(title="Already there", response=ResponseType.EXIT)
    draft = make_ready_case_study(
        title="Just published", status=Status.IN_REVIEW, response=ResponseType.EXIT
    )
    monkeypatch.setattr(facets, "_index", None)
    client.get("/case-studies/?response=exit")  # the worker's first index
    monkeypatch.setattr(facets, "build_index", lambda: pytest.fail("read everything again"))

    draft.publish(by=make_publisher())

    # The first request after the publish catches up and shows it: no waiting for a thread.
    page = client.get("/case-studies/?response=exit").content.decode()
    assert re.search(r'data-result-count="2"', page)
    assert "Just published" in page


@pytest.mark.django_db
def test_a_few_case_studies_sorted_come_in_the_order_a_walk_gives(catalogue, monkeypatch):
    """A list of few (a search, three filters) sorts them by their places in the order rather
    than walk the whole order: the same page, in every order, after a catch-up too."""
    a, b, c, d = catalogue["cases"]
    index = facets.build_index()
    b.title, b.start_year = "Aardvark first", 2020  # moves in three orders
    b.save()
    north, _ = catalogue["councils"]
    care, _ = catalogue["areas"]
    # A position of its own, after the built ones.
    make_case_study(title="Published since", councils=[north], service_areas=[care])
    updated = caught_up(index)

    def pages(within: int) -> list:
        return [
            updated.ordered_ids(within, name, offset=offset, limit=limit)
            for name in updated.orders
            for offset, limit in [(0, None), (0, 2), (1, 2), (3, 20), (9, 1)]
        ]

    subsets = [
        updated.of_ids(ids) for ids in [[a.pk], [b.pk, d.pk], [a.pk, b.pk, c.pk], all_ids(), []]
    ]
    monkeypatch.setattr(facets, "SORTING_COSTS_A_STEP", 10**9)  # always walk
    walked = [pages(within) for within in subsets]
    monkeypatch.setattr(facets, "SORTING_COSTS_A_STEP", 0)  # always sort
    assert [pages(within) for within in subsets] == walked
    assert walked[3][5][0] == b.pk  # "Aardvark first" leads the title order, offset 0
