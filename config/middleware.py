"""Site-wide HTTP behaviour that no single app owns."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .views import error_response

# Headers Django does not set itself. The HTTP Observatory scores CORP; Permissions-Policy turns
# off browser features that no page here uses.
EXTRA_HEADERS = {
    "Permissions-Policy": (
        "accelerometer=(), browsing-topics=(), camera=(), display-capture=(), geolocation=(), "
        "gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
    ),
    "Cross-Origin-Resource-Policy": "same-origin",
}


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for header, value in EXTRA_HEADERS.items():
            response.headers.setdefault(header, value)
        return response


class RefuseNulMiddleware:
    """A NUL character anywhere in the path or the query string is a 400, before any view
    (or the admin's filters and search) can pass it to the database: PostgreSQL's text type
    refuses it with an error, and no address or value here ever contains one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in name or any("\x00" in value for value in values)
            for name, values in request.GET.lists()
        ):
            return error_response(request, 400, "The address contains a NUL character.")
        return self.get_response(request)


class RequestBodyLimitMiddleware:
    """413 for a request body larger than its sender may send, judged by its Content-Length
    before anything reads it (the CSRF check would otherwise parse, and write to disk, a huge
    upload before refusing it). Readers who are not signed in only ever send the sign-in
    form; signed-in editors send case studies and imports.

    A body without a Content-Length (chunked) is never read: Django's WSGI request reads
    exactly Content-Length bytes, none when it is missing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # what Django reads for it too
        if length > settings.MAX_ANONYMOUS_BODY_BYTES and (
            length > settings.MAX_SIGNED_IN_BODY_BYTES or not signed_in(request)
        ):
            return error_response(request, 413, "The request body is too large.")
        return self.get_response(request)


def signed_in(request: HttpRequest) -> bool:
    # Without a session cookie nobody is signed in: no need to ask the database.
    return settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated
