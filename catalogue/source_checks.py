"""Sources whose addresses need an editor's eye: staging sites, mirrors given as the original,
and addresses that have nothing to do with the publisher named.

Run as `manage.py checksources`. A finding is a prompt to look, not a proof of error: a
publisher may well use a domain that shares nothing with its name.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db.models import QuerySet

from .models import Source

# Host labels that mark a site not meant for the public (room151.dev.docandtee.com).
STAGING_LABELS = {"dev", "staging", "stage", "uat", "test", "preprod", "qa", "sandbox"}
# Sites that republish other people's documents: a copy at best, never the original. Named
# without their top-level domain, which they change (fdocuments.us, .in, .net).
MIRROR_SITES = {
    "abcdocz", "docplayer", "docsbay", "docslib", "dokumen", "fdocuments", "paperzz",
    "pdfslide", "studylib", "vdocuments", "wikimili",
}  # fmt: skip
# Official hosts: their publishers are public bodies whose names rarely match the domain.
OFFICIAL_SUFFIXES = (".gov.uk", ".gov.wales", ".gov.scot", ".nhs.uk", "parliament.uk")


@dataclass(frozen=True)
class Finding:
    source: Source
    address: str
    problem: str


def host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def is_staging(hostname: str) -> bool:
    labels = hostname.split(".")
    return hostname in {"localhost", ""} or any(label in STAGING_LABELS for label in labels[:-1])


def is_mirror(hostname: str) -> bool:
    labels = hostname.split(".")
    return len(labels) >= 2 and labels[-2] in MIRROR_SITES


def publisher_in_address(publisher: str, hostname: str) -> bool:
    """Whether the address plausibly belongs to the publisher: a word of its name, the name
    run together, or its initials appear in the host name."""
    if hostname.endswith(OFFICIAL_SUFFIXES):
        return True
    words = [w for w in re.findall(r"[a-z0-9]+", publisher.lower()) if w not in {"the", "of"}]
    squashed = hostname.replace("-", "").replace(".", "")
    initials = "".join(word[0] for word in words)
    candidates = [w for w in words if len(w) >= 3] + ["".join(words)]
    if len(initials) >= 2:
        candidates.append(initials)
    return any(candidate in squashed for candidate in candidates)


def check_source(source: Source) -> list[Finding]:
    findings = []
    for address in (source.url, source.copy_url):
        if address and is_staging(host(address)):
            findings.append(Finding(source, address, "on a staging or test site"))
    if source.url and is_mirror(host(source.url)):
        findings.append(
            Finding(source, source.url, "a document-sharing site given as the original")
        )
    elif (
        source.url
        and source.publisher
        and not is_staging(host(source.url))
        and not publisher_in_address(source.publisher, host(source.url))
    ):
        findings.append(
            Finding(source, source.url, f"on a site unrelated to {source.publisher!r}")
        )
    return findings


def questionable_sources(sources: QuerySet[Source]) -> list[Finding]:
    """Every finding for `sources`, in the case studies' order."""
    return [
        finding
        for source in sources.select_related("case_study").order_by("case_study__slug", "pk")
        for finding in check_source(source)
    ]
