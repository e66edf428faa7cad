import logging
import sys

from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 when it does not: for load balancers and monitors."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "reachable"})


def server_error(request: HttpRequest) -> HttpResponse:
    """Any uncaught error: 503 with a plain explanation when the database is unreachable,
    500 otherwise. Neither page touches the database.

    Django reconnects by itself on a later request (CONN_HEALTH_CHECKS), so the site recovers
    without a restart once the database is back.
    """
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        logger.error("Database unavailable for %s: %s", request.path, error)
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponse(render_to_string("500.html"), status=500)


def admin_shortcut(request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
    """The admin's "view on site" redirect, only for staff who may view that kind of record:
    it reveals the record's address, and a draft's address is not public."""
    try:
        content_type = ContentType.objects.get_for_id(content_type_id)
    except ContentType.DoesNotExist as error:
        raise Http404("No such record.") from error
    label = f"{content_type.app_label}.%s_{content_type.model}"
    if not (request.user.has_perm(label % "view") or request.user.has_perm(label % "change")):
        raise Http404("No such record.")
    return shortcut(request, content_type_id, object_id)
