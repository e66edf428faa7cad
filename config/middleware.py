"""Site-wide HTTP behaviour that no single app owns."""

from collections.abc import Callable

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
