from django.http import HttpRequest

from .models import ResponseType


def navigation(request: HttpRequest) -> dict:
    return {"response_types": ResponseType.choices}
