"""Whole rendered pages, cached for anonymous readers and keyed on the catalogue's version.

Every change to anything a page shows gives the catalogue a new version (CatalogueVersion),
so a cached page can never be served after an edit: the next request misses and renders.
Editors (signed in) always get a fresh page. CATALOGUE_CACHE=0 turns it off.
"""

from collections.abc import Callable
from functools import wraps
from hashlib import sha256

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from .facets import index_is_behind
from .models import CatalogueVersion

CACHEABLE_STATUS = {200, 400}
TIMEOUT = 60 * 60 * 24


def page_key(request: HttpRequest, version: str) -> str:
    return f"page:{version}:{sha256(request.get_full_path().encode()).hexdigest()}"


def cached_public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if (
            not settings.CATALOGUE_CACHE
            or request.method not in {"GET", "HEAD"}
            or request.user.is_authenticated
        ):
            return view(request, *args, **kwargs)
        version = CatalogueVersion.current()
        key = page_key(request, version)
        if (hit := cache.get(key)) is not None:
            status, content_type, content = hit
            return HttpResponse(content, status=status, content_type=content_type)
        response = view(request, *args, **kwargs)
        if (
            response.status_code in CACHEABLE_STATUS
            and not response.streaming
            and not index_is_behind(version)  # else the page may show the catalogue as it was
        ):
            cache.set(
                key, (response.status_code, response["Content-Type"], response.content), TIMEOUT
            )
        return response

    return wrapper
