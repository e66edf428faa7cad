"""Whole rendered pages, cached for anonymous readers and keyed on the catalogue's version.

Every change to anything a page shows gives the catalogue a new version (CatalogueVersion),
so a cached page can never be served after an edit: the next request misses and renders.
Editors (signed in) always get a fresh page. CATALOGUE_CACHE=0 turns it off.

A page's key holds what the page depends on and nothing else: the catalogue's version, the
scheme and host (pages carry absolute permalinks and citations), the path, and the query
string as the view reads it. Each view says which parameters it reads through its `query`
function, which puts them in one spelling (known names only, defaults dropped, sorted); the
page is rendered from that normalised query, so a junk parameter (`?utm_source=...`) is
answered with the normal page and never makes an entry of its own. A view marks a page that
reports a mistake in its query `Cache-Control: no-store`, and such a page is not kept.

Every cacheable page has an ETag made from its key: a browser or proxy that sends it back in
If-None-Match gets a 304 without the page being rendered or read from the cache.
"""

from collections.abc import Callable
from functools import wraps
from hashlib import sha256

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, QueryDict
from django.utils.http import parse_etags

from .facets import index_is_behind
from .models import CatalogueVersion

TIMEOUT = 60 * 60 * 24

QueryNormaliser = Callable[[QueryDict], QueryDict | None]


def no_parameters(query: QueryDict) -> QueryDict:
    """For a page that reads nothing from its query string."""
    return QueryDict()


def page_key(request: HttpRequest, query: QueryDict, version: str) -> str:
    """A digest of the catalogue's version and the page's absolute address."""
    address = request.build_absolute_uri(request.path + "?" + query.urlencode())
    return sha256(f"{version} {address}".encode()).hexdigest()


def not_modified(request: HttpRequest, etag: str) -> bool:
    sent = parse_etags(request.headers.get("If-None-Match", ""))
    return "*" in sent or etag in sent or f"W/{etag}" in sent


def storable(response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and "no-store" not in response.get("Cache-Control", "")
    )


def cached_public_page(
    view: Callable[..., HttpResponse] | None = None, *, query: QueryNormaliser = no_parameters
):
    """Cache the view's page for anonymous readers. `query` turns the request's query string
    into the parameters the view reads, normalised, or None when the request is not to be
    cached at all; by default the view reads none."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if (
                not settings.CATALOGUE_CACHE
                or request.method not in {"GET", "HEAD"}
                or request.user.is_authenticated
                or (normal := query(request.GET)) is None
            ):
                return view(request, *args, **kwargs)
            version = CatalogueVersion.current()
            key = page_key(request, normal, version)
            etag = f'"{key[:32]}"'
            if not_modified(request, etag):
                response = HttpResponseNotModified()
            elif (hit := cache.get(f"page:{key}")) is not None:
                status, content_type, content = hit
                response = HttpResponse(content, status=status, content_type=content_type)
            else:
                # Render what the normalised query asks for, so that nothing the key leaves
                # out (an unknown parameter, another spelling) can reach the cached page.
                request.GET = normal
                request.META["QUERY_STRING"] = normal.urlencode()
                response = view(request, *args, **kwargs)
                # A page made while this process's facet index is still catching up with the
                # version may show the catalogue as it was: neither kept nor labelled with it.
                if not storable(response) or index_is_behind(version):
                    return response
                cache.set(
                    f"page:{key}",
                    (response.status_code, response["Content-Type"], response.content),
                    TIMEOUT,
                )
            response["ETag"] = etag
            return response

        return wrapper

    return decorate(view) if view is not None else decorate
