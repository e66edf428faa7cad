"""Finding councils and organisations by what an editor or a file calls them, and naming
new ones."""

from collections.abc import Iterable

from django.db import models
from django.utils.text import slugify

from .models import Council, Organisation
from .names import name_key as council_name_key


def name_key(name: str) -> str:
    """Names compared as a reader compares them: case, spacing and punctuation aside."""
    return slugify(name)


class CouncilLookup:
    """Every council, found by GSS code, slug or name (one query, then dictionary look-ups).

    The one place that says what a council reference may be: the import and anything else
    that takes councils by name use it, so a new kind of name (an alias, an official name)
    is added here once.
    """

    def __init__(self) -> None:
        self.by_code: dict[str, Council] = {}
        self.by_slug: dict[str, Council] = {}
        names: dict[str, list[Council]] = {}
        for council in Council.objects.all():
            self.by_slug[council.slug] = council
            if council.gss_code:
                self.by_code[council.gss_code] = council
            # Every name the register knows it by: ONS, official, aliases, usual forms.
            for key in council.keys():  # noqa: SIM118 (a Council, not a dict)
                names.setdefault(key, []).append(council)
        # A name two councils share (a former council and its successor) finds neither.
        self.by_name = {key: found[0] for key, found in names.items() if len(found) == 1}

    def find(self, reference: str) -> Council | None:
        reference = reference.strip()
        return (
            self.by_code.get(reference.upper())
            or self.by_slug.get(reference)
            or self.by_name.get(council_name_key(reference))
        )


def organisations_by_name() -> dict[str, Organisation]:
    """Every partner organisation, keyed by `name_key` of its name."""
    return {name_key(o.name): o for o in Organisation.objects.only("pk", "name", "slug", "sector")}


SUFFIXES = ["", *(f"-{n}" for n in range(2, 10))]


def unique_slugs(model: type[models.Model], names: Iterable[str]) -> list[str]:
    """A free slug for each name: its slugified form, with -2, -3... if that is taken."""
    names = list(names)
    bases = [slugify(name)[:190] or "unnamed" for name in names]
    if not bases:
        return []
    # base, base-2 ... base-9 looked up in one query; a clash beyond that fails at the insert.
    taken = set(
        model.objects.filter(
            slug__in=[f"{b}{suffix}" for b in bases for suffix in SUFFIXES]
        ).values_list("slug", flat=True)
    )
    slugs = []
    for base in bases:
        slug, number = base, 1
        while slug in taken:
            number += 1
            slug = f"{base}-{number}"
        taken.add(slug)
        slugs.append(slug)
    return slugs
