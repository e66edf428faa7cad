"""Controlled vocabularies: each value has a URL-safe value, a human label and a definition."""

from django.db import models

FIRST_YEAR = 1900
LAST_YEAR = 2100


class Vocabulary(models.TextChoices):
    """TextChoices whose every value also carries a plain-language definition.

    Subclasses declare `definitions = enum.nonmember({value: text})`; a test checks that
    every value has one, so the codebook and admin help never show a blank.
    """

    @property
    def definition(self) -> str:
        return type(self).definitions[self.value]

    @classmethod
    def described(cls) -> list[dict[str, str]]:
        return [
            {"value": member.value, "label": str(member.label), "definition": member.definition}
            for member in cls
        ]


def value_in(field: str, vocabulary: type[Vocabulary], *, blank: bool = False):
    """A check constraint keeping `field` to the vocabulary's values (and '' if `blank`)."""
    allowed = [*([""] if blank else []), *vocabulary.values]
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__in": allowed}),
        name=f"%(app_label)s_%(class)s_{field}_valid",
    )


def year_in_range(field: str) -> models.CheckConstraint:
    """A check constraint keeping an optional year between FIRST_YEAR and LAST_YEAR."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__isnull": True})
        | models.Q(**{f"{field}__gte": FIRST_YEAR, f"{field}__lte": LAST_YEAR}),
        name=f"%(app_label)s_%(class)s_{field}_in_range",
    )
