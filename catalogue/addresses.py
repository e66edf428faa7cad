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
    """A case study's address."""
    return path_with("catalogue:case_study_detail", slug)


def path_with(name: str, value: str | int) -> str:
    """reverse(name, args=[value]) for an address with one part that varies, such as a slug or
    an id: the value between the rest, which is reversed once."""
    before, after = _around_a_value(name, isinstance(value, int))
    return f"{before}{quote(str(value), safe='')}{after}"


@functools.cache
def _around_a_value(name: str, number: bool) -> tuple[str, str]:
    placeholder = "9081726354" if number else "a-placeholder"
    before, _, after = reverse(name, args=[placeholder]).rpartition(placeholder)
    return before, after
