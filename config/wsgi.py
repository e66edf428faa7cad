"""WSGI entry point (gunicorn config.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A page's query that runs this long has failed: the 503 page rather than a reader left waiting.
if not os.environ.get("DJANGO_DB_STATEMENT_TIMEOUT"):
    os.environ["DJANGO_DB_STATEMENT_TIMEOUT"] = "20"

application = get_wsgi_application()
