"""The client's address for sign-in throttling when a proxy terminates the connection."""

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The address our own proxy saw: the last entry it appended to X-Forwarded-For.

    Entries to its left were sent by the client and can be forged, so they are never used.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-1] if hops else request.META.get("REMOTE_ADDR")
