import copy
import logging
import sys

from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


# /healthz gives up sooner than pages do: a load balancer asks often and wants a quick answer.
HEALTH_TIMEOUT_SECONDS = 2


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 when it does not: for load balancers and monitors.

    It asks on a connection of its own, opened and closed each time with a short timeout:
    the pages' kept-open connection could be one the database has stopped answering.
    """
    try:
        database = fresh_connection(timeout=HEALTH_TIMEOUT_SECONDS)
        try:
            with database.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        finally:
            database.close()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "reachable"})


def fresh_connection(*, timeout: int) -> BaseDatabaseWrapper:
    """A new connection to the default database that gives up after `timeout` seconds."""
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    options = settings_dict["OPTIONS"]
    if connections["default"].vendor == "postgresql":
        options["connect_timeout"] = timeout
        limit = f"-c statement_timeout={timeout * 1000}"
        options["options"] = f"{options.get('options', '')} {limit}".strip()
    else:
        options["timeout"] = timeout
    settings_dict["CONN_MAX_AGE"] = 0
    # Under the default alias: django.contrib.postgres finds its type handlers by alias.
    return connections["default"].__class__(settings_dict, alias="default")


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(reverse("api:api-root"))


def error_response(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """The error page `<status>.html`, or for the JSON API `{"detail": message}`. Neither
    touches the database, which may be the thing that failed."""
    if is_api(request):
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(render_to_string(f"{status}.html"), status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 400, "The request could not be understood.")


def server_error(request: HttpRequest) -> HttpResponse:
    """Any uncaught error: 503 with a plain explanation when the database is unreachable,
    500 otherwise.

    Django reconnects by itself on a later request (CONN_HEALTH_CHECKS), so the site recovers
    without a restart once the database is back.
    """
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        logger.error("Database unavailable for %s: %s", request.path, error)
        response = error_response(
            request, 503, "The catalogue is unavailable for a moment. Please try again soon."
        )
        response["Retry-After"] = "30"
        return response
    return error_response(request, 500, "Sorry, there is a problem with the catalogue.")


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
