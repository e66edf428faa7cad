"""Addresses reversed once per process: they never change while it runs, and reverse() for
each of a page's links (twenty cards, five related case studies, the header and footer) cost
more than the rest of a stored case study page."""

import functools
from urllib.parse import quote

from django.urls import reverse


@functools.cache
def fixed_path(name: str, *args: str) -> str:
    """reverse(name, args=args), remembered: for addresses with no part that varies by page."""
    return reverse(name, args=args)


def case_study_path(slug: str) -> str:
    """A case study's address: its slug between the parts of the pattern's address."""
    before, after = _around_a_slug()
    return f"{before}{quote(slug, safe='')}{after}"


@functools.cache
def _around_a_slug() -> tuple[str, str]:
    before, _, after = reverse("catalogue:case_study_detail", args=["slug"]).rpartition("slug")
    return before, after
