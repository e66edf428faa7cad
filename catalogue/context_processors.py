from django.conf import settings
from django.http import HttpRequest

from .citations import LICENCE
from .models import ResponseType


def navigation(request: HttpRequest) -> dict:
    return {"response_types": ResponseType.choices}


def site_facts(request: HttpRequest) -> dict:
    """What the footer says on every page: how to reach the editors, how the data is licensed."""
    return {"contact_email": settings.CONTACT_EMAIL, "data_licence": LICENCE}
