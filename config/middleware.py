"""Site-wide HTTP behaviour that no single app owns."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
