"""How to cite the catalogue: one case study (APA, BibTeX, RIS) or a filtered data set (APA).

Case study citations name the catalogue as the group author, give the date the case study
was last updated (APA's rule for pages that change) and the permalink by id, which survives a
change of slug.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .models import CaseStudy

SITE_NAME = "Council partnerships catalogue"
# The licence of the catalogue's own text and structured data (the case studies are written in
# our own words; the sources they cite keep their own terms).
LICENCE = {
    "name": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}
MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
# BibTeX's month macros, which styles print in their own language.
BIBTEX_MONTHS = [
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
]
COUNCILS_NAMED = 3


@dataclass(frozen=True)
class Publication:
    title: str
    authors: list[str]  # as "Surname, Initials"
    publisher: str
    year: int
    url: str

    @property
    def short_title(self) -> str:
        return self.title.partition(":")[0]

    def apa(self) -> str:
        names = self.authors
        authors = names[0] if len(names) == 1 else f"{', '.join(names[:-1])}, & {names[-1]}"
        return f"{authors} ({self.year}). {self.title}. {self.publisher}. {self.url}"

    def as_dict(self) -> dict[str, object]:
        return {
            "title": self.title,
            "authors": self.authors,
            "publisher": self.publisher,
            "year": self.year,
            "url": self.url,
            "citation": self.apa(),
        }


# The report the catalogue's four responses come from, cited from here only (the codebook,
# the exports and the pages all read it). The lead author cites it as 2017. Our copy of the
# report page was on the RSA's staging site; this is its public address.
TRANSFORMING_TOGETHER = Publication(
    title="Transforming Together: leading for people and place",
    authors=["Munro, J.", "Burbidge, I.", "Robson, J."],
    publisher="RSA",
    year=2017,
    url="https://www.thersa.org/reports/transforming-together-leading-for-people-and-place",
)


def long_date(day: date) -> str:
    """28 November 2026, whatever the server's locale."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def apa_date(day: date) -> str:
    """APA's (2026, November 28)."""
    return f"({day.year}, {MONTHS[day.month - 1]} {day.day})"


@dataclass(frozen=True)
class CaseStudyCitation:
    pk: int
    slug: str
    title: str
    permalink: str
    updated: date
    councils: list[str]
    start_year: int | None
    keywords: list[str]

    @property
    def description(self) -> str:
        """What kind of work this is, in APA's square brackets: 'Case study of Wigan, 2015'."""
        names = self.councils
        if len(names) > COUNCILS_NAMED:
            others = len(names) - COUNCILS_NAMED
            names = [*names[:COUNCILS_NAMED], f"{others} other council{'s' if others > 1 else ''}"]
        text = "Case study"
        if names:
            text += " of " + (
                names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
            )
        if self.start_year:
            text += f", started {self.start_year}"
        return text

    @property
    def last_updated(self) -> str:
        return long_date(self.updated)

    def apa(self) -> str:
        return (
            f"{SITE_NAME}. {apa_date(self.updated)}. {self.title} [{self.description}]. "
            f"{self.permalink}"
        )

    def apa_html(self) -> SafeString:
        """The APA citation with the title in italics, as APA sets it."""
        return format_html(
            "{}. {}. <i>{}</i> [{}]. {}",
            SITE_NAME,
            apa_date(self.updated),
            self.title,
            self.description,
            self.permalink,
        )

    @property
    def key(self) -> str:
        return f"cpc-case-study-{self.pk}"

    def bibtex(self) -> str:
        fields = [
            ("author", f"{{{bibtex_escape(SITE_NAME)}}}"),
            ("title", f"{{{bibtex_escape(self.title)}}}"),
            ("howpublished", bibtex_escape(self.description)),
            ("year", str(self.updated.year)),
            ("month", None),
            ("url", self.permalink),
            ("note", f"Last updated {bibtex_escape(self.last_updated)}"),
            ("keywords", bibtex_escape(", ".join(self.keywords))),
        ]
        lines = [f"@misc{{{self.key},"]
        for name, value in fields:
            if name == "month":  # a macro, so no braces
                lines.append(f"  month        = {BIBTEX_MONTHS[self.updated.month - 1]},")
            else:
                lines.append(f"  {name:<12} = {{{value}}},")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def ris(self) -> str:
        """RIS (Research Information Systems) tagged format; lines end in CRLF as it asks."""
        tags = [
            ("TY", "ELEC"),
            ("TI", self.title),
            ("AU", SITE_NAME),
            ("PY", str(self.updated.year)),
            ("DA", self.updated.strftime("%Y/%m/%d")),
            ("PB", SITE_NAME),
            ("UR", self.permalink),
            ("N1", f"{self.description}. Last updated {self.last_updated}."),
            *(("KW", keyword) for keyword in self.keywords),
            ("ER", ""),
        ]
        return "".join(f"{tag}  - {one_line(value)}\r\n" for tag, value in tags)


def cite_case_study(
    *, case_study: CaseStudy, permalink: str, councils: list[str], service_areas: list[str]
) -> CaseStudyCitation:
    """The citation of a case study, given the names of its councils and service areas in
    their order; `permalink` is the absolute URL of its id link."""
    return CaseStudyCitation(
        pk=case_study.pk,
        slug=case_study.slug,
        title=case_study.title,
        permalink=permalink,
        updated=timezone.localtime(case_study.updated_at).date(),
        councils=councils,
        start_year=case_study.start_year,
        keywords=[case_study.get_response_display(), *service_areas],
    )


def dataset_citation(
    *, description: str, version: datetime | None, retrieved: date, url: str
) -> str:
    """APA's data set form: Author. (Year). Title (Version) [Data set]. Retrieved ..., from URL."""
    year = str(version.year) if version else "n.d."
    version_text = f" (Version {isoformat(version)})" if version else ""
    title = description[:1].upper() + description[1:]
    return (
        f"{SITE_NAME}. ({year}). {title}{version_text} [Data set]. "
        f"Retrieved {long_date(retrieved)}, from {url}"
    )


def isoformat(moment: datetime) -> str:
    """ISO 8601 in UTC to the second: 2026-11-28T10:15:00Z."""
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


_BIBTEX_SPECIAL = re.compile(r"([&%$#_{}])|(~)|(\^)|(\\)")


def bibtex_escape(text: str) -> str:
    def replace(match: re.Match) -> str:
        special, tilde, caret, backslash = match.groups()
        if special:
            return "\\" + special
        if tilde:
            return r"\textasciitilde{}"
        if caret:
            return r"\textasciicircum{}"
        return r"\textbackslash{}"

    return _BIBTEX_SPECIAL.sub(replace, one_line(text))


def one_line(text: str) -> str:
    return " ".join(text.split())
